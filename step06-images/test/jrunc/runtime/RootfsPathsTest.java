package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * Paths in the rootfs are resolved inside it by the kernel: a symlink chain, a symlink swapped
 * in while the runtime creates a mount point, or a symlinked /proc, /sys or /dev never lead
 * the runtime to a host path. The "host" side is a directory of the test's own, so an escape
 * that is still open damages nothing of the machine. Each bundle also goes to Debian's runc.
 */
class RootfsPathsTest {
    static final String CGROUP = "/jrunc-test-paths" + LifecycleTest.RUN;
    /** runc spec's seven mounts come first: the one a test adds is mounts[7]. */
    static final String ADDED_MOUNT = "mounts[7].destination";
    @TempDir
    static Path tmp;
    static JruncTool jrunc;
    static JruncTool runc;
    static Host before;

    @BeforeAll
    static void setUp() {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        jrunc = JruncTool.jrunc(tmp.resolve("jrunc-state"));
        runc = JruncTool.runc(tmp.resolve("runc-state"));
    }

    @AfterAll
    static void nothingLeft() {
        if (jrunc == null) return;
        before.cleanUpAndAssertNothingLeft(jrunc, tmp, tmp.resolve("bundles"), tmp.resolve("hosts"));
    }

    /** A directory standing in for the host: one file in it, which must stay alone. */
    static Path host(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("hosts").resolve(name));
        Files.writeString(dir.resolve("keep"), "a host file\n");
        return dir;
    }

    /** Everything below dir (names and types), and every mount on or below it. */
    static List<String> observe(Path dir) {
        List<String> seen = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted().forEach(p -> seen.add(dir.relativize(p) + (Files.isSymbolicLink(p) ? " link"
                    : Files.isDirectory(p) ? " dir" : " file")));
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String mountPoint = line.split(" ")[4];
                if (mountPoint.startsWith(dir.toString())) seen.add("mount " + mountPoint);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return seen;
    }

    static final List<String> UNTOUCHED = List.of(" dir", "keep file");

    static Path bundle(String name, Consumer<ObjectNode> edit) {
        return Bundles.create(tmp.resolve("bundles").resolve(name), CGROUP, List.of("true"), edit);
    }

    /** rootfs/DIR/l0 → l1 → … → l(N-1) → target: N symlinks, the last one absolute. */
    static void chain(Path rootfs, String dir, int links, Path target) throws IOException {
        Path d = Files.createDirectories(rootfs.resolve(dir));
        for (int i = 0; i < links - 1; i++) {
            Files.createSymbolicLink(d.resolve("l" + i), Path.of("l" + (i + 1)));
        }
        Files.createSymbolicLink(d.resolve("l" + (links - 1)), target);
    }

    static void addMount(ObjectNode c, String destination, String type, String source, String... options) {
        ObjectNode m = ((ArrayNode) c.get("mounts")).addObject().put("destination", destination)
                .put("type", type).put("source", source);
        ArrayNode o = m.putArray("options");
        for (String option : options) o.add(option);
    }

    @ParameterizedTest(name = "{0} links as a {1}")
    @CsvSource({"41, tmpfs", "41, bind", "41, device", "300, tmpfs", "300, bind", "300, device"})
    void aSymlinkChainToTheHostIsRefusedWithEloop(int links, String use) throws IOException {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        // A device path must be under /dev: that case keeps the rootfs's own /dev (no tmpfs).
        String chainDir = use.equals("device") ? "dev/chain" : "chain";
        String path = "/" + chainDir + "/l0/escaped";
        String field = use.equals("device") ? "linux.devices[0].path" : ADDED_MOUNT;
        Path b = bundle(links + use, c -> {
            switch (use) {
                case "tmpfs" -> addMount(c, path, "tmpfs", "tmpfs", "nosuid");
                case "bind" -> addMount(c, path, "bind", volume.toString(), "rbind", "ro");
                default -> {
                    removeMount(c, "/dev");
                    ((ObjectNode) c.get("linux")).putArray("devices").addObject().put("path", path)
                            .put("type", "c").put("major", 1).put("minor", 3).put("fileMode", 0666);
                }
            }
        });
        Path jruncHost = host("chain-jrunc-" + links + use);
        chain(b.resolve("rootfs"), chainDir, links, jruncHost);

        Command.Result r = jrunc.run("create", "--bundle", b.toString(), "chain");
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("resolve " + field + " " + path + " "), r.stderr());
        assertTrue(r.stderr().contains(": ELOOP (Too many levels of symbolic links)"), r.stderr());
        assertTrue(r.stderr().contains("hint: more than 40 symlinks"), r.stderr());
        assertEquals(UNTOUCHED, observe(jruncHost));

        // runc, same bundle: it follows up to 255 links inside the rootfs, then says ELOOP.
        Path runcHost = host("chain-runc-" + links + use);
        Bundles.removeTree(b.resolve("rootfs").resolve(chainDir));
        chain(b.resolve("rootfs"), chainDir, links, runcHost);
        Command.Result theirs = runc.run("create", "--bundle", b.toString(), "chain");
        runc.run("delete", "--force", "chain");
        if (links > 255) {
            assertEquals(1, theirs.exitCode(), theirs.toString());
            assertTrue(theirs.stderr().contains("too many levels of symbolic links"), theirs.stderr());
        } else {
            assertEquals(0, theirs.exitCode(), theirs.toString());
            assertTrue(Files.exists(b.resolve("rootfs" + runcHost).resolve("escaped")),
                    "runc resolves the chain inside the rootfs");
        }
        assertEquals(UNTOUCHED, observe(runcHost));
    }

    /** renameat2(2) from the test: swaps two names atomically. */
    interface Rename extends Library {
        Rename C = Native.load("c", Rename.class);
        int AT_FDCWD = -100, RENAME_EXCHANGE = 2;

        int renameat2(int oldDir, String oldPath, int newDir, String newPath, int flags);
    }

    /** Swaps rootfs/swap (a directory) and rootfs/swaplink (a link to a host dir) in a loop. */
    static final class Swapper implements AutoCloseable {
        final String dir, link;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger swaps = new AtomicInteger();
        final Thread thread = new Thread(this::run, "swapper");

        Swapper(Path rootfs, Path host) throws IOException {
            dir = rootfs.resolve("swap").toString();
            link = rootfs.resolve("swaplink").toString();
            Files.createDirectories(Path.of(dir));
            Files.createSymbolicLink(Path.of(link), host);
            thread.start();
        }

        void run() {
            while (!stop.get()) {
                if (Rename.C.renameat2(Rename.AT_FDCWD, dir, Rename.AT_FDCWD, link,
                        Rename.RENAME_EXCHANGE) == 0) {
                    swaps.incrementAndGet();
                }
            }
        }

        /** Stops swapping and removes the link, whichever of the two names it has now. */
        @Override
        public void close() throws Exception {
            stop.set(true);
            thread.join();
            Files.delete(Files.isSymbolicLink(Path.of(link)) ? Path.of(link) : Path.of(dir));
            Files.move(Path.of(Files.isDirectory(Path.of(dir)) ? dir : link), Path.of(dir + ".done"
                    + swaps.get()));
        }
    }

    /** Gives the next run mount points under /swap that do not exist yet. */
    static void swapMounts(Path bundle, String run) {
        Bundles.edit(bundle, c -> {
            ArrayNode mounts = (ArrayNode) c.get("mounts");
            while (mounts.size() > 7) mounts.remove(7);
            for (int k = 0; k < MOUNTS_PER_RUN; k++) addMount(c, "/swap/" + run + "m" + k, "tmpfs", "tmpfs");
        });
    }

    /**
     * 200 mount points resolved while the names swap, as 10 creates of 20: the race is in each
     * resolution, and a create costs two JVM starts, so few creates with many mounts each.
     */
    static final int MOUNTS_PER_RUN = 20;

    @Test
    void aSymlinkSwappedInDuringCreateRedirectsNothing() throws Exception {
        int runs = 10;
        Path b = bundle("race", c -> {});
        Path rootfs = b.resolve("rootfs");
        Path jruncHost = host("race-jrunc"), runcHost = host("race-runc");
        int created = 0, swaps;
        try (Swapper swapper = new Swapper(rootfs, jruncHost)) {
            for (int i = 0; i < runs; i++) {
                swapMounts(b, "jrunc" + i);
                Path pidFile = tmp.resolve("race.pid");
                Command.Result r = jrunc.run("create", "--bundle", b.toString(), "--pid-file",
                        pidFile.toString(), "race");
                if (r.exitCode() == 0) {
                    created++;
                    String pid = Files.readString(pidFile).trim();
                    String run = "/jrunc" + i + "m";
                    long inside = Files.readAllLines(Path.of("/proc/" + pid + "/mountinfo")).stream()
                            .filter(line -> line.split(" ")[4].contains(run)).count();
                    assertEquals(MOUNTS_PER_RUN, inside, "run " + i + ": each tmpfs is in the container");
                } else {
                    // A swap between two steps may make it fail; it must say where.
                    assertTrue(r.stderr().contains(".destination /swap/jrunc" + i + "m"),
                            "run " + i + ": " + r.stderr());
                }
                jrunc.run("delete", "--force", "race").assertExit(0);
                assertEquals(UNTOUCHED, observe(jruncHost), "jrunc, run " + i + " of " + runs);
            }
            swaps = swapper.swaps.get();
        }
        // runc, the same bundle and the same race, with a host directory of its own. runc 1.1.5
        // resolves the path to a string and checks it, but mkdir resolves it once more: it was
        // seen to create a directory in the host one (1 of 50 runs of 4 mounts), so runc's count is reported.
        int runcEscapes = 0;
        try (Swapper swapper = new Swapper(rootfs, runcHost)) {
            for (int i = 0; i < runs; i++) {
                swapMounts(b, "runc" + i);
                runc.run("create", "--bundle", b.toString(), "race");
                runc.run("delete", "--force", "race");
                if (!observe(runcHost).equals(UNTOUCHED)) {
                    runcEscapes++;
                    try (Stream<Path> s = Files.list(runcHost)) {
                        s.filter(p -> !p.endsWith("keep")).forEach(Bundles::removeTree);
                    }
                }
            }
        }
        assertTrue(swaps > runs, "the names were swapped during the creates: " + swaps);
        System.out.printf("rename-exchange race: jrunc created %d of %d (the rest refused) and"
                + " reached the host in 0; runc reached the host in %d of %d; %d swaps%n",
                created, runs, runcEscapes, runs, swaps);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"})
    void aSymlinkedKernelDirectoryIsRefused(String dir) throws IOException {
        Path b = bundle("ordinary" + dir.replace('/', '-'), c -> {
            // Without a /dev mount the rootfs's own /dev holds /dev/pts, /dev/shm, /dev/mqueue.
            if (dir.startsWith("/dev/")) removeMount(c, "/dev");
        });
        int index = mountIndex(b, dir);
        Path jruncHost = host("ordinary-jrunc" + dir.replace('/', '-'));
        Path inRootfs = b.resolve("rootfs" + dir);
        Bundles.removeTree(inRootfs);
        Files.createSymbolicLink(inRootfs, jruncHost);

        Command.Result r = jrunc.run("create", "--bundle", b.toString(), "ordinary");
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("resolve mounts[" + index + "].destination " + dir + " "), r.stderr());
        assertTrue(r.stderr().contains("ELOOP"), r.stderr());
        assertTrue(r.stderr().contains("hint: must be mounted on ordinary directory"), r.stderr());
        assertEquals(UNTOUCHED, observe(jruncHost));

        // runc 1.1.5 refuses a symlinked /proc and /sys in the same words; it follows a link at
        // /dev… inside the rootfs (and with /dev itself a link to a host directory it was seen
        // to put its /dev/fd, /dev/ptmx and /dev/std* links there: hence a directory of its own).
        Path runcHost = host("ordinary-runc" + dir.replace('/', '-'));
        Files.delete(inRootfs);
        Files.createSymbolicLink(inRootfs, runcHost);
        Command.Result theirs = runc.run("create", "--bundle", b.toString(), "ordinary");
        runc.run("delete", "--force", "ordinary");
        if (dir.equals("/proc") || dir.equals("/sys")) {
            assertEquals(1, theirs.exitCode(), theirs.toString());
            assertTrue(theirs.stderr().contains("must be mounted on ordinary directory"), theirs.stderr());
        } else {
            assertEquals(0, theirs.exitCode(), theirs.toString());
        }
    }

    static void removeMount(ObjectNode c, String destination) {
        ArrayNode mounts = (ArrayNode) c.get("mounts");
        for (int i = mounts.size() - 1; i >= 0; i--) {
            if (mounts.get(i).get("destination").asText().equals(destination)) mounts.remove(i);
        }
    }

    static int mountIndex(Path bundle, String destination) throws IOException {
        var mounts = Bundles.JSON.readTree(bundle.resolve("config.json").toFile()).get("mounts");
        for (int i = 0; i < mounts.size(); i++) {
            if (mounts.get(i).get("destination").asText().equals(destination)) return i;
        }
        throw new AssertionError("no mount at " + destination + " in runc spec");
    }
}
