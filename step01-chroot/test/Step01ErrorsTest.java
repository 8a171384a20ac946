import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/** The mistakes a learner makes first, and the messages that say how to fix them. */
class Step01ErrorsTest {
    @TempDir Path scratch;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
    }

    static Command step01(String... args) {
        return Command.javaMain("Run", args);
    }

    @Test
    void aMissingRootfsSaysHowToBuildOne() {
        var result = step01(scratch.resolve("no-such-rootfs").toString(), "/bin/sh").run().assertExit(125);
        assertTrue(result.stderr().contains("no-such-rootfs"), result.stderr());
        assertTrue(result.stderr().contains("ENOENT"), result.stderr());
        assertTrue(result.stderr().contains("bin/build-rootfs"), result.stderr());
    }

    @Test
    void aCommandThatIsNotInTheRootfsExits127() {
        var result = step01(Rootfs.workshopDefault().toString(), "bash").run().assertExit(127);
        assertTrue(result.stderr().contains("command bash: not found in PATH inside"), result.stderr());
    }

    @Test
    void aDynamicallyLinkedBinaryNeedsItsLibrariesInTheRootfs() throws Exception {
        Path rootfs = Rootfs.copyInto(scratch);
        Files.copy(Path.of("/usr/bin/env"), rootfs.resolve("bin/dynamic-env"));
        var result = step01(rootfs.toString(), "/bin/dynamic-env").run().assertExit(127);
        assertTrue(result.stderr().contains("execve /bin/dynamic-env: ENOENT"), result.stderr());
        assertTrue(result.stderr().contains("dynamically linked"), result.stderr());
    }

    @Test
    void withoutRootChrootIsRefusedWithAHint() {
        // Root minus CAP_SYS_CHROOT is what an ordinary user has here: chroot says EPERM.
        var result = step01(Rootfs.workshopDefault().toString(), "/bin/true")
                .wrappedIn("setpriv", "--bounding-set", "-sys_chroot").run().assertExit(125);
        assertTrue(result.stderr().contains("chroot " + Rootfs.workshopDefault() + ": EPERM"), result.stderr());
        assertTrue(result.stderr().contains("run with sudo"), result.stderr());
    }

    @Test
    void anUnknownOptionIsAnError() {
        var result = step01("--frobnicate", "rootfs", "/bin/sh").run().assertExit(125);
        assertTrue(result.stderr().contains("unknown option --frobnicate"), result.stderr());
    }
}
