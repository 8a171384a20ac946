package jrunc.image;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** The few libc calls the unpacker needs that java.nio.file cannot make. */
interface UnpackLibC extends Library {
    UnpackLibC INSTANCE = Native.load("c", UnpackLibC.class);

    int S_IFCHR = 0020000;
    int S_IFBLK = 0060000;
    int S_IFIFO = 0010000;

    /** mknod(2): device nodes need CAP_MKNOD; a 0/0 char device is also overlayfs's whiteout. */
    int mknod(String path, int mode, long dev);

    /** lsetxattr(2): sets an attribute on the entry itself, never a symlink's target; trusted.* needs CAP_SYS_ADMIN. */
    int lsetxattr(String path, String name, byte[] value, long size, int flags);

    /** lgetxattr(2): the attribute's size, or -1 (ENODATA when it is not set). */
    long lgetxattr(String path, String name, byte[] value, long size);

    int AT_FDCWD = -100;
    int AT_SYMLINK_NOFOLLOW = 0x100;

    /**
     * utimensat(2) with AT_SYMLINK_NOFOLLOW: sets times without opening the file (opening a
     * FIFO would block) and on a symlink itself. {@code times} is two timespecs: sec, nsec, sec, nsec.
     */
    int utimensat(int dirfd, String path, long[] times, int flags);

    /** gnu_dev_makedev(3) packs major and minor into a dev_t (the kernel's split is not 8/8). */
    long gnu_dev_makedev(int major, int minor);

    /** strerrorname_np(3): "EPERM" rather than a sentence (glibc 2.32+). */
    String strerrorname_np(int errnum);

    /** Throws an IOException naming the call, the path and errno's name when {@code result} is -1. */
    static void check(int result, String operation, Object path) throws java.io.IOException {
        if (result != -1) return;
        int errno = Native.getLastError();
        throw new java.io.IOException(operation + " " + path + ": " + INSTANCE.strerrorname_np(errno)
                + (errno == 1 ? " (needs root: CAP_MKNOD / CAP_SYS_ADMIN)" : ""));
    }
}
