import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import workshop.testkit.Command;
import workshop.testkit.DepsInSync;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;
import workshop.testkit.Workshop;

/** What a learner sees after step02: their own hostname, and PID 1. */
class Step02Test {
    Path rootfs;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
        rootfs = Rootfs.workshopDefault();
    }

    static Command step02(String... args) {
        return Command.javaMain("Run", args);
    }

    static String hostHostname() throws Exception {
        return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    }

    @Test
    void theCommandSeesItsOwnHostnameAndTheHostKeepsItsName() throws Exception {
        String before = hostHostname();
        var result = step02("--hostname", "box-42", rootfs.toString(), "/bin/hostname")
                .run().assertExit(0);
        assertEquals("box-42\n", result.stdout());
        assertEquals(before, hostHostname(), "the host's hostname");
    }

    @Test
    void theCommandIsPid1() {
        var result = step02(rootfs.toString(), "/bin/sh", "-c", "echo $$").run().assertExit(0);
        assertEquals("1\n", result.stdout());
    }

    @Test
    void theExitStatusIsTheCommands() {
        step02(rootfs.toString(), "/bin/sh", "-c", "exit 7").run().assertExit(7);
    }

    @Test
    void aBareCommandNameIsFoundInPathInsideTheRootfs() {
        var result = step02(rootfs.toString(), "echo", "found").run().assertExit(0);
        assertEquals("found\n", result.stdout());
    }

    @Test
    void theReadmeCommandGivesAShellThatIsPid1() {
        // The README's form, through the repository's jbang, typed into the shell it opens.
        var result = Command.of("./jbang", "step02-uts-pid/Run.java", "--hostname", "box", "rootfs", "/bin/sh")
                .stdin("hostname; echo $$; exit 4\n").timeout(Duration.ofMinutes(3))
                .run().assertExit(4);
        assertEquals("box\n1\n", result.stdout());
    }

    @Test
    void theHelpSaysHowToUseIt() {
        var result = step02("--help").run().assertExit(0);
        assertTrue(result.stdout().startsWith("Usage: ./jbang step02-uts-pid/Run.java [--hostname NAME] ROOTFS"));
    }

    @Test
    void theStepsDepsLinesMatchThePom() {
        DepsInSync.assertStep(Workshop.root().resolve("step02-uts-pid"));
    }
}
