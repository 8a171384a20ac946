package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * process.terminal without --console-socket: "run" and "exec" in the foreground make the pty
 * and relay it between their own stdio and the container, as runc does.
 */
class TerminalTest {
    static final String CGROUP = "/jrunc-test-tty" + LifecycleTest.RUN;
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
        before.cleanUpAndAssertNothingLeft(jrunc, tmp, tmp.resolve("bundles"));
    }

    static Path bundle(String name, List<String> args) {
        return Bundles.create(tmp.resolve("bundles/" + name), CGROUP, args,
                c -> ((ObjectNode) c.get("process")).put("terminal", true));
    }

    @Test
    void runRelaysThePtyWhenStdioIsNotATerminal() {
        Path b = bundle("plain", List.of("sh", "-c", "tty; exit 3"));
        Command.Result r = jrunc.run("run", "--bundle", b.toString(), "plain" + LifecycleTest.RUN).assertExit(3);
        assertEquals("/dev/pts/0\r\n", r.stdout(), "a pty inside; its \\r\\n comes through as it is");
    }

    /** script(1) gives jrunc a real terminal: raw mode, the window size, typed input. */
    @Test
    void runRelaysAnInteractiveShell() throws Exception {
        Path b = bundle("shell", List.of("sh"));
        Path input = tmp.resolve("typed");
        Files.writeString(input, "tty; stty -a | head -1; echo relay-$((6 * 7))\nexit 4\n");
        String command = "stty rows 40 cols 100; " + String.join(" ", jrunc.launcher) + " --root "
                + jrunc.root + " run --bundle " + b + " shell" + LifecycleTest.RUN;
        Command.Result r = Command.of("sh", "-c", "script -qec '" + command + "' /dev/null < " + input)
                .timeout(Duration.ofSeconds(60)).run().assertExit(4);
        assertTrue(r.stdout().contains("/ # tty; stty -a | head -1; echo relay-$((6 * 7))\r\n/dev/pts/0\r\n"),
                "the shell's prompt, the echoed line and its pty: " + r.stdout());
        assertTrue(r.stdout().contains("rows 40; columns 100;"), "the window size came along: " + r.stdout());
        assertTrue(r.stdout().contains("relay-42\r\n"), r.stdout());
    }

    @Test
    void execWithTtyRelaysToo() {
        String id = "exectty" + LifecycleTest.RUN;
        Path b = Bundles.create(tmp.resolve("bundles/exec"), CGROUP, List.of("sleep", "300"), c -> {});
        jrunc.run("run", "--detach", "--bundle", b.toString(), id).assertExit(0);
        try {
            Command.Result r = jrunc.run("exec", "--tty", id, "sh", "-c", "tty; exit 5").assertExit(5);
            assertEquals("/dev/pts/0\r\n", r.stdout());
            Command.Result detached = jrunc.run("exec", "--tty", "--detach", id, "true").assertExit(1);
            assertTrue(detached.stderr().contains("process.terminal true with --detach needs --console-socket"),
                    detached.stderr());
        } finally {
            jrunc.run("delete", "--force", id).assertExit(0);
        }
    }

    @Test
    void detachedRunStillNeedsAConsoleSocket() {
        String id = "detached" + LifecycleTest.RUN;
        Command.Result r = jrunc.run("run", "--detach", "--bundle", bundle("detached", List.of("true")).toString(), id)
                .assertExit(1);
        assertTrue(r.stderr().contains("process.terminal is true, so jrunc needs --console-socket"), r.stderr());
        assertFalse(Files.exists(jrunc.root.resolve(id)));
    }
}
