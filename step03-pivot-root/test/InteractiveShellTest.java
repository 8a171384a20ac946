import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * A shell in a real terminal: tmux gives the runtime a pty, as a learner's terminal would.
 * The tmux server runs on a private socket in the test's temporary folder (so the socket file
 * goes away with it) and is killed afterwards, with everything in it.
 */
class InteractiveShellTest {
    @TempDir Path scratch;
    Path socket;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
        socket = scratch.resolve("tmux.socket");
    }

    @AfterEach
    void killTmux() {
        if (Files.exists(socket)) tmux("kill-server").run();
    }

    Command tmux(String... args) {
        List<String> argv = new ArrayList<>(List.of("tmux", "-S", socket.toString()));
        argv.addAll(List.of(args));
        return Command.of(argv);
    }

    String screen() {
        return tmux("capture-pane", "-p", "-t", "step03").run().assertExit(0).stdout();
    }

    void awaitScreen(String expectedLine) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!screen().lines().anyMatch(l -> l.strip().equals(expectedLine))) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("never saw the line '" + expectedLine + "' on:\n" + screen());
            }
            Thread.sleep(100);
        }
    }

    void type(String keys) {
        tmux("send-keys", "-t", "step03", keys, "Enter").run().assertExit(0);
    }

    @Test
    void ctrlCInterruptsTheCommandInsideAndExitReturnsItsStatus() throws Exception {
        Path status = scratch.resolve("status");
        String runtime = Command.javaMain("Run", Rootfs.workshopDefault().toString(), "/bin/sh").argv().stream()
                .map(arg -> "'" + arg + "'").collect(Collectors.joining(" "));
        tmux("new-session", "-d", "-s", "step03", "-x", "120", "-y", "40",
                runtime + "; echo $? > " + status + "; sleep 60").run().assertExit(0);

        type("echo hello-$((6*7))");
        awaitScreen("hello-42");

        type("sleep 600");
        Thread.sleep(500);
        tmux("send-keys", "-t", "step03", "C-c").run().assertExit(0);
        type("echo still-here");
        awaitScreen("still-here");   // sleep was interrupted, and the runtime is still running
        assertFalse(Files.exists(status), "the runtime exited on Ctrl-C");

        type("exit 3");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!Files.exists(status) && Instant.now().isBefore(deadline)) Thread.sleep(100);
        assertEquals("3\n", Files.readString(status), "the runtime's exit status, on:\n" + screen());
    }
}
