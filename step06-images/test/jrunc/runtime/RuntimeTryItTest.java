package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;
import workshop.testkit.Workshop;

/**
 * Runs RUNTIME.adoc's "Try it" block as written, with /tmp/ replaced by a temp dir and a
 * private --root for jrunc's state; bin/jrunc runs a jar of the classes under test.
 */
class RuntimeTryItTest {
    @TempDir
    Path tmp;

    @Test
    void theTryItCommandsWork() throws Exception {
        Privileged.requireRoot();
        Rootfs.workshopDefault();
        JruncTool.packageJarFromTheClassesUnderTest(tmp);
        String doc = Files.readString(Workshop.root().resolve("step06-images/RUNTIME.adoc"));
        String block = doc.substring(doc.indexOf("== Try it"));
        block = block.substring(block.indexOf("----\n") + 5);
        block = block.substring(0, block.indexOf("\n----"));
        Path state = tmp.resolve("state");
        String script = block.replace("/tmp/", tmp + "/").replace("bin/jrunc run ", "bin/jrunc --root " + state + " run ");
        Command.Result r = Command.of("bash", "-euo", "pipefail", "-c", script)
                .timeout(Duration.ofMinutes(5)).run().assertExit(0);
        assertTrue(r.stdout().contains("Usage: jrunc"), r.stdout());
        assertTrue(r.stdout().contains("/ # echo hello from $(hostname); exit 3\r\nhello from jrunc\r\n"),
                "the shell read the script from its pty: " + r.stdout());
        assertTrue(r.stdout().endsWith("exit status 3\n"), r.stdout());
        assertTrue(Files.isRegularFile(tmp.resolve("box/config.json")));
        assertFalse(Files.exists(state.resolve("demo")), "run removed its container");
    }
}
