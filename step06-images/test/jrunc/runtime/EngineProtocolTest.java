package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Workshop;

/**
 * What an engine's shim sees (containerd-shim, conmon). mini-shim, a child subreaper in C,
 * runs create, start and a detached exec as they do: with a terminal it reads each command's
 * output until EOF; then it reaps whatever the runtime left behind. runc on the same bundle
 * shows what the engine expects: the PIDs in the --pid-files are reaped by the shim, with the
 * container's exit status, and no command waits for the container.
 */
class EngineProtocolTest {
    static final String CGROUP = "/jrunc-test-engine" + LifecycleTest.RUN;
    @TempDir
    static Path tmp;
    static JruncTool jrunc;
    static JruncTool runc;
    static Host before;
    static Path shim;

    @BeforeAll
    static void setUp() throws IOException {
        Privileged.requireRoot();
        // The container's root in a user namespace is uid 100000 on the host: it must reach the bundles.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        before = Host.snapshot(tmp);
        jrunc = JruncTool.jrunc(tmp.resolve("state"));
        runc = JruncTool.runc(tmp.resolve("runc-state"));
        shim = tmp.resolve("mini-shim");
        Command.of("gcc", "-O1", "-o", shim.toString(), Workshop.root()
                .resolve("step06-images/test/resources/engine/mini-shim.c").toString())
                .timeout(Duration.ofSeconds(60)).run().assertExit(0);
    }

    @AfterAll
    static void nothingLeft() {
        if (jrunc == null) return;
        before.cleanUpAndAssertNothingLeft(jrunc, tmp, tmp.resolve("bundles"));
    }

    /**
     * The container exits 3 once the shim sends it a line (on its pty or its stdin), the exec
     * 4. Both must come back to the shim as 3 and 4: a PID that is not the shim's child (a
     * grandchild under nsenter or unshare --fork) is never reaped.
     */
    @ParameterizedTest(name = "terminal {0}, user namespace {1}")
    // Pipes without a user namespace: the init is the runtime's own child, as in every other test.
    @CsvSource({"false, true", "true, false", "true, true"})
    void theShimReapsTheInitAndTheExecWithTheirStatus(boolean terminal, boolean userNamespace) {
        String name = (terminal ? "tty" : "pipes") + (userNamespace ? "-userns" : "");
        List<String> init = List.of("sh", "-c", "read line; exit 3");
        Path bundle = Bundles.create(tmp.resolve("bundles/" + name), CGROUP, init, c -> {
            ((ObjectNode) c.get("process")).put("terminal", terminal);
            if (userNamespace) {
                ObjectNode linux = (ObjectNode) c.get("linux");
                ((ArrayNode) linux.get("namespaces")).addObject().put("type", "user");
                for (String maps : List.of("uidMappings", "gidMappings")) {
                    linux.putArray(maps).addObject().put("containerID", 0).put("hostID", 100000)
                            .put("size", 65536);
                }
            }
        });
        String expected = "init 3, exec 4, commands [0, 0, 0]";
        for (JruncTool tool : List.of(runc, jrunc)) {
            Command.Result r = underShim(tool, name, bundle, terminal, true);
            assertEquals(expected, r.stdout(), () -> tool.launcher.get(tool.launcher.size() - 1)
                    + " under mini-shim; its stderr:\n" + r.stderr());
        }
    }

    /**
     * A program that outgrows its memory limit right after start is OOM-killed: the shim
     * reaps 137 and the cgroup counts the kill (what docker's OOMKilled reads, if the shim's
     * watch is armed in time: start must return at once).
     */
    @org.junit.jupiter.api.Test
    void anOomKillIsCountedInTheContainersCgroup() {
        long limit = 32L << 20;
        Path bundle = Bundles.create(tmp.resolve("bundles/oom"), CGROUP + "-oom",
                List.of("sh", "-c", "read line; x=0123456789; while :; do x=$x$x; done"), c -> {
                    ObjectNode memory = ((ObjectNode) c.get("linux").get("resources")).putObject("memory");
                    memory.put("limit", limit).put("swap", limit);
                });
        for (JruncTool tool : List.of(runc, jrunc)) {
            Command.Result r = underShim(tool, "oom", bundle, false, false);
            assertEquals("init 137, commands [0, 0], oom_kill 1", r.stdout(), () -> tool.launcher.get(
                    tool.launcher.size() - 1) + " under mini-shim; its stderr:\n" + r.stderr());
        }
    }

