package jrunc.linux;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.util.function.IntFunction;

/**
 * The C library calls jrunc makes, bound with JNA. Each line states the kernel rule jrunc relies
 * on. All return -1 and set errno on failure; {@link #check} turns that into a
 * {@link SyscallException} that names the call, its subject and the errno.
 */
public interface LibC extends Library {
    LibC C = Native.load("c", LibC.class);

    /** unshare(2): new namespaces for the calling thread only (the JVM's others stay). */
    int unshare(int flags);

    /** setns(2): the calling thread joins the namespace fd refers to (mnt: needs own fs). */
    int setns(int fd, int nstype);

    /** mount(2): flags select bind/remount/propagation; data is the filesystem's options. */
    int mount(String source, String target, String fstype, NativeLong flags, String data);

    /** umount2(2): MNT_DETACH unmounts lazily, once nothing uses the mount. */
    int umount2(String target, int flags);

    /** syscall(2): for calls glibc does not wrap (the rows of Syscall). */
    long syscall(long number, Object... args);

    /** sethostname(2) / setdomainname(2): per UTS namespace. */
    int sethostname(byte[] name, long len);

    int setdomainname(byte[] name, long len);

    int chdir(String path);

    int chroot(String path);

    int mkfifo(String path, int mode);

    /** flock(2): an advisory lock on an open file or directory, released when it closes. */
    int flock(int fd, int operation);

    int LOCK_SH = 1, LOCK_EX = 2;

    /** mknod(2) via glibc's __xmknod-free wrapper; dev is makedev(major, minor). */
    int mknod(String path, int mode, long dev);

    int open(String path, int flags, int mode);

    int close(int fd);

    int dup2(int from, int to);

    /** dup3(2): dup2 that can set O_CLOEXEC on the new fd. */
    int dup3(int from, int to, int flags);

    long read(int fd, byte[] buffer, long count);

    long write(int fd, byte[] buffer, long count);

    int access(String path, int mode);

    int F_OK = 0, X_OK = 1;

    /** rmdir(2): the only way to remove a cgroup; EBUSY while it holds processes. */
    int rmdir(String path);

    int unlink(String path);

    /**
     * execve(2): replaces the process; the calling thread becomes the only one. Arguments
     * made native beforehand: under a seccomp filter even a malloc's mmap may be refused.
     */
    int execve(Pointer path, Pointer argv, Pointer envp);

    /** sigprocmask(2): HotSpot's blocked SIGQUIT would survive execve. */
    int sigprocmask(int how, Pointer set, Pointer oldset);

    int kill(int pid, int signal);

    int waitpid(int pid, IntByReference status, int options);

    int getpid();

    int setsid();

    int ioctl(int fd, NativeLong request, Object... args);

    int umask(int mask);

    int setgroups(long size, int[] groups);

    /** setresuid/setresgid: glibc applies them to every thread of the process. */
    int setresuid(int ruid, int euid, int suid);

    int setresgid(int rgid, int egid, int sgid);

    /** prctl(2): per thread (bounding set, keepcaps, no_new_privs, ambient set). */
    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    /** prctl(PR_SET_NAME): the calling thread's name, as /proc/PID/task/TID/comm shows it. */
    int prctl(int option, String arg2, long arg3, long arg4, long arg5);

    /** memfd_create(2): an anonymous file that lives only as long as an fd refers to it. */
    int memfd_create(String name, int flags);

    /** getcwd(3): glibc fails with ENOENT when the cwd is not below the process's root. */
    String getcwd(byte[] buffer, long size);

    /** setrlimit(2): per process; raising above the hard limit needs CAP_SYS_RESOURCE. */
    int prlimit(int pid, int resource, long[] newLimit, long[] oldLimit);

    int prlimit(int pid, int resource, Pointer newLimit, Pointer oldLimit);

    int socketpair(int domain, int type, int protocol, int[] fds);

    int socket(int domain, int type, int protocol);

    int connect(int fd, Pointer address, int length);

    long sendmsg(int fd, Pointer message, int flags);

    long recvmsg(int fd, Pointer message, int flags);

    int isatty(int fd);

    /** termios: 60 bytes on x86_64 glibc. */
    int tcgetattr(int fd, Pointer termios);

    int tcsetattr(int fd, int when, Pointer termios);

    void cfmakeraw(Pointer termios);

    int unlockpt(int fd);

    int pipe2(int[] fds, int flags);

