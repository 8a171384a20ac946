import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.function.IntFunction;

/**
 * The C library calls step05 makes, bound with JNA. Only what this step uses; each line says
 * the kernel rule the step relies on. Calls return -1 and set errno on failure (posix_spawn and
 * friends return the error number instead); the helpers at the bottom turn that into an
 * exception that names the call, what it acted on, and the errno.
 *
 * <p>The init loads this binding (and libc) before pivot_root: a call made after it only looks
 * a symbol up in the libc that is already mapped, it never opens a file.
 */
interface LibC extends Library {
    LibC C = Native.load("c", LibC.class);

    // ---- The runtime: new namespaces, spawn the init, wait -------------------------------

    /**
     * unshare(2): move the calling THREAD into new namespaces. In a JVM that is one thread of
     * many; the others stay where they were, and so does the JVM's own PID.
     */
    int unshare(int flags);

    int CLONE_NEWNS = 0x00020000;
    int CLONE_NEWUTS = 0x04000000;
    int CLONE_NEWIPC = 0x08000000;
    int CLONE_NEWPID = 0x20000000;
    int CLONE_NEWNET = 0x40000000;

    /**
     * posix_spawn(3): create a child running path, set up by the attributes and file actions.
     * The child is created in the calling thread's namespaces "for children": after
     * unshare(CLONE_NEWPID) it is PID 1 of the new PID namespace. Returns an errno, not -1.
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

    /** dup2(2) in the child: our end of the channel becomes the init's fd 3. */
    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

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
    int SIGKILL = 9;
    int SIGTERM = 15;
    Pointer SIG_IGN = Pointer.createConstant(1);

    /** sigfillset(3): a sigset_t with every signal in it. */
    int sigfillset(Pointer set);

    /** glibc's sigset_t is 1024 bits. */
    int SIGSET_BYTES = 128;

    // ---- The channel between runtime and init --------------------------------------------

    /** socketpair(2): two connected sockets; what one end sends, the other reads. */
    int socketpair(int domain, int type, int protocol, int[] fds);

    int AF_UNIX = 1;
    int SOCK_STREAM = 1;
    int SOCK_CLOEXEC = 0x80000;

    /** send(2) with MSG_NOSIGNAL: a peer that is gone is EPIPE, not a SIGPIPE. */
    long send(int fd, byte[] buffer, long length, int flags);

    int MSG_NOSIGNAL = 0x4000;

    /** read(2): 0 means the other end is closed (for the init's end: it exec'd or died). */
    long read(int fd, byte[] buffer, long count);

    int ECONNRESET = 104;

    /** close(2). */
    int close(int fd);

    // ---- The init: mounts, pivot_root, devices, hostname, network --------------------------

    /** prctl(2) PR_SET_PDEATHSIG: this signal arrives when the thread that spawned us ends. */
    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    int PR_SET_PDEATHSIG = 1;

    /**
     * mount(2): attach a filesystem, or with MS_BIND make a directory appear at a second place,
     * or with MS_PRIVATE change how mount events propagate (source and type are then ignored).
     */
    int mount(String source, String target, String type, long flags, String data);

    long MS_RDONLY = 1;
    long MS_NOSUID = 2;
    long MS_NODEV = 4;
    long MS_NOEXEC = 8;
    long MS_SYNCHRONOUS = 16;
    long MS_REMOUNT = 32;
    long MS_NOATIME = 1024;
    long MS_BIND = 4096;
    long MS_REC = 16384;
    long MS_PRIVATE = 1 << 18;
    long MS_RELATIME = 1 << 21;
    long MS_STRICTATIME = 1 << 24;

    /** umount2(2) with MNT_DETACH: unmount now from the tree, free it when no longer used. */
    int umount2(String target, int flags);

    int MNT_DETACH = 2;

    /**
     * syscall(2), for pivot_root(2): glibc has no wrapper. pivot_root(new, old) makes new the
     * root mount of this mount namespace and puts the old root mount at old.
     */
    long syscall(long number, String newRoot, String putOld);


    /**
     * The numbers syscall(2) takes differ per architecture: x86_64 has a table of its own
     * (arch/x86/entry/syscalls/syscall_64.tbl), arm64 uses the kernel's generic one
     * (include/uapi/asm-generic/unistd.h). One row per call, named as the kernel names it;
     * os.arch picks the column.
     */
    // tag::syscall-table[]
    enum Syscall {
        pivot_root(155, 41),
        pidfd_send_signal(424, 424),
        pidfd_open(434, 434);

        final long x86_64, aarch64;

        Syscall(long x86_64, long aarch64) {
            this.x86_64 = x86_64;
            this.aarch64 = aarch64;
        }

        /** The number on the machine this JVM runs on. */
        long number() {
            return number(System.getProperty("os.arch"));
        }

