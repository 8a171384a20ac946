import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/** Bad limits are refused before anything is created, with what to type instead. */
class Step04ErrorsTest {
    String rootfs;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
        rootfs = Rootfs.workshopDefault().toString();
    }

    static String refused(String... args) {
        return Command.javaMain("Run", args).run().assertExit(125).stderr();
    }

    @Test
    void aNegativeMemoryLimitIsNotASize() {
        String stderr = refused("--memory", "-1", rootfs, "true");
        assertTrue(stderr.startsWith("step04: --memory -1: not a size; use bytes or a number with"
                + " k, m or g, e.g. 512k, 64m, 1g"), stderr);
    }

    @Test
    void zeroCpusIsNotACpuShare() {
        String stderr = refused("--cpus", "0", rootfs, "true");
        assertTrue(stderr.startsWith("step04: --cpus 0: not a CPU share; use a number from 0.01"), stderr);
    }

    @Test
    void pidsMustBeANumber() {
        String stderr = refused("--pids", "abc", rootfs, "true");
        assertTrue(stderr.startsWith("step04: --pids abc: not a number of processes"), stderr);
    }

    @Test
    void aLimitWithoutAValueSaysSo() {
        String stderr = refused("--memory");
        assertTrue(stderr.startsWith("step04: --memory needs a value"), stderr);
    }

    @Test
    void anUnknownOptionIsAnError() {
        String stderr = refused("--memory-swap", "1g", rootfs, "true");
        assertTrue(stderr.startsWith("step04: unknown option --memory-swap"), stderr);
    }
}
