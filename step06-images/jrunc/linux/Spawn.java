package jrunc.linux;

import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import java.util.concurrent.atomic.AtomicReference;

/**
 * posix_spawn(3) from a fresh platform thread that first unshares or joins namespaces: the
 * Java form of Go's SysProcAttr.Cloneflags. The thread dies afterwards, so the JVM's other
 * threads never see the namespaces.
 */
public final class Spawn {
    private Spawn() {}

    /** What the spawning thread does to itself before posix_spawn. */
    @FunctionalInterface
    public interface ThreadSetup {
        void apply();
    }

    /**
     * Starts path with argv/env; fds[i] becomes fd 3+i in the child (stdio is inherited) and
     * every other fd is closed. Returns the child's PID.
     */
    public static int spawn(ThreadSetup setup, String path, String[] argv, String[] env, int[] fds) {
        return onFreshThread("jrunc-spawn", () -> {
            setup.apply();
            return spawnHere(path, argv, env, fds);
        });
    }

    /**
     * Runs work on a new platform thread and returns its result: what the thread does to its
     * namespaces, root and cwd dies with it.
     */
    public static <T> T onFreshThread(String name, java.util.function.Supplier<T> work) {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                result.set(work.get());
            } catch (RuntimeException | Error e) {
                result.set(e);
            }
        }, name);
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted in " + name, e);
        }
        if (result.get() instanceof RuntimeException e) throw e;
        if (result.get() instanceof Error e) throw e;
        @SuppressWarnings("unchecked")
        T value = (T) result.get();
        return value;
    }

    // tag::posix-spawn[]
    /** posix_spawn on the calling thread, with a clean signal mask and fds 3.. placed. */
    public static int spawnHere(String path, String[] argv, String[] env, int[] fds) {
        return spawnHere(path, argv, env, fds, -1);
    }

    /** The same, with stdin (fd 0) taken from stdinFd unless it is -1. */
    public static int spawnHere(String path, String[] argv, String[] env, int[] fds,
            int stdinFd) {
        Memory actions = new Memory(256);
        Memory attributes = new Memory(512);
        LibC.C.posix_spawn_file_actions_init(actions);
        LibC.C.posix_spawnattr_init(attributes);
        try {
            if (stdinFd >= 0) LibC.C.posix_spawn_file_actions_adddup2(actions, stdinFd, 0);
            for (int i = 0; i < fds.length; i++) {
                LibC.C.posix_spawn_file_actions_adddup2(actions, fds[i], 3 + i);
            }
            LibC.C.posix_spawn_file_actions_addclosefrom_np(actions, 3 + fds.length);
            // The JVM blocks some signals and handles others: the child starts clean.
            Memory all = LibC.emptySignalSet();
            LibC.C.sigfillset(all);
            LibC.C.posix_spawnattr_setsigdefault(attributes, all);
            LibC.C.posix_spawnattr_setsigmask(attributes, LibC.emptySignalSet());
            LibC.C.posix_spawnattr_setflags(attributes,
                    (short) (LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF));
            IntByReference pid = new IntByReference();
            int rc = LibC.C.posix_spawn(pid, path, actions, attributes, argv, env);
            if (rc != 0) throw new LibC.SyscallException("posix_spawn", path, rc, null);
            return pid.getValue();
        } finally {
            LibC.C.posix_spawn_file_actions_destroy(actions);
            LibC.C.posix_spawnattr_destroy(attributes);
        }
    }
    // end::posix-spawn[]

    /** waitpid: the exit status, or 128+N when killed by signal N (a shell's convention). */
    public static int waitFor(int pid) {
        IntByReference status = new IntByReference();
        while (LibC.C.waitpid(pid, status, 0) == -1) {
            int errno = com.sun.jna.Native.getLastError();
            if (errno != LibC.EINTR) throw new LibC.SyscallException("waitpid", "" + pid, errno, null);
        }
        return exitStatus(status.getValue());
    }

    /** waitpid(WNOHANG): the status, -1 while still running, -2 if waitpid failed. */
    public static int poll(int pid) {
        IntByReference status = new IntByReference();
        int rc = LibC.C.waitpid(pid, status, LibC.WNOHANG);
        return rc == pid ? exitStatus(status.getValue()) : rc == 0 ? -1 : -2;
    }

    static int exitStatus(int status) {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }
}
