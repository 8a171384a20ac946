import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.function.IntFunction;

/**
 * The C library calls step01 makes, bound with JNA. Only what this step uses; each line says
 * the kernel rule the step relies on. Every call returns -1 and sets errno on failure; the
 * helpers at the bottom turn that into an exception that names the call, the path and errno.
 */
interface LibC extends Library {
    LibC C = Native.load("c", LibC.class);

    /** chroot(2): "/" resolves to path for this process from now on; the cwd is left alone. */
    int chroot(String path);

    /** chdir(2): relative paths start here; after chroot, "/" is inside the new root. */
    int chdir(String path);

    /** access(2): can this process execute path? (X_OK), or does it exist at all? (F_OK). */
    int access(String path, int mode);

    int F_OK = 0;
    int X_OK = 1;

    /** execve(2): replace this process (same PID) with path; returns only on failure. */
    int execve(String path, String[] argv, String[] envp);

    /** sigprocmask(2): the blocked-signal mask is inherited across execve. */
    int sigprocmask(int how, Pointer set, Pointer oldset);

    int SIG_SETMASK = 2;
    /** glibc's sigset_t is 1024 bits. */
    int SIGSET_BYTES = 128;

    /** close_range(2) with CLOSE_RANGE_CLOEXEC: mark fds first..last to close at execve. */
    int close_range(int first, int last, int flags);

    int CLOSE_RANGE_CLOEXEC = 1 << 2;

    /** strerrorname_np(3): "ENOENT" for 2, so errors can name the errno. */
    String strerrorname_np(int errnum);

    /** strerror(3): "No such file or directory" for 2. */
    String strerror(int errnum);

    /** A failed call: the operation, what it acted on, the errno name, and a hint if we have one. */
    final class SyscallException extends RuntimeException {
        final int errno;

        SyscallException(String operation, String subject, int errno, String hint) {
            super(operation + " " + subject + ": " + C.strerrorname_np(errno) + " ("
                    + C.strerror(errno) + ")" + (hint == null ? "" : "\n  hint: " + hint));
            this.errno = errno;
        }
    }

    int EPERM = 1;
    int ENOENT = 2;
    int EACCES = 13;

    /** Throws if rc is -1, with errno read right after the call. */
    static void check(int rc, String operation, String subject) {
        check(rc, operation, subject, errno -> null);
    }

    /** The same, with a hint for the errno values whose cause is common. */
    static void check(int rc, String operation, String subject, IntFunction<String> hint) {
        if (rc == -1) {
            int errno = Native.getLastError();
            throw new SyscallException(operation, subject, errno, hint.apply(errno));
        }
    }

    /** An all-zero sigset_t: no signal blocked. */
    static Memory emptySignalSet() {
        Memory set = new Memory(SIGSET_BYTES);
        set.clear();
        return set;
    }
}
