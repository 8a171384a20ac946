import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/** How a run ends when it does not end well, and the messages that say why. */
class Step02ErrorsTest {
    @TempDir Path scratch;
    Process runtime;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
    }

    @AfterEach
    void stopRuntime() throws InterruptedException {
        if (runtime != null) {
            runtime.descendants().forEach(ProcessHandle::destroyForcibly);
            runtime.destroyForcibly().waitFor();
        }
    }

    static Command step02(String... args) {
        return Command.javaMain("Run", args);
    }

    @Test
    void aCommandKilledBySignalNExitsWith128PlusN() throws Exception {
        runtime = step02(Rootfs.workshopDefault().toString(), "/bin/sleep", "30").start();
        // PID 1 ignores signals it has no handler for, except SIGKILL from outside its namespace.
        ProcessHandle sleep = awaitChild(runtime, Duration.ofSeconds(30));
        sleep.destroyForcibly();
        assertEquals(128 + 9, runtime.waitFor(), "exit status after SIGKILL");
    }

    /** The runtime's child, once it runs busybox (the JVM's children are the command). */
    static ProcessHandle awaitChild(Process runtime, Duration limit) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline) && runtime.isAlive()) {
            Optional<ProcessHandle> child = runtime.children()
                    .filter(p -> p.info().command().orElse("").endsWith("/busybox")).findFirst();
            if (child.isPresent()) return child.get();
            Thread.sleep(20);
        }
        throw new AssertionError("the command never started");
    }

    @Test
    void aMissingRootfsSaysHowToBuildOne() {
        var result = step02(scratch.resolve("no-such-rootfs").toString(), "/bin/sh").run().assertExit(125);
        assertTrue(result.stderr().contains("rootfs " + scratch.resolve("no-such-rootfs") + ": not a directory"), result.stderr());
        assertTrue(result.stderr().contains("bin/build-rootfs"), result.stderr());
    }

    @Test
    void aCommandThatIsNotInTheRootfsExits127() {
        var result = step02(Rootfs.workshopDefault().toString(), "bash").run().assertExit(127);
        assertTrue(result.stderr().contains("command bash: not found in PATH inside"), result.stderr());
    }

    @Test
    void aDynamicallyLinkedBinaryNeedsItsLibrariesInTheRootfs() throws Exception {
        Path rootfs = Rootfs.copyInto(scratch);
        java.nio.file.Files.copy(Path.of("/usr/bin/env"), rootfs.resolve("bin/dynamic-env"));
        var result = step02(rootfs.toString(), "/bin/dynamic-env").run().assertExit(127);
        assertTrue(result.stderr().contains("execve /bin/dynamic-env: ENOENT"), result.stderr());
        assertTrue(result.stderr().contains("dynamically linked"), result.stderr());
    }

    @Test
    void withoutCapSysAdminUnshareIsRefusedWithAHint() {
        var result = step02(Rootfs.workshopDefault().toString(), "/bin/true")
                .wrappedIn("setpriv", "--bounding-set", "-sys_admin").run().assertExit(125);
        assertTrue(result.stderr().contains("unshare CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNS: EPERM"), result.stderr());
        assertTrue(result.stderr().contains("run with sudo"), result.stderr());
    }

    @Test
    void anUnknownOptionIsAnError() {
        var result = step02("--frobnicate", "rootfs", "/bin/sh").run().assertExit(125);
        assertTrue(result.stderr().contains("unknown option --frobnicate"), result.stderr());
    }
}
