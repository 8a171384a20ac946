package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import jrunc.linux.Capabilities;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * The published runc escapes, replayed against jrunc and against Debian's runc on the same
 * bundles (runc refusing is the anchor). They aim at {@link HostCopies}: a copy of the JDK as
 * java.home, of the class path, of JNA's library and of nsenter, unshare and runc, so an escape
 * that is still open damages a copy, never the machine. The container's programs never write
 * to a host file that is not one of the copies; every test asserts the copies are byte for
 * byte unchanged, that no path appeared or vanished in the test's directory, and that nothing
 * is left behind.
 */
class EscapeTest {
    static final String RUN = LifecycleTest.RUN;
    @TempDir
    static Path tmp;
    static Host before;
    static HostCopies copies;
    static Path payload;
    /** A file only the host has: reaching it from a container is reaching the host. */
    static Path marker;
    static JruncTool jrunc;
    static JruncTool runc;
    TreeSet<String> listing;

    @BeforeAll
    static void setUp() throws IOException {
        Privileged.requireRoot();
        // A user namespace's root is uid 100000 on the host: it must reach the bundles and the JDK.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        before = Host.snapshot(tmp);
        copies = HostCopies.make(tmp.resolve("copies"));
        payload = HostCopies.compilePayload(tmp);
        marker = Files.writeString(tmp.resolve("host-marker"), "a file of the host\n");
        Path hostMount = Files.createDirectories(tmp.resolve("host-only-mount"));
        jrunc = JruncTool.launchedBy(Files.createDirectories(tmp.resolve("state-jrunc")),
                copies.jruncLauncher(hostMount));
        runc = JruncTool.launchedBy(Files.createDirectories(tmp.resolve("state-runc")),
                copies.runcLauncher(hostMount));
    }

    @BeforeEach
    void listTheTestDirectory() throws IOException {
        listing = HostCopies.listing(tmp);
    }

    /** What every attack must leave as it found it: the copies, the test's directory, the host. */
    @AfterEach
    void hostUnchanged() throws IOException {
        List<String> changed = copies.changedAndRestored();
        for (JruncTool tool : List.of(jrunc, runc)) {
            for (String id : Container.ids(tool.root)) tool.run("delete", "--force", id);
        }
        Bundles.removeTree(tmp.resolve("bundles"));
        TreeSet<String> now = HostCopies.listing(tmp);
        assertAll(() -> assertEquals(List.of(), changed, "host files (copies) changed by the container"),
                () -> assertEquals(listing, now, "paths of the host (the test's directory)"),
                () -> Host.snapshot(tmp).assertNothingLeftSince(before, tmp));
    }

    // --- 1: CVE-2019-5736, the runtime's binary through /proc/self/exe --------------------------

