package jrunc.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import jrunc.linux.LibC;

/**
 * The runtime and its init talk over one end each of a socketpair: one line per message
 * ("started", "go PID", "ready", "error MESSAGE"). Plain read/write through JNA, so the init
 * can still use it after pivot_root, when the JDK could not load its NIO classes any more.
 */
public final class SyncChannel {
    private final int fd;

    public SyncChannel(int fd) {
        this.fd = fd;
    }

    public void send(String line) {
        byte[] bytes = (line.replace("\n", "\\n") + "\n").getBytes(StandardCharsets.UTF_8);
        int done = 0;
        while (done < bytes.length) {
            byte[] rest = java.util.Arrays.copyOfRange(bytes, done, bytes.length);
            long n = LibC.C.write(fd, rest, rest.length);
            if (n <= 0) return; // the peer is gone; its exit status tells the story
            done += (int) n;
        }
    }

    /** The next line, or null when the peer closed its end (it exited). */
    public String receive() {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        byte[] one = new byte[1];
        while (true) {
            long n = LibC.C.read(fd, one, 1);
            if (n == -1 && com.sun.jna.Native.getLastError() == LibC.EINTR) continue;
            if (n <= 0) return null;
            if (one[0] == '\n') return line.toString(StandardCharsets.UTF_8).replace("\\n", "\n");
            line.write(one[0]);
        }
    }

    public void close() {
        LibC.C.close(fd);
    }
}
