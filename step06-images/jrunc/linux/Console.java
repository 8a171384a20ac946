package jrunc.linux;

import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.ptr.IntByReference;
import java.nio.charset.StandardCharsets;

/**
 * process.terminal: a pseudo-terminal made inside the container's devpts, whose master end is
 * handed to the caller over --console-socket (an AF_UNIX socket, the fd in an SCM_RIGHTS
 * message, as runc does), while the slave end becomes the process's stdio.
 */
public final class Console {
    private Console() {}

    /** Opens a new pty on ROOTFS/dev/pts/ptmx; returns {master, slave}. */
    public static int[] openPty(String devpts) {
        int master = (int) LibC.check(LibC.C.open(devpts + "/ptmx",
                LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC, 0), "open", devpts + "/ptmx",
                errno -> "is a devpts (newinstance) mounted on /dev/pts?");
        LibC.check(LibC.C.unlockpt(master), "unlockpt", devpts + "/ptmx");
        IntByReference number = new IntByReference();
        LibC.check(LibC.C.ioctl(master, new NativeLong(LibC.TIOCGPTN), number.getPointer()),
                "ioctl TIOCGPTN", devpts + "/ptmx");
        String slavePath = devpts + "/" + number.getValue();
        int slave = (int) LibC.check(LibC.C.open(slavePath, LibC.O_RDWR | LibC.O_NOCTTY, 0),
                "open", slavePath);
        return new int[] {master, slave, number.getValue()};
    }

    /** Connects to --console-socket (the runtime does, so the init needs no path to it). */
    public static int connect(String socketPath) {
        int sock = (int) LibC.check(LibC.C.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.O_CLOEXEC, 0),
                "socket", "AF_UNIX");
        Memory address = new Memory(110);
        address.clear();
        address.setShort(0, (short) LibC.AF_UNIX);
        address.setString(2, socketPath, "UTF-8");
        if (LibC.C.connect(sock, address, 110) != 0) {
            int errno = com.sun.jna.Native.getLastError();
            LibC.C.close(sock);
            throw new LibC.SyscallException("connect --console-socket", socketPath, errno,
                    "is something listening on it (e.g. recvtty)?");
        }
        return sock;
    }

    // tag::send-fd[]
    /** Sends fd over the connected socket sock, in an SCM_RIGHTS control message. */
    public static void sendMaster(int sock, int fd, String name) {
        byte[] payload = name.getBytes(StandardCharsets.UTF_8);
        Memory data = new Memory(payload.length);
        data.write(0, payload, 0, payload.length);
        Memory control = new Memory(24); // CMSG_SPACE(sizeof(int))
        control.clear();
        control.setLong(0, 20); // CMSG_LEN(sizeof(int))
        control.setInt(8, LibC.SOL_SOCKET);
        control.setInt(12, LibC.SCM_RIGHTS);
        control.setInt(16, fd);
        LibC.check(LibC.C.sendmsg(sock, message(data, control), 0), "sendmsg", "console socket");
    }
    // end::send-fd[]

    /** Receives the fd that {@link #sendMaster} sent. */
    public static int receiveMaster(int sock) {
        Memory data = new Memory(256);
        Memory control = new Memory(24);
        control.clear();
        long n = LibC.check(LibC.C.recvmsg(sock, message(data, control), 0), "recvmsg", "console socket");
        if (n <= 0 || control.getInt(12) != LibC.SCM_RIGHTS) {
            throw new LibC.SyscallException("recvmsg", "console socket", LibC.EIO,
                    "the init sent no terminal");
        }
        return control.getInt(16);
    }

    /** struct msghdr with one iovec over data and the control buffer. */
    private static Memory message(Memory data, Memory control) {
        Memory iov = new Memory(16);
        iov.setPointer(0, data);
        iov.setLong(8, data.size());
        Memory message = new Memory(56);
        message.clear();
        message.setPointer(16, iov);
        message.setLong(24, 1);
        message.setPointer(32, control);
        message.setLong(40, control.size());
        return message;
    }

    /** The slave becomes the controlling terminal and stdin, stdout and stderr. */
    public static void becomeStdio(int slave) {
        LibC.check(LibC.C.setsid(), "setsid", "init");
        LibC.check(LibC.C.ioctl(slave, new NativeLong(LibC.TIOCSCTTY), 0), "ioctl TIOCSCTTY",
                "fd " + slave);
        for (int fd = 0; fd <= 2; fd++) LibC.check(LibC.C.dup2(slave, fd), "dup2", "pty to " + fd);
    }
}
