package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * The namespaces a JVM cannot enter by itself: a user namespace with uid and gid maps, a time
 * namespace with clock offsets, and a mount namespace joined by path.
 */
class NamespacesTest {
    static final String CGROUP = "/jrunc-test-ns" + LifecycleTest.RUN;
    static final long TEN_DAYS = 10 * 86400;
    @TempDir
    static Path tmp;
    static JruncTool jrunc;
    static Host before;

    @BeforeAll
    static void setUp() throws IOException {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        // The container's root is uid 100000 on the host: it must reach the bundles.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        jrunc = JruncTool.jrunc(tmp.resolve("state"));
    }

    @AfterAll
    static void nothingLeft() {
        if (jrunc == null) return;
        before.cleanUpAndAssertNothingLeft(jrunc, tmp, tmp.resolve("bundles"));
    }

    static void userNamespace(ObjectNode c) {
        ObjectNode linux = (ObjectNode) c.get("linux");
        ((ArrayNode) linux.get("namespaces")).addObject().put("type", "user");
        linux.putArray("uidMappings").addObject().put("containerID", 0).put("hostID", 100000)
                .put("size", 65536);
        linux.putArray("gidMappings").addObject().put("containerID", 0).put("hostID", 200000)
                .put("size", 65536);
    }

    static void timeNamespace(ObjectNode c) {
        ObjectNode linux = (ObjectNode) c.get("linux");
        ((ArrayNode) linux.get("namespaces")).addObject().put("type", "time");
        ObjectNode offsets = linux.putObject("timeOffsets");
        offsets.putObject("boottime").put("secs", TEN_DAYS);
        offsets.putObject("monotonic").put("secs", TEN_DAYS);
    }

    static com.fasterxml.jackson.databind.JsonNode state(String id) throws IOException {
        return Bundles.JSON.readTree(jrunc.run("state", id).assertExit(0).stdout());
    }

