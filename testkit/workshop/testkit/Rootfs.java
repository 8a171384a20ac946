package workshop.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The workshop's busybox rootfs, built on first use, and private copies for tests that write. */
public final class Rootfs {
    private Rootfs() {}

    /** {@code rootfs/} at the repository root, built by {@code bin/build-rootfs} if needed. */
    public static synchronized Path workshopDefault() {
        Path rootfs = Workshop.root().resolve("rootfs");
        if (!Files.isRegularFile(rootfs.resolve(".workshop-rootfs"))) {
            Command.of(Workshop.root().resolve("bin/build-rootfs").toString())
                    .timeout(Duration.ofMinutes(5)).run().assertExit(0);
        }
        return rootfs;
    }

    /** A copy of the default rootfs in {@code dir}, for a test that changes files in it. */
    public static Path copyInto(Path dir) {
        Path copy = dir.resolve("rootfs");
        Command.of("cp", "-a", workshopDefault().toString(), copy.toString()).run().assertExit(0);
        return copy;
    }
}
