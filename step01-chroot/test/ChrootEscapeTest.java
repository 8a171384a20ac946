import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * The lesson that motivates step03: chroot is not a wall. Root inside mounts /proc, where every
 * process of the host is visible, and /proc/PID/root of one outside the chroot (our parent, the
 * process that started us) is that process's root directory: the host's "/".
 */
class ChrootEscapeTest {
    @TempDir Path scratch;

    @Test
    void rootInsideAChrootReadsAHostFileThroughProc() throws Exception {
        Privileged.requireRoot();
        Path rootfs = Rootfs.copyInto(scratch);
        Path hostFile = scratch.resolve("host-secret");
        String secret = UUID.randomUUID().toString();
        Files.writeString(hostFile, secret);

        // unshare --mount: the /proc mounted inside goes away with this private mount namespace.
        var result = Command.javaMain("Run", rootfs.toString(), "/bin/sh", "-c",
                        "mount -t proc proc /proc && cat /proc/$PPID/root" + hostFile)
                .wrappedIn("unshare", "--mount", "--propagation", "private")
                .run().assertExit(0);

        assertEquals(secret, result.stdout(), "the host file, read from inside the chroot");
    }
}