    /** statvfs(3): f_flag (offset 72 on x86_64) holds a mount's ST_* flags. */
    int statvfs(String path, Pointer buffer);

    int symlink(String target, String linkPath);

    int chown(String path, int uid, int gid);

    int chmod(String path, int mode);

    // posix_spawn(3): the Java form of fork+exec with file actions, safe from an unshared thread.
    int posix_spawn(IntByReference pid, String path, Pointer fileActions, Pointer attributes,
            String[] argv, String[] envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int from);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int posix_spawnattr_init(Pointer attributes);

    int posix_spawnattr_setflags(Pointer attributes, short flags);

    int posix_spawnattr_setsigmask(Pointer attributes, Pointer mask);

    int posix_spawnattr_setsigdefault(Pointer attributes, Pointer mask);

    int posix_spawnattr_destroy(Pointer attributes);

    int sigfillset(Pointer set);

    String strerrorname_np(int errnum);

    String strerror(int errnum);

    // Numbers from <sched.h>, <sys/mount.h>, <fcntl.h>, <sys/prctl.h> (x86_64 and aarch64 alike;
    // what differs is in Syscall and OpenFlag).
    int CLONE_NEWNS = 0x00020000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
            CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000,
            CLONE_NEWNET = 0x40000000, CLONE_FS = 0x00000200;
    long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
            MS_REMOUNT = 32, MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOSYMFOLLOW = 256,
            MS_NOATIME = 1024, MS_NODIRATIME = 2048, MS_BIND = 4096, MS_REC = 16384,
            MS_SILENT = 32768, MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19,
            MS_SHARED = 1 << 20, MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24,
            MS_LAZYTIME = 1 << 25;
    int MNT_DETACH = 2;
    int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_NOCTTY = 0400, O_NONBLOCK = 04000,
            O_CLOEXEC = 02000000, O_PATH = 010000000;
    int S_IFCHR = 0020000, S_IFBLK = 0060000, S_IFIFO = 0010000;
    int SIG_SETMASK = 2, SIGKILL = 9, SIGTERM = 15;
    int WNOHANG = 1;
    int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ECHILD = 10, EAGAIN = 11, EACCES = 13,
            EBUSY = 16, EEXIST = 17, ENOTDIR = 20, EINVAL = 22, EPIPE = 32, ENOSYS = 38;
    int AF_UNIX = 1, SOCK_STREAM = 1, SOL_SOCKET = 1, SCM_RIGHTS = 1;
    int PR_SET_DUMPABLE = 4, PR_SET_KEEPCAPS = 8, PR_SET_NAME = 15, PR_CAPBSET_DROP = 24,
            PR_SET_NO_NEW_PRIVS = 38, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2;
    /** Orphaned descendants are re-parented to a subreaper, not to PID 1. */
    int PR_SET_CHILD_SUBREAPER = 36;
    short POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSIGDEF = 0x04;
    int CLOSE_RANGE_CLOEXEC = 1 << 2, MFD_CLOEXEC = 1;
    long TIOCSCTTY = 0x540E, TIOCGPTN = 0x80045430L, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;
    int TCSANOW = 0;

    /** A failed call: the operation, what it acted on, the errno name, and a hint. */
    final class SyscallException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        public final int errno;

        public SyscallException(String operation, String subject, int errno, String hint) {
            super(operation + " " + subject + ": " + name(errno) + " (" + C.strerror(errno) + ")"
                    + (hint == null ? "" : "\n  hint: " + hint));
            this.errno = errno;
        }

        static String name(int errno) {
            String name = C.strerrorname_np(errno);
            return name == null ? "errno " + errno : name;
        }
    }

    /** Throws if rc is -1, with errno read right after the call. */
    static long check(long rc, String operation, String subject) {
        return check(rc, operation, subject, errno -> null);
    }

    static long check(long rc, String operation, String subject, IntFunction<String> hint) {
        if (rc == -1) {
            int errno = Native.getLastError();
            throw new SyscallException(operation, subject, errno, hint.apply(errno));
        }
        return rc;
    }

    /** A sigset_t (glibc: 1024 bits), all clear. */
    /** A NUL-terminated UTF-8 copy of s in native memory (JNA's String uses jna.encoding). */
    static Memory cString(String s) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Memory m = new Memory(bytes.length + 1);
        m.write(0, bytes, 0, bytes.length);
        m.setByte(bytes.length, (byte) 0);
        return m;
    }

    static Memory emptySignalSet() {
        Memory set = new Memory(128);
        set.clear();
        return set;
    }

    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }
}