    static double hostUptime() throws IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
    }

    static String status(int pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith(field + ":")).findFirst().orElseThrow()
                .substring(field.length() + 1).trim().split("\\s+")[0];
    }

    /** PIDs of every process in the user namespace at link. */
    static Set<Integer> processesIn(Path link) throws IOException {
        String ns = Files.readSymbolicLink(link).toString();
        Set<Integer> pids = new TreeSet<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/user")).toString().equals(ns)) {
                        pids.add(Integer.parseInt(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // exited while we looked
                }
            }
        }
        return pids;
    }

    @Test
    void userNamespaceMapsTheContainersRootToAnUnprivilegedHostUid() throws Exception {
        Path shared = tmp.resolve("shared");
        Files.createDirectories(shared);
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        String id = "userns" + LifecycleTest.RUN;
        Path bundle = Bundles.create(tmp.resolve("bundles/userns"), CGROUP, List.of("sleep", "300"), c -> {
            userNamespace(c);
            timeNamespace(c);
            ((ArrayNode) c.get("mounts")).addObject().put("destination", "/shared").put("type", "bind")
                    .put("source", shared.toString()).putArray("options").add("rbind").add("rw");
        });
        // The container's root cannot write the host-owned rootfs: the mount point is made here.
        Files.createDirectories(bundle.resolve("rootfs/shared"));
        jrunc.run("create", "--bundle", bundle.toString(), id).assertExit(0);
        int pid = state(id).get("pid").asInt();
        // What the host sees of the container's root: an ordinary uid and gid, in a new user namespace.
        assertEquals("100000", status(pid, "Uid"), "the init's uid on the host");
        assertEquals("200000", status(pid, "Gid"), "the init's gid on the host");
        Path userns = Path.of("/proc/" + pid + "/ns/user");
        assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/user")), Files.readSymbolicLink(userns));
        assertEquals("0 100000 65536", Files.readString(Path.of("/proc/" + pid + "/uid_map")).trim()
                .replaceAll("\\s+", " "));
        // The holder that kept the namespace while its maps were written is gone, and so is
        // the unshare that forked the init (an engine's subreaper must be able to reap it).
        assertEquals(Set.of(pid), processesIn(userns), "processes in the user namespace");

        jrunc.run("start", id).assertExit(0);
        double hostBefore = hostUptime();
        Command.Result inside = jrunc.run("exec", id, "sh", "-c",
                "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch /shared/made-inside;"
                + " cut -d' ' -f1 /proc/uptime; echo pid $$").assertExit(0);
        double hostAfter = hostUptime();
        List<String> lines = inside.stdout().lines().map(l -> l.trim().replaceAll("\\s+", " ")).toList();
        assertEquals(List.of("0", "0", "0 100000 65536", "0 200000 65536"), lines.subList(0, 4), inside.stdout());
        double uptime = Double.parseDouble(lines.get(4));
        assertTrue(uptime >= hostBefore + TEN_DAYS - 1 && uptime <= hostAfter + TEN_DAYS + 1,
                "exec joined the time namespace: uptime " + uptime + " vs host " + hostBefore);
        assertNotEquals("pid 1", lines.get(5), "exec'd process is not the init");
        // A file the container's root makes belongs to uid 100000, gid 200000 on the host.
        Path made = shared.resolve("made-inside");
        assertEquals(100000, Files.getAttribute(made, "unix:uid"));
        assertEquals(200000, Files.getAttribute(made, "unix:gid"));

        jrunc.run("kill", id, "KILL").assertExit(0);
        for (int i = 0; i < 100 && !state(id).get("status").asText().equals("stopped"); i++) Thread.sleep(50);
        assertEquals("stopped", state(id).get("status").asText());
        jrunc.run("delete", id).assertExit(0);
        assertFalse(Files.exists(jrunc.root.resolve(id)));
    }

    @Test
    void runInAUserNamespaceReturnsTheExitStatus() {
        Path bundle = Bundles.create(tmp.resolve("bundles/userns-run"), CGROUP,
                List.of("sh", "-c", "cat /proc/self/uid_map; exit 7"), NamespacesTest::userNamespace);
        Command.Result r = jrunc.run("run", "--bundle", bundle.toString(), "usernsrun" + LifecycleTest.RUN)
                .assertExit(7);
        assertEquals("0 100000 65536", r.stdout().trim().replaceAll("\\s+", " "));
    }

    @Test
    void overlappingMappingsAreRefusedByTheKernelAndLeaveNothing() {
        String id = "overlap" + LifecycleTest.RUN;
        Path bundle = Bundles.create(tmp.resolve("bundles/overlap"), CGROUP, List.of("true"), c -> {
            userNamespace(c);
            ((ArrayNode) c.get("linux").get("uidMappings")).addObject().put("containerID", 10)
                    .put("hostID", 300000).put("size", 5);
        });
        Command.Result r = jrunc.run("create", "--bundle", bundle.toString(), id).assertExit(1);
        assertTrue(r.stderr().contains("uid_map linux.uidMappings [0 100000 65536, 10 300000 5]: EINVAL"),
                r.stderr());
        assertTrue(r.stderr().contains("hint: ranges must not overlap"), r.stderr());
        assertFalse(Files.exists(jrunc.root.resolve(id)), "state directory left");
        assertFalse(Files.exists(Path.of("/sys/fs/cgroup/memory" + CGROUP)), "cgroup left");
    }

    @Test
    void timeNamespaceShiftsTheBootClock() throws Exception {
        Path bundle = Bundles.create(tmp.resolve("bundles/time"), CGROUP,
                List.of("sh", "-c", "cut -d' ' -f1 /proc/uptime; readlink /proc/self/ns/time"),
                NamespacesTest::timeNamespace);
        double before = hostUptime();
        Command.Result r = jrunc.run("run", "--bundle", bundle.toString(), "time" + LifecycleTest.RUN)
                .assertExit(0);
        double after = hostUptime();
        List<String> lines = r.stdout().lines().toList();
        double uptime = Double.parseDouble(lines.get(0));
        assertTrue(uptime >= before + TEN_DAYS && uptime <= after + TEN_DAYS,
                "uptime inside " + uptime + ", host " + before + ".." + after);
        assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/time")).toString(), lines.get(1));
    }

    /**
     * A mount namespace kept by a process of its own holds a tmpfs over the rootfs's /tmp; a
     * container that joins it by path (a link to /proc/PID/ns/mnt) sees that tmpfs, the host
     * does not. All of it runs in a private mount namespace of its own, so nothing reaches
     * the host. (util-linux's "unshare --mount=FILE" binds the namespace from a child that
     * can, now and then, be faster than its parent's unshare: EINVAL.)
     */
    @Test
    void joinsAMountNamespaceByPath() throws Exception {
        Path dir = tmp.resolve("ns");
        Files.createDirectories(dir);
        Path bundle = Bundles.create(tmp.resolve("bundles/mnt"), CGROUP, List.of("cat", "/tmp/marker"), c -> {
            for (var ns : c.get("linux").get("namespaces")) {
                if (ns.get("type").asText().equals("mount")) ((ObjectNode) ns).put("path", dir.resolve("mnt").toString());
            }
        });
        Path rootfs = bundle.resolve("rootfs");
        String script = """
                set -e
                mkfifo "$1/ready"
                unshare --mount --propagation unchanged sh -c 'mount -t tmpfs -o size=1m marker "$0/tmp" \\
                  && echo from the joined namespace > "$0/tmp/marker" && echo up > "$1/ready" \\
                  && exec sleep 600' "$2" "$1" &
                holder=$!
                trap 'kill "$holder" 2>/dev/null' EXIT
                read -r up < "$1/ready"
                ln -s "/proc/$holder/ns/mnt" "$1/mnt"
                shift 2
                status=0; "$@" || status=$?
                echo "here: $(cat "$ROOTFS/tmp/marker" 2>/dev/null || echo no marker)"
                exit $status
                """;
        List<String> argv = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private",
                "sh", "-c", script, "sh", dir.toString(), rootfs.toString()));
        argv.addAll(jrunc.launcher);
        argv.addAll(List.of("--root", jrunc.root.toString(), "run", "--bundle", bundle.toString(),
                "mnt" + LifecycleTest.RUN));
        Command.Result r = Command.of(argv.toArray(new String[0])).env("ROOTFS", rootfs.toString())
                .timeout(Duration.ofSeconds(60)).run().assertExit(0);
        assertEquals("from the joined namespace\nhere: no marker\n", r.stdout(), r.stderr());
        assertFalse(Files.exists(rootfs.resolve("tmp/marker")), "the tmpfs stayed in the joined namespace");
    }
}