    /**
     * /evil is "#!/proc/self/exe": the kernel runs the runtime's own binary inside the
     * container, and the payload, installed as that binary's ELF interpreter in the rootfs, keeps
     * it open and reopens it for writing once nothing runs it. Writing must fail (EROFS: a
     * read-only view of the binary; runc: its sealed copy of itself).
     */
    @Test
    void theRuntimesBinaryCannotBeOverwrittenThroughProcSelfExe() throws Exception {
        List<Executable> checks = new ArrayList<>();
        for (JruncTool tool : List.of(runc, jrunc)) {
            String name = name(tool);
            Path binary = tool == runc ? copies.tools.resolve("runc") : copies.jdk.resolve("bin/java");
            String interpreter = interpreterOf(binary);
            for (String variant : List.of("entrypoint /evil", "entrypoint /proc/self/exe", "exec /evil")) {
                String id = "exe-" + name + "-" + checks.size() + RUN;
                boolean exec = variant.startsWith("exec");
                String program = variant.substring(variant.indexOf(' ') + 1);
                Path bundle = bundle(id, exec ? List.of("sleep", "300") : List.of(program), c -> {
                    env(c).add("COPY_IDS=" + uncheckedIds());
                });
                Path rootfs = bundle.resolve("rootfs");
                Files.writeString(rootfs.resolve("evil"), "#!/proc/self/exe\n");
                Files.setPosixFilePermissions(rootfs.resolve("evil"), PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.copy(payload, rootfs.resolve("payload"), StandardCopyOption.COPY_ATTRIBUTES);
                Path interp = rootfs.resolve(interpreter.substring(1));
                Files.createDirectories(interp.getParent());
                Files.deleteIfExists(interp);
                Files.copy(payload, interp, StandardCopyOption.COPY_ATTRIBUTES);
                tool.run("create", "--bundle", bundle.toString(), id).assertExit(0);
                tool.run("start", id).assertExit(0);
                if (exec) tool.run("exec", "--detach", id, program).assertExit(0);
                List<String> report = awaitReport(rootfs, "DONE", Duration.ofSeconds(45));
                // Restored first: delete runs the runtime's binary, which the attack may have rewritten.
                List<String> changed = copies.changedAndRestored();
                tool.run("delete", "--force", id);
                String what = name + ", " + variant + ": " + report;
                checks.add(() -> assertEquals(List.of(), changed, what + " (host files, copies, changed)"));
                checks.add(() -> assertTrue(report.contains("DONE"), what + " (the payload did not finish)"));
                checks.add(() -> assertEquals(List.of(), matching(report, "OVERWROTE|WRITABLE"),
                        what + " (the runtime's binary reopened for writing)"));
            }
        }
        assertAll(checks);
    }

    // --- 2 and 9: a watcher in the container during exec ----------------------------------------

    /**
     * While "exec" runs, a process of the container looks at every runtime process it can see in
     * its PID namespace: through /proc/PID/root, cwd, mountinfo, exe and fds it must reach
     * nothing of the host, and its cmdline and environ must name no host path. With the
     * container's default capabilities, with CAP_SYS_PTRACE in every set, and in a user
     * namespace (whose root is the host uid the helpers run as there).
     */
    @Test
    void aContainerSeesNothingOfTheHostThroughAnExecHelper() throws Exception {
        List<Executable> checks = new ArrayList<>();
        for (JruncTool tool : List.of(runc, jrunc)) {
            for (String variant : List.of("default capabilities", "CAP_SYS_PTRACE", "a user namespace")) {
                String name = name(tool) + " with " + variant;
                String id = "watch-" + name(tool) + "-" + checks.size() + RUN;
                Path bundle = bundle(id, List.of("sh", "/watcher.sh"), c -> {
                    if (variant.equals("CAP_SYS_PTRACE")) {
                        for (JsonNode set : process(c).get("capabilities")) ((ArrayNode) set).add("CAP_SYS_PTRACE");
                    }
                    if (variant.equals("a user namespace")) NamespacesTest.userNamespace(c);
                });
                Path rootfs = bundle.resolve("rootfs");
                copyScript("watcher.sh", rootfs);
                tool.run("create", "--bundle", bundle.toString(), id).assertExit(0);
                tool.run("start", id).assertExit(0);
                awaitReport(rootfs, "READY", Duration.ofSeconds(20));
                // runc's helper lives for milliseconds: exec until the watcher has seen one.
                for (int i = 0; i < (tool == runc ? 40 : 4) && matching(read(rootfs), "SEEN").isEmpty(); i++) {
                    tool.run("exec", id, "true").assertExit(0);
                }
                Files.writeString(rootfs.resolve("stop"), "");
                List<String> report = awaitReport(rootfs, "DONE", Duration.ofSeconds(20));
                tool.run("delete", "--force", id);
                checks.add(() -> assertNotEquals(List.of(), matching(report, "SEEN"),
                        name + ": the watcher saw no runtime process, so it proves nothing: " + report));
                checks.add(() -> assertEquals(List.of(), matching(report, "ROOT|CWD|MOUNTINFO|WRITABLE"),
                        name + ": what a runtime process showed of the host"));
                // runc's own "runc init" names its state directory in its environ
                // (_LIBCONTAINER_STATEDIR), which CAP_SYS_PTRACE can read: jrunc is held to more.
                if (tool == jrunc) {
                    checks.add(() -> assertEquals(List.of(), hostPathsIn(matching(report, "SEEN|ENVIRON")),
                            name + ": host paths in a runtime process's cmdline or environ"));
                }
            }
        }
        assertAll(checks);
    }

    // --- 3: CVE-2024-21626, a cwd through a leaked host fd --------------------------------------

    /** What the process prints: where it is, and whether the host's marker is reachable from there. */
    static final String CWD_PROBE = "echo \"pwd $(pwd)\"; [ -e ../../../../../../../../../../../..$MARKER ]"
            + " && echo HOST-MARKER; true";

    /**
     * "cwd": "/proc/self/fd/N" for every fd an init could have inherited: the process must be
     * refused (the error names process.cwd) or start inside the container, with and without a
     * user namespace.
     */
    @Test
    void aCwdThroughAnInheritedFdNeverLandsOnTheHost() throws Exception {
        List<Executable> checks = new ArrayList<>();
        for (JruncTool tool : List.of(runc, jrunc)) {
            for (boolean userns : List.of(false, true)) {
                String name = name(tool) + (userns ? " in a user namespace" : "");
                String base = "cwd-" + name(tool) + (userns ? "-userns" : "") + RUN;
                Path bundle = bundle(base, List.of("sh", "-c", CWD_PROBE), c -> {
                    if (userns) NamespacesTest.userNamespace(c);
                });
                for (int fd = 3; fd <= 30; fd++) {
                    String cwd = "/proc/self/fd/" + fd;
                    String id = base + "-" + fd;
                    Bundles.edit(bundle, c -> process(c).put("cwd", cwd));
                    Command.Result r = tool.run("run", "--bundle", bundle.toString(), id);
                    if (Container.ids(tool.root).contains(id)) tool.run("delete", "--force", id);
                    checks.add(cwdCheck(tool, name + ", \"cwd\": \"" + cwd + "\"", r));
                }
            }
        }
        assertAll(checks);
    }

    /** The same through exec --cwd, into a running container. */
    @Test
    void anExecCwdThroughAnInheritedFdNeverLandsOnTheHost() throws Exception {
        List<Executable> checks = new ArrayList<>();
        for (JruncTool tool : List.of(runc, jrunc)) {
            for (boolean userns : List.of(false, true)) {
                String name = name(tool) + (userns ? " in a user namespace" : "");
                String id = "execcwd-" + name(tool) + (userns ? "-userns" : "") + RUN;
                Path bundle = bundle(id, List.of("sleep", "300"), c -> {
                    if (userns) NamespacesTest.userNamespace(c);
                });
                tool.run("create", "--bundle", bundle.toString(), id).assertExit(0);
                tool.run("start", id).assertExit(0);
                for (int fd = 3; fd <= 30; fd++) {
                    String cwd = "/proc/self/fd/" + fd;
                    Command.Result r = tool.run("exec", "--cwd", cwd, id, "sh", "-c", CWD_PROBE);
                    checks.add(cwdCheck(tool, name + ", exec --cwd " + cwd, r));
                }
                tool.run("delete", "--force", id);
            }
        }
        assertAll(checks);
    }

    /** runc refuses; jrunc refuses naming process.cwd, or the process starts inside the container. */
    static Executable cwdCheck(JruncTool tool, String what, Command.Result r) {
        String shown = what + ": exit " + r.exitCode() + ", " + r.stdout().trim() + r.stderr().trim();
        if (tool == runc) return () -> assertNotEquals(0, r.exitCode(), shown + " (runc refuses)");
        return () -> {
            if (r.exitCode() != 0) {
                assertTrue(r.stderr().contains("process.cwd") || r.stderr().contains("--cwd"), shown);
            } else {
                assertTrue(r.stdout().startsWith("pwd /") && !r.stdout().contains("(unreachable)")
                        && !r.stdout().contains("HOST-MARKER"), shown + " (started in a host directory)");
            }
        };
    }

    // --- 6 and 9: a privileged sidecar and the created (waiting) init -------------------------

    /**
     * A privileged container sharing the PID namespace of a created container finds its waiting
     * init as PID 1: none of the init's files opens for writing, before or after start, its
     * cmdline and environ name no host path, and the thread that will exec already holds the
     * container's uid, capabilities and no_new_privs.
     */
    @Test
    void aSidecarCannotUseTheWaitingInit() throws Exception {
        List<Executable> checks = new ArrayList<>();
        List<String> caps = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN");
        List<String> all = allCapabilities();
        for (JruncTool tool : List.of(runc, jrunc)) {
            String name = name(tool);
            String first = "waiting-" + name + RUN;
            // It must outlive the sidecar: PID 1's exit ends its PID namespace.
            Path waiting = bundle(first, List.of("sleep", "300"), c -> {
                ObjectNode p = process(c);
                p.putObject("user").put("uid", 1234).put("gid", 1234);
                ObjectNode sets = p.putObject("capabilities");
                for (String set : List.of("bounding", "effective", "permitted", "inheritable", "ambient")) {
                    caps.forEach(sets.putArray(set)::add);
                }
                p.put("noNewPrivileges", true);
            });
            tool.run("create", "--bundle", waiting.toString(), first).assertExit(0);
            int init = Bundles.JSON.readTree(tool.run("state", first).assertExit(0).stdout()).get("pid").asInt();
            String initShows = cmdlineAndEnviron(init);
            Map<String, String> status = status(init, tool == jrunc ? "jrunc-init" : null);

            String second = "sidecar-" + name + RUN;
            Path sidecar = bundle(second, List.of("sh", "/sidecar.sh"), c -> {
                ObjectNode sets = process(c).putObject("capabilities");
                for (String set : List.of("bounding", "effective", "permitted", "inheritable", "ambient")) {
                    all.forEach(sets.putArray(set)::add);
                }
                process(c).put("noNewPrivileges", false);
                for (JsonNode ns : linux(c).get("namespaces")) {
                    if (ns.get("type").asText().equals("pid")) ((ObjectNode) ns).put("path", "/proc/" + init + "/ns/pid");
                }
            });
            Path rootfs = sidecar.resolve("rootfs");
            copyScript("sidecar.sh", rootfs);
            tool.run("create", "--bundle", sidecar.toString(), second).assertExit(0);
            tool.run("start", second).assertExit(0);
            List<String> ready = awaitReport(rootfs, "READY", Duration.ofSeconds(20));
            tool.run("start", first).assertExit(0);
            Files.writeString(rootfs.resolve("go"), "");
            List<String> report = awaitReport(rootfs, "DONE", Duration.ofSeconds(30));
            tool.run("delete", "--force", second);
            tool.run("delete", "--force", first);

            checks.add(() -> assertTrue(ready.contains("READY") && report.contains("DONE"), name + ": " + report));
            checks.add(() -> assertEquals(List.of(), matching(report, "WRITABLE|WRITABLE-LATER"),
                    name + ": the waiting init's files opened for writing by the sidecar"));
            // runc's waiting "runc init" names its state directory in its environ
            // (_LIBCONTAINER_STATEDIR): jrunc is held to more.
            if (tool == jrunc) {
                checks.add(() -> assertEquals(List.of(), hostPathsIn(matching(report, "INIT|INITENV")),
                        name + ": host paths in the waiting init's cmdline or environ, seen by the sidecar"));
                checks.add(() -> assertEquals(List.of(), hostPathsIn(List.of(initShows)),
                        name + ": host paths in the waiting init's cmdline or environ"));
            }
            String mask = String.format("%016x", mask(caps));
            checks.add(() -> assertEquals(Map.of("CapEff", mask, "CapPrm", mask, "CapBnd", mask,
                    "NoNewPrivs", "1", "Uid", "1234 1234 1234 1234"), status,
                    name + ": the waiting init's credentials (the thread that will exec)"));
        }
        assertAll(checks);
    }

    // --- helpers -------------------------------------------------------------------------------

    static String name(JruncTool tool) {
        return tool == runc ? "runc" : "jrunc";
    }

    /**
     * A bundle with a copy of the workshop rootfs, writable: the container reports in /report
     * (made here, writable by all: a user namespace's root cannot create files in the rootfs).
     */
    static Path bundle(String id, List<String> args, Consumer<ObjectNode> edit) throws IOException {
        Path bundle = Bundles.create(tmp.resolve("bundles").resolve(id), "/jrunc-test-" + id, args, c -> {
            ((ObjectNode) c.get("root")).put("readonly", false);
            env(c).add("MARKER=" + marker);
            edit.accept(c);
        });
        Path report = Files.writeString(bundle.resolve("rootfs/report"), "");
        Files.setPosixFilePermissions(report, PosixFilePermissions.fromString("rw-rw-rw-"));
        return bundle;
    }

    static ObjectNode process(ObjectNode c) {
        return (ObjectNode) c.get("process");
    }

    static ObjectNode linux(ObjectNode c) {
        return (ObjectNode) c.get("linux");
    }

    static ArrayNode env(ObjectNode c) {
        return (ArrayNode) process(c).get("env");
    }

    static String uncheckedIds() {
        try {
            return copies.ids();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void copyScript(String script, Path rootfs) throws IOException {
        Files.copy(workshop.testkit.Workshop.root().resolve("step06-images/test/resources/escape/" + script),
                rootfs.resolve(script), StandardCopyOption.REPLACE_EXISTING);
    }

    static List<String> read(Path rootfs) throws IOException {
        Path report = rootfs.resolve("report");
        return Files.exists(report) ? Files.readAllLines(report) : List.of();
    }

    /** The container's report once it has the line {@code last}, or what there is after timeout. */
    static List<String> awaitReport(Path rootfs, String last, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> lines = read(rootfs);
        while (!lines.contains(last) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            lines = read(rootfs);
        }
        return lines;
    }

    static List<String> matching(List<String> lines, String prefixes) {
        return lines.stream().filter(l -> l.matches("(" + prefixes + ") .*")).distinct().toList();
    }

    /** Lines that name a path of the test's directory: the JDK, class path, state root, bundles. */
    static List<String> hostPathsIn(List<String> lines) {
        return lines.stream().filter(l -> l.contains(tmp.toString())).distinct().toList();
    }

    static String cmdlineAndEnviron(int pid) throws IOException {
        return "cmdline " + Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ')
                + " environ " + Files.readString(Path.of("/proc/" + pid + "/environ")).replace('\0', ' ');
    }

    /**
     * CapEff, CapPrm, CapBnd, NoNewPrivs and Uid of the thread named {@code thread} (its comm),
     * or of the process when null; an empty map when there is no such thread.
     */
    static Map<String, String> status(int pid, String thread) throws IOException {
        Path task = Path.of("/proc/" + pid);
        if (thread != null) {
            task = null;
            try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path t : tasks.toList()) {
                    if (Files.readString(t.resolve("comm")).trim().equals(thread)) task = t;
                }
            }
            if (task == null) return Map.of();
        }
        Map<String, String> fields = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(task.resolve("status"))) {
            String key = line.substring(0, line.indexOf(':'));
            if (List.of("CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Uid").contains(key)) {
                fields.put(key, line.substring(key.length() + 1).trim().replaceAll("\\s+", " "));
            }
        }
        return fields;
    }

