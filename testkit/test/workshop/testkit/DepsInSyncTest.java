package workshop.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/** The //DEPS check itself: it passes on what Maven resolved and fails on anything else. */
class DepsInSyncTest {
    @TempDir Path step;

    static final String JUNIT = Test.class.getPackage().getImplementationVersion();

    @Test
    void aDepsLineWithTheResolvedVersionPasses() throws Exception {
        Files.writeString(step.resolve("Run.java"), "//DEPS org.junit.jupiter:junit-jupiter-api:" + JUNIT + "\n");
        DepsInSync.assertStep(step);
    }

    @Test
    void aDepsLineWithAnotherVersionFails() throws Exception {
        Files.writeString(step.resolve("Run.java"), "//DEPS org.junit.jupiter:junit-jupiter-api:0.0.1\n");
        assertThrows(AssertionFailedError.class, () -> DepsInSync.assertStep(step));
    }

    @Test
    void depsLinesInTestsDoNotCount() throws Exception {
        Files.createDirectories(step.resolve("test"));
        Files.writeString(step.resolve("Run.java"), "//DEPS org.junit.jupiter:junit-jupiter-api:" + JUNIT + "\n");
        Files.writeString(step.resolve("test/RunTest.java"), "//DEPS org.junit.jupiter:junit-jupiter-api:0.0.1\n");
        DepsInSync.assertStep(step);
    }
}
