package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import workshop.testkit.Command;

/** What a pull shows: live lines redrawn in place on a terminal, plain lines in a log. */
class ProgressTest {
    static final Digest A = Digest.of("layer a".getBytes(StandardCharsets.UTF_8));
    static final Digest B = Digest.of("layer b".getBytes(StandardCharsets.UTF_8));

    static String show(boolean terminal) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal);
        progress.start(A, 3 << 20, "downloading");
        progress.start(B, 1 << 20, "downloading");
        progress.advance(A, 3 << 20);
        progress.finish(A, "verified");
        progress.advance(B, 1 << 20);
        progress.finish(B, "verified");
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void onATerminalEachLayerHasOneLineRedrawnInPlace() {
        String shown = show(true);
        assertTrue(shown.contains("\033[2A"), "the cursor goes back up over both layers: " + shown);
        String[] frames = shown.split("\033\\[2A");
        String last = frames[frames.length - 1];
        List<String> lines = last.lines().map(l -> l.replace("\033[2K", "")).toList();
        assertEquals(2, lines.size(), last);
        assertTrue(lines.get(0).matches(Progress.short12(A) + ": verified +3\\.0 MiB / 3\\.0 MiB +[0-9.]+ [KMG]?i?B/s"), lines.get(0));
        assertTrue(lines.get(1).matches(Progress.short12(B) + ": verified +1\\.0 MiB / 1\\.0 MiB +[0-9.]+ [KMG]?i?B/s"), lines.get(1));
    }

    @Test
    void inALogEachLayerHasAStartAndAnEndLineAndNoEscapes() {
        String shown = show(false);
        assertFalse(shown.contains("\033"), shown);
        List<String> lines = shown.lines().toList();
        assertEquals(Progress.short12(A) + ": downloading 3.0 MiB", lines.get(0));
        assertTrue(lines.get(2).matches(Progress.short12(A) + ": verified 3\\.0 MiB in [0-9.]+s \\([0-9.]+ [KMG]?i?B/s\\)"), lines.get(2));
        assertEquals(4, lines.size(), shown);
    }

    @Test
    void aRealTerminalIsDetected() {
        // script(1) gives the JVM a pseudo-terminal, as a user's shell would.
        String java = String.join(" ", Command.javaLauncher());
        var onTty = Command.of("script", "-qec", java + " jrunc.image.ProgressTest\\$TerminalCheck", "/dev/null").run().assertExit(0);
        assertTrue(onTty.stdout().contains("terminal=true"), onTty.stdout());
        var piped = Command.javaMain("jrunc.image.ProgressTest$TerminalCheck").run().assertExit(0);
        assertTrue(piped.stdout().contains("terminal=false"), piped.stdout());
    }

    /** Prints whether Progress.forStderr would draw live lines here. */
    static final class TerminalCheck {
        public static void main(String[] args) {
            System.out.println("terminal=" + (System.console() != null));
        }
    }
}