    static long mask(List<String> names) {
        long m = 0;
        for (String n : names) m |= 1L << Capabilities.NUMBERS.get(n);
        return m;
    }

    /** Every capability this process's bounding set has (a container cannot get more). */
    static List<String> allCapabilities() throws IOException {
        String bnd = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("CapBnd:")).findFirst().orElseThrow().substring(7).trim();
        long have = Long.parseUnsignedLong(bnd, 16);
        return Capabilities.NUMBERS.entrySet().stream().filter(e -> (have & (1L << e.getValue())) != 0)
                .map(Map.Entry::getKey).toList();
    }

    /** PT_INTERP of an ELF binary: the path the kernel loads as its interpreter. */
    static String interpreterOf(Path elf) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(elf.toFile(), "r")) {
            ByteBuffer header = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            f.getChannel().read(header, 0);
            long phoff = header.getLong(0x20);
            int phentsize = header.getShort(0x36);
            int phnum = header.getShort(0x38);
            for (int i = 0; i < phnum; i++) {
                ByteBuffer ph = ByteBuffer.allocate(phentsize).order(ByteOrder.LITTLE_ENDIAN);
                f.getChannel().read(ph, phoff + (long) i * phentsize);
                if (ph.getInt(0) != 3) continue;   // PT_INTERP
                byte[] path = new byte[(int) ph.getLong(0x20) - 1];
                f.seek(ph.getLong(0x08));
                f.readFully(path);
                return new String(path, java.nio.charset.StandardCharsets.US_ASCII);
            }
        }
        throw new AssertionError(elf + " has no ELF interpreter");
    }
}
