import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.function.IntFunction;

/**
 * The C library calls step02 makes, bound with JNA. Only what this step uses; each line says
 * the kernel rule the step relies on. Calls return -1 and set errno on failure (posix_spawn and
 * friends return the error number instead); the helpers at the bottom turn that into an
 * exception that names the call, what it acted on, and the errno.
 */
interface LibC extends Library {
    LibC C = Native.load("c", LibC.class);

    /**
     * unshare(2): move the calling THREAD into new namespaces. In a JVM that is one thread of
     * many; the others stay where they were. CLONE_NEWNS implies CLONE_FS: this thread gets its
     * own root and working directory, so its chroot is not the JVM's.
     */
    int unshare(int flags);

    int CLONE_NEWNS = 0x00020000;
    int CLONE_NEWUTS = 0x04000000;
    int CLONE_NEWPID = 0x20000000;

    /** sethostname(2): sets the hostname of the caller's UTS namespace (the new one, here). */
    int sethostname(byte[] name, long length);

    /** chroot(2): "/" resolves to path for this thread (CLONE_FS is unshared) and its children. */
    int chroot(String path);

    /** chdir(2): relative paths start here; after chroot, "/" is inside the new root. */
    int chdir(String path);

    /** access(2): can this process execute path? (X_OK), or does it exist at all? (F_OK). */
    int access(String path, int mode);

    int F_OK = 0;
    int X_OK = 1;

    /**
     * posix_spawn(3): create a child running path, set up by the attributes and file actions.
     * The child is created in the calling thread's namespaces "for children": after
     * unshare(CLONE_NEWPID) it is PID 1 of the new PID namespace. Returns an errno, not -1;
     * glibc reports a failed execve in the child (ENOENT, EACCES) the same way.
     */
    int posix_spawn(int[] pid, String path, Pointer fileActions, Pointer attributes,
            String[] argv, String[] envp);

    /** posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 in glibc (x86_64 and aarch64). */
    int SPAWNATTR_BYTES = 336;
    int FILE_ACTIONS_BYTES = 80;

    int posix_spawnattr_init(Pointer attributes);

    /** POSIX_SPAWN_SETSIGMASK: the child starts with this blocked mask instead of ours. */
    int posix_spawnattr_setsigmask(Pointer attributes, Pointer mask);

    /** POSIX_SPAWN_SETSIGDEF: these signals get their default action in the child. */
    int posix_spawnattr_setsigdefault(Pointer attributes, Pointer signals);

    int posix_spawnattr_setflags(Pointer attributes, short flags);

    short POSIX_SPAWN_SETSIGDEF = 0x04;
    short POSIX_SPAWN_SETSIGMASK = 0x08;

    int posix_spawn_file_actions_init(Pointer fileActions);

    /** closefrom(3) in the child before the exec: no JVM fd (jars, modules image) leaks. */
    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int lowFd);

    /** Frees what the file actions allocated. */
    int posix_spawn_file_actions_destroy(Pointer fileActions);

    /** waitpid(2): wait for the child to end; any thread of the parent process may wait. */
    int waitpid(int pid, int[] status, int options);

    int EINTR = 4;

    /**
     * signal(2) with SIG_IGN: the terminal's Ctrl-C (SIGINT) and Ctrl-\ (SIGQUIT) go to the
     * whole foreground process group; like system(3), the waiting runtime ignores them and lets
     * the command decide. Ignored signals stay ignored across exec: see POSIX_SPAWN_SETSIGDEF.
     */
    Pointer signal(int signal, Pointer handler);

    int SIGINT = 2;
    int SIGQUIT = 3;
    Pointer SIG_IGN = Pointer.createConstant(1);

    /** sigfillset(3): a sigset_t with every signal in it. */
    int sigfillset(Pointer set);

    /** glibc's sigset_t is 1024 bits. */
    int SIGSET_BYTES = 128;

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
    int EINVAL = 22;

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

    /** A sigset_t with no signal in it. */
    static Memory emptySignalSet() {
        Memory set = new Memory(SIGSET_BYTES);
        set.clear();
        return set;
    }

    /** A sigset_t with every signal in it. */
    static Memory fullSignalSet() {
        Memory set = new Memory(SIGSET_BYTES);
        check(C.sigfillset(set), "sigfillset", "");
        return set;
    }
}
