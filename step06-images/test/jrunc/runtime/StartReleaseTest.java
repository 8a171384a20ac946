package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import jrunc.linux.LibC;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How start tells a released container from an init that died, on a real fifo and without a
 * race: the init's "is it alive?" answer is given by the test, which writes the init's byte
 * into the fifo at the moment start looks (a quick program released, run and exited between
 * start's read and its look at the process).
 */
class StartReleaseTest {
    @TempDir
    Path tmp;

    int[] fifo(String name) {
        String path = tmp.resolve(name).toString();
        LibC.check(LibC.C.mkfifo(path, 0600), "mkfifo", path);
        int reader = (int) LibC.check(LibC.C.open(path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0), "open", path);
        int writer = (int) LibC.check(LibC.C.open(path, LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0), "open", path);
        return new int[] {reader, writer};
    }

    @Test
    void aByteWrittenAsTheInitExitsIsTheStart() {
        int[] fds = fifo("quick");
        boolean[] written = {false};
        try {
            assertTrue(Lifecycle.released(fds[0], () -> {
                if (!written[0]) LibC.C.write(fds[1], new byte[] {'0'}, 1); // released, ran, exited
                written[0] = true;
                return false; // and gone by the time start looks
            }), "the byte read on the second look is the start");
        } finally {
            LibC.C.close(fds[0]);
            LibC.C.close(fds[1]);
        }
    }

    @Test
    void anInitThatDiesWithoutWritingWasNotStarted() {
        int[] fds = fifo("dead");
        try {
            assertFalse(Lifecycle.released(fds[0], () -> false));
        } finally {
            LibC.C.close(fds[0]);
            LibC.C.close(fds[1]);
        }
    }

    @Test
    void aLiveInitIsWaitedForUntilItWrites() {
        int[] fds = fifo("slow");
        int[] looks = {0};
        try {
            assertTrue(Lifecycle.released(fds[0], () -> {
                if (++looks[0] == 5) LibC.C.write(fds[1], new byte[] {'0'}, 1);
                return true;
            }));
            assertTrue(looks[0] >= 5, "it kept looking while the init lived: " + looks[0]);
        } finally {
            LibC.C.close(fds[0]);
            LibC.C.close(fds[1]);
        }
    }
}
