package jrunc.runtime;

import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import jrunc.linux.Console;
import jrunc.linux.LibC;

/**
 * "jrunc run" (or exec) in the foreground with process.terminal and no --console-socket: the
 * init sends the pty's master end back to jrunc, which copies jrunc's stdin to it and its
 * output to jrunc's stdout, as runc does. When stdin is a terminal it is put into raw mode
 * (the container's pty does the line editing) and its size is passed on, also on SIGWINCH.
 */
final class TerminalRelay implements AutoCloseable {
    private final int master;
    private final Memory saved;
    private final Thread output;

    // tag::relay[]
    private TerminalRelay(int master, Memory saved) {
        this.master = master;
        this.saved = saved;
        Thread input = new Thread(() -> copy(0, master, true), "jrunc-stdin");
        input.setDaemon(true);
        input.start();
        output = new Thread(() -> copy(master, 1, false), "jrunc-stdout");
        output.start();
    }

    /** Takes the master end from the socket the init sent it over, and starts copying. */
    static TerminalRelay start(int receiver) {
        int master;
        try {
            master = Console.receiveMaster(receiver);
        } finally {
            LibC.C.close(receiver);
        }
        Memory saved = null;
        if (LibC.C.isatty(0) == 1) {
            saved = new Memory(64);
            if (LibC.C.tcgetattr(0, saved) == 0) {
                Memory raw = new Memory(64);
                raw.write(0, saved.getByteArray(0, 64), 0, 64);
                LibC.C.cfmakeraw(raw);
                LibC.C.tcsetattr(0, LibC.TCSANOW, raw);
                resize(master);
                onWindowChange(master);
            } else {
                saved = null;
            }
        }
        return new TerminalRelay(master, saved);
    }
    // end::relay[]

    /** read → write until EOF or an error; stdin's EOF becomes ^D on the pty. */
    private static void copy(int from, int to, boolean endWithEot) {
        byte[] buffer = new byte[8192];
        while (true) {
            long n = LibC.C.read(from, buffer, buffer.length);
            if (n < 0 && com.sun.jna.Native.getLastError() == LibC.EINTR) continue;
            if (n <= 0) break; // EOF, or EIO once every holder of the slave end has exited
            for (long done = 0; done < n; ) {
                byte[] rest = done == 0 ? buffer : java.util.Arrays.copyOfRange(buffer, (int) done, (int) n);
                long w = LibC.C.write(to, rest, n - done);
                if (w <= 0) return;
                done += w;
            }
        }
        if (endWithEot) LibC.C.write(to, new byte[] {4}, 1);
    }

    private static void resize(int master) {
        Memory size = new Memory(8); // struct winsize: rows, cols, xpixel, ypixel
        if (LibC.C.ioctl(0, new NativeLong(LibC.TIOCGWINSZ), size) == 0) {
            LibC.C.ioctl(master, new NativeLong(LibC.TIOCSWINSZ), size);
        }
    }

    @SuppressWarnings("removal")
    private static void onWindowChange(int master) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), s -> resize(master));
        } catch (IllegalArgumentException e) {
            // the JVM reserves it: sizes stay as they were at start
        }
    }

    /** After the process exited: the rest of its output, then the terminal as it was. */
    @Override
    public void close() {
        try {
            output.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LibC.C.close(master);
        if (saved != null) LibC.C.tcsetattr(0, LibC.TCSANOW, saved);
    }
}
