package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/** config.json features that runc here cannot be compared on, checked on their own. */
class ConfigTest {
    static final String CGROUP = "/jrunc-test-config" + LifecycleTest.RUN;
    @TempDir
    static Path tmp;
    static JruncTool jrunc;
    static Host before;

    @BeforeAll
    static void setUp() {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        jrunc = JruncTool.jrunc(tmp.resolve("state"));
    }

    @AfterAll
    static void nothingLeft() {
        if (jrunc == null) return;
        before.cleanUpAndAssertNothingLeft(jrunc, tmp, tmp.resolve("bundle"));
    }

    static Path bundle(String cgroup, String script, java.util.function.Consumer<ObjectNode> edit) {
        return Bundles.create(tmp.resolve("bundle"), cgroup, List.of("sh", "-c", script), edit);
    }

    @Test
    void relativeCgroupsPathIsUnderTheHierarchyRootNotOurOwnCgroup() throws Exception {
        String relative = "jrunc-rel" + LifecycleTest.RUN + "/c1";
        Path b = bundle(relative, "sleep 100", c -> {});
        jrunc.run("create", "--bundle", b.toString(), "rel").assertExit(0);
        assertTrue(Files.isDirectory(Path.of("/sys/fs/cgroup/memory/" + relative)));
        int pid = Bundles.JSON.readTree(jrunc.run("state", "rel").stdout()).get("pid").asInt();
        assertTrue(Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).contains("4:memory:/" + relative));
        jrunc.run("delete", "rel").assertExit(0);
        assertFalse(Files.exists(Path.of("/sys/fs/cgroup/memory/" + relative).getParent()),
                "jrunc made both levels, and removes both");
    }

    @Test
    void domainnameAnnotationsAndCgroupNamespace() throws Exception {
        Path b = bundle(CGROUP, "echo $(hostname) $(cat /proc/sys/kernel/domainname);"
                + " cat /proc/self/cgroup | grep memory", c -> {
                    c.put("hostname", "box").put("domainname", "example.org");
                    c.putObject("annotations").put("org.example.purpose", "test");
                    ((ArrayNode) c.get("linux").get("namespaces")).addObject().put("type", "cgroup");
                });
        jrunc.run("create", "--bundle", b.toString(), "names").assertExit(0);
        JsonNode state = Bundles.JSON.readTree(jrunc.run("state", "names").stdout());
        assertEquals("test", state.get("annotations").get("org.example.purpose").asText());
        jrunc.run("delete", "names").assertExit(0);
        Command.Result r = jrunc.run("run", "--bundle", b.toString(), "names").assertExit(0);
        assertEquals("box example.org\n4:memory:/\n", r.stdout(), "a cgroup namespace shows / ");
    }

    @Test
    void hooksGetTheStateOnStdinInEveryPhase() throws Exception {
        Path hooks = tmp.resolve("hooks");
        Files.createDirectories(hooks);
        Path b = bundle(CGROUP, "echo ran", c -> {
            ObjectNode all = c.putObject("hooks");
            for (String phase : List.of("prestart", "createRuntime", "createContainer", "poststart", "poststop")) {
                hook(all, phase, hooks + "/" + phase + ".json");
            }
            // startContainer runs inside the container, after pivot_root: write where a bind shows it.
            hook(all, "startContainer", "/hooks/startContainer.json");
            ObjectNode bind = ((ArrayNode) c.get("mounts")).addObject().put("destination", "/hooks")
                    .put("type", "bind").put("source", hooks.toString());
            bind.putArray("options").add("rbind").add("rw");
        });
        jrunc.run("run", "--bundle", b.toString(), "hooked").assertExit(0);
        for (String phase : List.of("prestart", "createRuntime", "createContainer", "startContainer",
                "poststart", "poststop")) {
            JsonNode state = Bundles.JSON.readTree(hooks.resolve(phase + ".json").toFile());
            assertEquals("hooked", state.get("id").asText(), phase);
            assertEquals(b.toString(), state.get("bundle").asText(), phase);
            String expected = switch (phase) {
                case "poststart" -> "running";
                case "poststop" -> "stopped";
                case "startContainer" -> "created";
                default -> "creating";
            };
            assertEquals(expected, state.get("status").asText(), phase);
        }
    }

    static void hook(ObjectNode hooks, String phase, String file) {
        ObjectNode hook = hooks.putArray(phase).addObject().put("path", "/bin/sh").put("timeout", 10);
        hook.putArray("args").add("sh").add("-c").add("cat > " + file);
    }

    @Test
    void joinsANamespaceByPath() throws Exception {
        Process holder = new ProcessBuilder("unshare", "--net", "sleep", "300").start();
        try {
            Path netns = Path.of("/proc/" + holder.pid() + "/ns/net");
            for (int i = 0; i < 100 && Files.readSymbolicLink(netns).equals(
                    Files.readSymbolicLink(Path.of("/proc/self/ns/net"))); i++) {
                Thread.sleep(20); // unshare has not unshared yet
            }
            Path b = bundle(CGROUP, "readlink /proc/self/ns/net", c ->
                    ((ObjectNode) c.get("linux").get("namespaces").get(1)).put("path", netns.toString()));
            assertEquals("network", Bundles.JSON.readTree(b.resolve("config.json").toFile())
                    .get("linux").get("namespaces").get(1).get("type").asText());
            Command.Result r = jrunc.run("run", "--bundle", b.toString(), "joined").assertExit(0);
            assertEquals(Files.readSymbolicLink(netns) + "\n", r.stdout());
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    @Test
    void preservedFdsReachTheProcess() throws Exception {
        Path b = bundle(CGROUP, "cat <&3", c -> {});
        Path secret = tmp.resolve("secret");
        Files.writeString(secret, "passed as fd 3\n");
        List<String> argv = new ArrayList<>(List.of("sh", "-c", "exec 3< \"$0\"; exec \"$@\"", secret.toString()));
        argv.addAll(jrunc.launcher);
        argv.addAll(List.of("--root", jrunc.root.toString(), "run", "--preserve-fds", "1",
                "--bundle", b.toString(), "fds"));
        Command.Result r = JruncTool.exec(argv, Duration.ofMinutes(1)).assertExit(0);
        assertEquals("passed as fd 3\n", r.stdout());
    }

    @Test
    void terminalGoesToTheConsoleSocket() throws Exception {
        Path socket = tmp.resolve("console.sock");
        Path receiver = tmp.resolve("receive.py");
        Files.writeString(receiver, """
                import os, socket, sys
                server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                server.bind(sys.argv[1])
                server.listen(1)
                print("listening", flush=True)
                connection, _ = server.accept()
                _, fds, _, _ = socket.recv_fds(connection, 1024, 1)
                os.write(fds[0], b"tty; echo pty-$((6 * 7)); exit\\n")
                out = b""
                while True:
                    try:
                        data = os.read(fds[0], 1024)
                    except OSError:
                        break
                    if not data:
                        break
                    out += data
                print(out.decode().replace("\\r", ""))
                """);
        Process python = new ProcessBuilder("python3", receiver.toString(), socket.toString()).start();
        try {
            assertEquals("listening", new java.io.BufferedReader(new java.io.InputStreamReader(
                    python.getInputStream())).readLine());
            Path b = Bundles.create(tmp.resolve("bundle"), CGROUP, List.of("sh"),
                    c -> ((ObjectNode) c.get("process")).put("terminal", true));
            jrunc.run("run", "--console-socket", socket.toString(), "--bundle", b.toString(), "tty")
                    .assertExit(0);
            String typed = new String(python.getInputStream().readAllBytes());
            assertTrue(typed.contains("/dev/pts/0\n"), typed);
            assertTrue(typed.contains("pty-42\n"), typed);
        } finally {
            python.destroyForcibly().waitFor();
        }
    }
}
