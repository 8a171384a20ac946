import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * Failures, most of them inside the init, after pivot_root: the runtime reports what the init
 * sent over the channel (operation, errno name, hint) and exits non-zero.
 */
class Step03ErrorsTest {
    @TempDir Path scratch;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
    }

    static Command step03(String... args) {
        return Command.javaMain("Run", args);
    }

    @Test
    void aRootfsWithoutProcFailsInTheInitWithAHint() throws Exception {
        Path rootfs = Rootfs.copyInto(scratch);
        Files.delete(rootfs.resolve("proc"));
        var result = step03(rootfs.toString(), "/bin/true").run().assertExit(125);
        assertTrue(result.stderr().contains("step03: init: mount proc on /proc: ENOENT"), result.stderr());
        assertTrue(result.stderr().contains("hint: the rootfs needs empty /proc, /dev and /sys directories"), result.stderr());
    }

    @Test
    void aHostnameTheKernelRefusesIsReportedWithItsErrno() {
        String tooLong = "h".repeat(65);
        var result = step03("--hostname", tooLong, Rootfs.workshopDefault().toString(), "/bin/true").run().assertExit(125);
        assertTrue(result.stderr().contains("step03: init: sethostname " + tooLong + ": EINVAL"), result.stderr());
        assertTrue(result.stderr().contains("hint: a hostname is at most 64 bytes"), result.stderr());
    }

    @Test
    void aCommandThatIsNotInTheRootfsExits127() {
        var result = step03(Rootfs.workshopDefault().toString(), "bash").run().assertExit(127);
        assertTrue(result.stderr().contains("step03: command bash: not found in PATH inside"), result.stderr());
    }

    @Test
    void aDynamicallyLinkedBinaryFailsAtExecveWithAHint() throws Exception {
        Path rootfs = Rootfs.copyInto(scratch);
        Files.copy(Path.of("/usr/bin/env"), rootfs.resolve("bin/dynamic-env"));
        var result = step03(rootfs.toString(), "/bin/dynamic-env").run().assertExit(127);
        assertTrue(result.stderr().contains("execve /bin/dynamic-env: ENOENT"), result.stderr());
        assertTrue(result.stderr().contains("dynamically linked"), result.stderr());
    }

    @Test
    void aMissingRootfsSaysHowToBuildOne() {
        var result = step03(scratch.resolve("no-such-rootfs").toString(), "/bin/sh").run().assertExit(125);
        assertTrue(result.stderr().contains("no-such-rootfs: not a directory"), result.stderr());
        assertTrue(result.stderr().contains("bin/build-rootfs"), result.stderr());
    }

    @Test
    void withoutCapSysAdminUnshareIsRefusedWithAHint() {
        var result = step03(Rootfs.workshopDefault().toString(), "/bin/true")
                .wrappedIn("setpriv", "--bounding-set", "-sys_admin").run().assertExit(125);
        assertTrue(result.stderr().contains(
                "unshare CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET: EPERM"), result.stderr());
        assertTrue(result.stderr().contains("run with sudo"), result.stderr());
    }

    @Test
    void theInitRoleIsNotForDirectUse() {
        var result = step03("init").run().assertExit(125);
        assertTrue(result.stderr().contains("not for direct use"), result.stderr());
    }

    @Test
    void anUnknownOptionIsAnError() {
        var result = step03("--frobnicate", "rootfs", "/bin/sh").run().assertExit(125);
        assertTrue(result.stderr().contains("unknown option --frobnicate"), result.stderr());
    }
}