        long number(String osArch) {
            return switch (osArch) {
                case "amd64", "x86_64" -> x86_64;
                case "aarch64" -> aarch64;
                default -> throw new SyscallException(name(), "on os.arch " + osArch, ENOSYS,
                        "step05 knows the syscall numbers of x86_64 and aarch64 only:"
                        + " add a column for " + osArch + " to LibC.Syscall");
            };
        }
    }
    // end::syscall-table[]

    /** chdir(2): relative paths start here. */
    int chdir(String path);

    /** mkdir(2), mknod(2), chmod(2), symlink(2): building /dev. mknod is subject to umask. */
    int mkdir(String path, int mode);

    int mknod(String path, int mode, long device);

    int S_IFCHR = 0020000;

    int chmod(String path, int mode);

    int symlink(String target, String linkPath);

    /** sethostname(2): sets the hostname of the caller's UTS namespace (the new one, here). */
    int sethostname(byte[] name, long length);

    /** socket(2) and ioctl(2) SIOCGIFFLAGS/SIOCSIFFLAGS: read and set an interface's flags. */
    int socket(int domain, int type, int protocol);

    int ioctl(int fd, long request, Pointer argument);

    int AF_INET = 2;
    int SOCK_DGRAM = 2;
    long SIOCGIFFLAGS = 0x8913;
    long SIOCSIFFLAGS = 0x8914;
    /** struct ifreq: 16 bytes of interface name, then (here) a short of flags; 40 in all. */
    int IFREQ_BYTES = 40;
    int IFREQ_FLAGS_OFFSET = 16;
    short IFF_UP = 1;

    /** access(2): can this process execute path? (X_OK), or does it exist at all? (F_OK). */
    int access(String path, int mode);

    int F_OK = 0;
    int X_OK = 1;

    /** execve(2): replace this process (same PID) with path; returns only on failure. */
    int execve(String path, String[] argv, String[] envp);

    /** sigprocmask(2): the blocked-signal mask is inherited across execve. */
    int sigprocmask(int how, Pointer set, Pointer oldset);

    int SIG_SETMASK = 2;

    /** close_range(2) with CLOSE_RANGE_CLOEXEC: mark fds first..last to close at execve. */
    int close_range(int first, int last, int flags);

    int CLOSE_RANGE_CLOEXEC = 1 << 2;

    // ---- The runtime: cgroups (a cgroup is a directory, its settings are files) ----------
    // These go through JNA rather than java.nio because the kernel's answer is in errno
    // (EBUSY, ENOENT, EINVAL), and that is what a learner needs to see when a write is refused.

    /** rmdir(2) of a cgroup: only an empty one (no processes, no children), else EBUSY. */
    int rmdir(String path);

    /** open(2): cgroup files are opened for writing only, never created. */
    int open(String path, int flags);

    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_CLOEXEC = 0x80000;
    /** O_PATH: a handle on the file itself, opening nothing; a FIFO does not block. */
    int O_PATH = 0x200000;

    /** write(2): one write is one setting; the kernel validates it and may refuse it. */
    long write(int fd, byte[] buffer, long count);

    /** kill(2): SIGKILL cannot be caught, so a process in a cgroup we remove really goes. */
    int kill(int pid, int signal);

    // ---- create/start: exec.fifo ---------------------------------------------------------

    /**
     * mkfifo(3): a named pipe. Opening it for writing blocks until someone opens it for
     * reading (and the other way round): that rendezvous is what start is.
     */
    int mkfifo(String path, int mode);

    // ---- kill/delete: a process that is not our child ------------------------------------

    /**
     * pidfd_open(2) and pidfd_send_signal(2), through syscall(2) (rows of Syscall): a pidfd names
     * one process for good; unlike a PID it cannot come to mean another process later.
     */
    long syscall(long number, long arg1, long arg2, Pointer arg3, long arg4);

    /** poll(2) on a pidfd: POLLIN once the process has exited. */
    int poll(Pointer fds, long count, int timeoutMillis);

    /** struct pollfd: int fd, short events, short revents. */
    int POLLFD_BYTES = 8;
    short POLLIN = 1;

    // ---- Errors --------------------------------------------------------------------------

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
    int ESRCH = 3;
    int EBUSY = 16;
    int EEXIST = 17;
    int ENOTDIR = 20;
    int EINVAL = 22;
    int ENOSYS = 38;
    int ENOTEMPTY = 39;

    /** Throws if rc is -1, with errno read right after the call. */
    static void check(long rc, String operation, String subject) {
        check(rc, operation, subject, errno -> null);
    }

    /** The same, with a hint for the errno values whose cause is common. */
    static void check(long rc, String operation, String subject, IntFunction<String> hint) {
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
