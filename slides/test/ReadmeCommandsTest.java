import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Workshop;

/** The README's first command, as an attendee types it (CI is root, so without sudo). */
class ReadmeCommandsTest {
    @Test
    void theReadmeNamesBothCommands() throws Exception {
        String readme = Files.readString(Workshop.root().resolve("README.adoc"));
        assertTrue(readme.contains("sudo bin/demo "), "README shows the demo command");
        assertTrue(readme.contains("sudo bin/test-all "), "README shows the test command");
        String ci = Files.readString(Workshop.root().resolve(".ci/run"));
        assertTrue(ci.lines().anyMatch(line -> line.startsWith("bin/test-all")),
                ".ci/run calls the README's test command");
    }

    @Test
    void theDemoRunsAContainerOnTheEmbeddedRootfs(@TempDir Path store) {
        Privileged.requireRoot();
        // The demo imports the rootfs as an image: into a store of the test's, not /var/lib/jrunc.
        var result = Command.of(Workshop.root().resolve("bin/demo").toString())
                .env("JRUNC_STORE", store.toString())
                .timeout(Duration.ofMinutes(5)).run().assertExit(0);
        var lines = result.stdout().lines().toList();
        assertTrue(lines.contains("demo"), "the container's hostname: " + result.stdout());
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\s*1 root\\s+/bin/sh -c hostname.*")),
                "the shell is PID 1: " + result.stdout());
        assertTrue(lines.stream().filter(l -> l.matches("\\d+: \\w+:.*")).allMatch(l -> l.startsWith("1: lo:")),
                "only lo: " + result.stdout());
        assertTrue(result.stderr().contains("pivot_root(\".\", \".\")"), "narrated: " + result.stderr());
        assertTrue(lines.contains("jrunc-demo: PID 1, / is overlay"),
                "jrunc ran the image on an overlay: " + result.stdout());
    }

    @Test
    void everyScriptInBinAnswersHelp() throws Exception {
        try (var scripts = Files.list(Workshop.root().resolve("bin"))) {
            for (Path script : (Iterable<Path>) scripts.sorted()::iterator) {
                var result = Command.of(script.toString(), "--help").run().assertExit(0);
                assertTrue(result.stdout().startsWith("Usage: "), script + " --help: " + result.stdout());
            }
        }
    }
}