    /**
     * create; start; exec --detach (if withExec) under mini-shim: how the shim saw each PID
     * end, and the memory cgroup's oom_kill count without an exec (as stdout).
     */
    static Command.Result underShim(JruncTool tool, String name, Path bundle, boolean terminal,
            boolean withExec) {
        String id = name + "-" + (tool == runc ? "runc" : "jrunc") + LifecycleTest.RUN;
        Path dir = tmp.resolve(id);
        Path socket = dir.resolve("console.sock");
        Path initPid = dir.resolve("init.pid");
        Path execPid = dir.resolve("exec.pid");
        List<String> argv = new ArrayList<>(List.of(shim.toString(), terminal ? socket.toString() : "-"));
        List<String> console = terminal ? List.of("--console-socket", socket.toString()) : List.of();
        argv.addAll(command(tool, "create", "--bundle", bundle.toString(), "--pid-file", initPid.toString()));
        argv.addAll(console);
        argv.addAll(List.of(id, ";"));
        argv.addAll(command(tool, "start", id));
        if (withExec) {
            argv.add(";");
            argv.addAll(command(tool, "exec", "--detach", "--pid-file", execPid.toString()));
            if (terminal) argv.add("--tty");
            argv.addAll(console);
            argv.add(id);
            argv.addAll(List.of("sh", "-c", "read line; exit 4"));
        }
        try {
            Files.createDirectories(dir);
            // A runtime process that holds a command's pipe makes the shim wait here, forever.
            Command.Result r = Command.of(argv).timeout(Duration.ofSeconds(90)).run().assertExit(0);
            Map<Integer, String> reaped = new HashMap<>();
            List<String> commands = new ArrayList<>();
            for (String line : r.stdout().split("\n")) {
                String[] f = line.split(" ");
                if (f[0].equals("reaped")) reaped.put(Integer.parseInt(f[1]), f[2]);
                if (f[0].equals("command")) commands.add(f[2]);
            }
            String seen = "init " + reaped.get(pid(initPid))
                    + (withExec ? ", exec " + reaped.get(pid(execPid)) : "") + ", commands " + commands
                    + (withExec ? "" : ", oom_kill " + oomKills(bundle));
            return new Command.Result(r.exitCode(), seen, r.stderr(), r.argv());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            tool.run("delete", "--force", id);
        }
    }

    static List<String> command(JruncTool tool, String... args) {
        List<String> argv = new ArrayList<>(tool.launcher);
        argv.addAll(List.of("--root", tool.root.toString()));
        argv.addAll(List.of(args));
        return argv;
    }

    /** The oom_kill count of the bundle's memory cgroup (v1: memory.oom_control, v2: memory.events). */
    static String oomKills(Path bundle) throws IOException {
        String cgroup = Bundles.JSON.readTree(bundle.resolve("config.json").toFile())
                .path("linux").path("cgroupsPath").asText();
        Path v1 = Path.of("/sys/fs/cgroup/memory" + cgroup, "memory.oom_control");
        Path file = Files.exists(v1) ? v1 : Path.of("/sys/fs/cgroup" + cgroup, "memory.events");
        return Files.readAllLines(file).stream().filter(l -> l.startsWith("oom_kill "))
                .map(l -> l.substring(9)).findFirst().orElse("missing in " + file);
    }

    static int pid(Path pidFile) throws IOException {
        return Files.exists(pidFile) ? Integer.parseInt(Files.readString(pidFile).trim()) : -1;
    }
}
