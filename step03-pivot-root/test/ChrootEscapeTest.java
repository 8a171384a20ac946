import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * step01's escape, tried again. There it read a host file through /proc/$PPID/root. Here the
 * parent is outside the PID namespace ($PPID is 0), PID 1 is the container's own command, and
 * the host's root is no longer mounted anywhere in the container's mount namespace.
 */
class ChrootEscapeTest {
    @TempDir Path scratch;

    @Test
    void theStep01EscapeNoLongerReachesTheHost() throws Exception {
        Privileged.requireRoot();
        Path rootfs = Rootfs.copyInto(scratch);
        Path hostFile = scratch.resolve("host-secret");
        String secret = UUID.randomUUID().toString();
        Files.writeString(hostFile, secret);

        var viaParent = Command.javaMain("Run", rootfs.toString(), "/bin/sh", "-c",
                "echo PPID=$PPID; mount -t proc proc /proc && cat /proc/$PPID/root" + hostFile).run();
        var viaPid1 = Command.javaMain("Run", rootfs.toString(), "/bin/sh", "-c",
                "cat /proc/1/root" + hostFile).run();

        assertEquals("PPID=0\n", viaParent.stdout(), "no parent visible, and nothing read");
        assertNotEquals(0, viaParent.exitCode(), viaParent.stderr());
        assertEquals("", viaPid1.stdout());
        assertNotEquals(0, viaPid1.exitCode(), viaPid1.stderr());
        assertFalse((viaParent.stderr() + viaPid1.stderr()).contains(secret));
    }
}
