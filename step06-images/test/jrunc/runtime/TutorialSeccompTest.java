package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * The seccomp part of the tutorial as a reader meets it: step06-images/commands/seccomp.sh (the
 * "Try it" that RUNTIME.adoc and the slides include) runs as written, and exercise 1's check
 * says "not yet" on a bundle without the answer and "done" with the reference solution.
 */
class TutorialSeccompTest {
    @TempDir
    Path tmp;

    @Test
    void theTryItBlocksMkdirAndThenKillsTheShell() throws Exception {
        Privileged.requireRoot();
        Host before = Host.snapshot(tmp);
        prepare();
        Path state = tmp.resolve("state");
        String script = Files.readString(Workshop.root().resolve("step06-images/commands/seccomp.sh"))
                .replace("cd \"$(dirname \"${BASH_SOURCE[0]}\")/../..\"", "cd " + Workshop.root())
                .replace("/tmp/", tmp + "/")
                .replace("bin/jrunc run ", "bin/jrunc --root " + state + " run ");
        Command.Result r = Command.of("bash", "-c", script).timeout(Duration.ofMinutes(3)).run().assertExit(0);
        String out = r.stdout() + r.stderr();
        assertTrue(r.stdout().contains("Seccomp:\t2\n"), "the shell runs under a filter: " + out);
        assertTrue(out.contains("mkdir: can't create directory '/dev/shm/d': Operation not permitted"), out);
        assertFalse(out.contains("made /dev/shm/d"), out);
        assertTrue(r.stdout().contains("exit status 1\n"), "mkdir's failure is the shell's status: " + out);
        assertTrue(r.stdout().endsWith("exit status 159\n"),
                "SCMP_ACT_KILL_PROCESS kills with SIGSYS (128 + 31): " + out);
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    @Test
    void exerciseOneIsCheckedBothWays() throws Exception {
        Privileged.requireRoot();
        Host before = Host.snapshot(tmp);
        prepare();
        Path bundle = tmp.resolve("sec");
        Files.createDirectories(bundle);
        Command.of("cp", "-a", Rootfs.workshopDefault().toString(), bundle.resolve("rootfs").toString())
                .run().assertExit(0);
        Command.of(jrunc(), "spec", "--bundle", bundle.toString()).run().assertExit(0);

        Command.Result pristine = check(bundle).assertExit(1);
        assertTrue(pristine.stdout().startsWith("not yet: ") && pristine.stdout().contains("has no linux.seccomp"),
                pristine.stdout());

        // A filter that blocks something else: rm still works, and the check says so.
        Command.of("bash", "-c", "jq '.linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\":"
                + " [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}' " + bundle + "/config.json > "
                + tmp + "/c.json && mv " + tmp + "/c.json " + bundle + "/config.json").run().assertExit(0);
        Command.Result wrong = check(bundle).assertExit(1);
        assertTrue(wrong.stdout().startsWith("not yet: rm still removed the file"), wrong.stdout());

        Command.of(Workshop.root().resolve("step06-images/solutions/1.sh").toString(), bundle.toString())
                .run().assertExit(0);
        Command.Result solved = check(bundle).assertExit(0);
        assertEquals("done: rm fails with 'Operation not permitted' and the file stays\n", solved.stdout());
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    private void prepare() throws Exception {
        Rootfs.workshopDefault();
        JruncTool.packageJarFromTheClassesUnderTest(tmp);
    }

    private static String jrunc() {
        return Workshop.root().resolve("bin/jrunc").toString();
    }

    private static Command.Result check(Path bundle) {
        return Command.of(Workshop.root().resolve("bin/check").toString(), "step06", "1", bundle.toString())
                .timeout(Duration.ofMinutes(2)).run();
    }
}
