import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.DepsInSync;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;
import workshop.testkit.Workshop;

/** What a learner sees after step01: a shell whose "/" is the rootfs, and nothing more. */
class Step01Test {
    @TempDir Path scratch;
    Path rootfs;

    @BeforeEach
    void copyRootfs() {
        Privileged.requireRoot();
        rootfs = Rootfs.copyInto(scratch);
    }

    static Command step01(String... args) {
        return Command.javaMain("Run", args);
    }

    @Test
    void theCommandSeesTheRootfsAsItsRoot() throws IOException {
        String secret = UUID.randomUUID().toString();
        Files.writeString(rootfs.resolve("marker"), secret);

        var result = step01(rootfs.toString(), "/bin/sh", "-c", "cat /marker; echo; pwd; ls /")
                .run().assertExit(0);

        List<String> lines = result.stdout().lines().toList();
        assertEquals(secret, lines.get(0), "/marker inside is rootfs/marker outside");
        assertEquals("/", lines.get(1), "the command starts in its new /");
        assertTrue(lines.containsAll(List.of("bin", "etc", "marker", "usr")), result.stdout());
    }

    @Test
    void theExitStatusIsTheCommands() {
        step01(rootfs.toString(), "/bin/sh", "-c", "exit 7").run().assertExit(7);
    }

    @Test
    void aBareCommandNameIsFoundInPathInsideTheRootfs() {
        var result = step01(rootfs.toString(), "echo", "found").run().assertExit(0);
        assertEquals("found\n", result.stdout());
    }

    @Test
    void theReadmeCommandGivesAShellInTheRootfs() {
        // The README's form, through the repository's jbang, typed into the shell it opens.
        var result = Command.of("./jbang", "step01-chroot/Run.java", "rootfs", "/bin/sh")
                .stdin("cat /etc/hostname; exit 4\n").timeout(java.time.Duration.ofMinutes(3))
                .run().assertExit(4);
        assertEquals("workshop\n", result.stdout());
    }

    @Test
    void theHelpSaysHowToUseIt() {
        var result = step01("--help").run().assertExit(0);
        assertTrue(result.stdout().startsWith("Usage: ./jbang step01-chroot/Run.java ROOTFS COMMAND"));
    }

    @Test
    void theStepsDepsLinesMatchThePom() {
        DepsInSync.assertStep(Workshop.root().resolve("step01-chroot"));
    }
}
