import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.DepsInSync;
import workshop.testkit.Privileged;
import workshop.testkit.Workshop;

/** The README's "Try it" commands, exactly as shown, through ./jbang; and --help. */
@ExtendWith(Step05.NothingLeaks.class)
class Step05ReadmeTest {
    static final String DEMO = "/tmp/step05-demo";
    static final String RUN = "./jbang step05-oci-bundle/Run.java ";

    @TempDir Path scratch;

    @BeforeEach
    @AfterEach
    void noDemo() {
        Privileged.requireRoot();
        Command.of("rm", "-rf", DEMO).run().assertExit(0);
    }

    static Command.Result shell(String line) {
        return Command.of("bash", "-c", line).in(Workshop.root()).timeout(Duration.ofMinutes(3)).run();
    }

    @Test
    void theReadmeCommandsRunTheBundleThroughItsLifecycle() {
        shell("mkdir " + DEMO + " && cp -a rootfs " + DEMO + "/").assertExit(0);
        shell(RUN + "spec --bundle " + DEMO).assertExit(0);
        var run = shell("echo 'hostname; echo $$; exit 7' | " + RUN + "run --bundle " + DEMO + " demo");
        run.assertExit(7);
        assertEquals("step05\n1\n", run.stdout());

        shell("sed -i 's/\\[ \"sh\" \\]/[ \"sleep\", \"600\" ]/' " + DEMO + "/config.json").assertExit(0);
        Step05.detached(scratch, List.of("bash", "-c", RUN + "create --bundle " + DEMO + " demo"))
                .assertExit(0);
        try {
            assertTrue(shell(RUN + "state demo").assertExit(0).stdout()
                    .contains("\"status\" : \"created\""));
            shell(RUN + "start demo").assertExit(0);
            assertTrue(shell(RUN + "state demo").assertExit(0).stdout()
                    .contains("\"status\" : \"running\""));
            shell(RUN + "kill demo").assertExit(0);
            shell(RUN + "kill demo KILL").assertExit(0);
            Step05.await(() -> shell(RUN + "state demo").stdout().contains("\"status\" : \"stopped\""),
                    "state demo says stopped");
            shell(RUN + "delete demo").assertExit(0);
        } finally {
            Step05.step05("delete", "--force", "demo").run();
        }
        Step05.assertGone("demo");
    }

    @Test
    void helpListsTheCommandsAndEachCommandHasItsOwn() {
        var usage = Step05.step05("--help").run().assertExit(0).stdout();
        assertTrue(usage.startsWith("Usage: ./jbang step05-oci-bundle/Run.java [--root DIR]"
                + " [--verbose] COMMAND ..."), usage);
        for (String command : List.of("spec", "create", "start", "state", "kill", "delete", "run")) {
            assertTrue(usage.contains("\n  " + command + " "), command + " in " + usage);
        }
        assertTrue(Step05.step05("kill", "--help").run().assertExit(0).stdout()
                .startsWith("Usage: ... kill ID [SIGNAL]\n"));
    }

    @Test
    void theStepsDepsLinesMatchThePom() {
        DepsInSync.assertStep(Workshop.root().resolve("step05-oci-bundle"));
    }
}
