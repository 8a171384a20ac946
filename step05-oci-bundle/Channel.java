import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The runtime's line to its init: one end of a socketpair(2) on each side (the init finds its
 * end at fd 3, placed there by posix_spawn). A message is a list of strings: the runtime sends
 * the spec, the init answers "ready" or "error" and a message. The init's end is closed by its
 * execve (close-on-exec), so the runtime reads end-of-file once the command runs.
 *
 * <p>Only JNA calls (read, send, close) and JDK classes: it works the same before and after
 * the init's pivot_root. On the wire: a 4-byte length, then the strings as DataOutputStream
 * writes them (a count, then each one with writeUTF).
 */
final class Channel implements AutoCloseable {
    /** Where the init finds its end. */
    static final int INIT_FD = 3;

    /** Far more than any spec: argv and environment are limited to a few MiB anyway. */
    static final int MAX_MESSAGE_BYTES = 16 << 20;

    private final int fd;

    private Channel(int fd) {
        this.fd = fd;
    }

    /** Both ends, close-on-exec: only posix_spawn's dup2 to fd 3 hands one on. */
    static Channel[] pair() {
        int[] fds = new int[2];
        LibC.check(LibC.C.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, fds),
                "socketpair", "AF_UNIX");
        return new Channel[] {new Channel(fds[0]), new Channel(fds[1])};
    }

    /** The init's end, inherited at fd 3. */
    static Channel inherited() {
        return new Channel(INIT_FD);
    }

    int fd() {
        return fd;
    }

    void send(String... fields) {
        send(List.of(fields));
    }

    void send(List<String> fields) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(body);
                DataOutputStream framed = new DataOutputStream(message)) {
            out.writeInt(fields.size());
            for (String field : fields) out.writeUTF(field);
            framed.writeInt(body.size());
            body.writeTo(framed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = message.toByteArray();
        LibC.check(LibC.C.send(fd, bytes, bytes.length, LibC.MSG_NOSIGNAL),
                "send", "on the channel (fd " + fd + ")");
    }

    /** The next message, or null if the other end was closed first. */
    List<String> receive() {
        byte[] header = readFully(4, true);
        if (header == null) return null;
        int length = ByteBuffer.wrap(header).getInt();
        if (length < 0 || length > MAX_MESSAGE_BYTES) {
            throw new IllegalStateException("fd " + fd + " does not carry messages from the runtime");
        }
        byte[] body = readFully(length, false);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
            int count = in.readInt();
            List<String> fields = new ArrayList<>(count);
            for (int i = 0; i < count; i++) fields.add(in.readUTF());
            return fields;
        } catch (IOException e) {
            throw new UncheckedIOException("a garbled message on the channel", e);
        }
    }

    private byte[] readFully(int length, boolean endOfFileAllowed) {
        byte[] buffer = new byte[length];
        int done = 0;
        while (done < length) {
            byte[] chunk = new byte[length - done];
            long n = LibC.C.read(fd, chunk, chunk.length);
            int errno = n == -1 ? com.sun.jna.Native.getLastError() : 0;
            if (errno == LibC.EINTR) continue;
            // ECONNRESET: the other end closed before reading all we sent. Closed, then.
            if (errno == LibC.ECONNRESET) n = 0;
            if (n == -1) throw new LibC.SyscallException("read", "from the channel (fd " + fd + ")", errno, null);
            if (n == 0 && done == 0 && endOfFileAllowed) return null;
            if (n == 0) throw new IllegalStateException("the channel closed in the middle of a message");
            System.arraycopy(chunk, 0, buffer, done, (int) n);
            done += (int) n;
        }
        return buffer;
    }

    @Override
    public void close() {
        LibC.C.close(fd);
    }
}
