package jrunc.linux;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Paths inside a container's rootfs, resolved by the kernel against an fd of the rootfs.
 * openat2(2) with RESOLVE_IN_ROOT treats that fd as "/": "..", absolute symlinks and chains of
 * them all stay inside, and more than 40 links fail with ELOOP. Nothing is ever resolved to a
 * string and resolved again: entries are created with *at(2) calls on a resolved directory
 * fd and handed out as fds, and mount(2) gets /proc/self/fd/N as its target, a magic link
 * the kernel follows to exactly that dentry. A symlink swapped in meanwhile redirects nothing
 * (the CVE-2021-30465 class of escapes).
 */
public final class InRoot implements AutoCloseable {
    /** The *at(2) calls, each relative to a directory fd (JNA; glibc has no openat2). */
    interface Kernel extends Library {
        Kernel C = Native.load("c", Kernel.class);

        /** syscall(2): openat2 takes a struct open_how {flags, mode, resolve}. */
        long syscall(long number, Object... args);

        /** openat(2): path is looked up from dirfd; O_NOFOLLOW|O_PATH opens a symlink itself. */
        int openat(int dirfd, String path, int flags, int mode);

        /** mkdirat(2): a final symlink is never followed (EEXIST). */
        int mkdirat(int dirfd, String path, int mode);

        /** mknodat(2): a final symlink is never followed (EEXIST). */
        int mknodat(int dirfd, String path, int mode, long dev);

        /** fchownat(2): AT_SYMLINK_NOFOLLOW changes a symlink itself, never its target. */
        int fchownat(int dirfd, String path, int uid, int gid, int flags);

        /** symlinkat(2): the target is stored as text, nothing is resolved. */
        int symlinkat(String target, int dirfd, String linkPath);

        /** unlinkat(2): removes the entry itself, a symlink too (EISDIR for a directory). */
        int unlinkat(int dirfd, String path, int flags);

        /** readlinkat(2): path "" reads the link an O_PATH|O_NOFOLLOW fd is; no NUL added. */
        long readlinkat(int dirfd, String path, byte[] buffer, long size);
    }

    static final long RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_IN_ROOT = 0x10;
    static final int O_EXCL = 0200;
    static final int O_DIRECTORY = OpenFlag.O_DIRECTORY.value(), O_NOFOLLOW = OpenFlag.O_NOFOLLOW.value();
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int ELOOP = 40;
    /** The kernel's MAXSYMLINKS: links followed in one lookup. */
    static final int MAX_LINKS = 40;
    static final String LOOP_HINT = "more than 40 symlinks on the way (or a /proc magic link):"
            + " a path in the rootfs must end inside it";
    /** false once openat2 answered ENOSYS (kernels before 5.6): then {@link #walk} is used. */
    static volatile boolean haveOpenat2 = true;

    private final Path rootfs;
    private final int root;

    private InRoot(Path rootfs, int root) {
        this.rootfs = rootfs;
        this.root = root;
    }

    /** Opens the rootfs; open it after anything is mounted on the rootfs itself. */
    public static InRoot open(Path rootfs) {
        int fd = (int) LibC.check(LibC.C.open(rootfs.toString(), LibC.O_PATH | O_DIRECTORY
                | LibC.O_CLOEXEC, 0), "open", rootfs + " (rootfs)");
        return new InRoot(rootfs, fd);
    }

    @Override
    public void close() {
        LibC.C.close(root);
    }

    /** An open file descriptor and the container path it was resolved from (for messages). */
    public record Fd(int number, String path) implements AutoCloseable {
        /** The magic link mount(2), statvfs(3) or open(2) can take to reach exactly this file. */
        public String procPath() {
            return "/proc/self/fd/" + number;
        }

        @Override
        public void close() {
            LibC.C.close(number);
        }

        @Override
        public String toString() {
            return path;
        }
    }

    /** An O_PATH fd of path, which must exist; symlinks are followed inside the rootfs. */
    public Fd open(String path, String field) {
        return new Fd(checked(resolve(root, path, 0, 0), "open", path, what(path, field)), path);
    }

    /** The file at path, or null when there is none (or it cannot be reached inside the rootfs). */
    public Fd find(String path) {
        int fd = resolve(root, path, 0, 0);
        return fd < 0 ? null : new Fd(fd, path);
    }

    /** The directory at path, with what is missing created (0755), like mkdir -p in the container. */
    public Fd mkdirs(String path, String field) {
        return new Fd(mkdirs(path, what(path, field), 0, 0), path);
    }

    /**
     * The same, but no component may be a symlink: /proc, /sys and /dev must be real
     * directories of the rootfs (runc: "must be mounted on ordinary directory").
     */
    public Fd mkdirsWithoutSymlinks(String path, String field) {
        return new Fd(mkdirs(path, what(path, field), RESOLVE_NO_SYMLINKS, 0), path);
    }

    /** The file at path (a mount point for a file), created empty with mode if missing. */
    public Fd mkfile(String path, String field, int mode) {
        int fd = resolve(root, path, 0, 0);
        String what = what(path, field);
        if (fd != -LibC.ENOENT) return new Fd(checked(fd, "open", path, what), path);
        try (Entry e = entry(path, true, what, 0, 0)) {
            return e.createFile(mode);
        }
    }

    /**
     * The directory that holds path's last component, missing parents created, and the
     * component's name. With followLast a final symlink is followed (inside the rootfs) to
     * the entry it names; without, the entry is the symlink itself.
     */
    public Entry entry(String path, boolean followLast, String field) {
        return entry(path, followLast, what(path, field), 0, 0);
    }

    private Entry entry(String path, boolean followLast, String what, long resolve, int links) {
        List<String> parts = components(path);
        String name = parts.isEmpty() ? "." : parts.get(parts.size() - 1);
        if (name.equals(".") || name.equals("..")) {
            throw new LibC.SyscallException("create", describe(path, what), LibC.EEXIST,
                    "the path names a directory that already exists, not a new entry");
        }
        String parent = "/" + String.join("/", parts.subList(0, parts.size() - 1));
        int dir = mkdirs(parent, what, resolve, links);
        String target = followLast ? readLink(dir, name) : null;
        if (target == null) return new Entry(new Fd(dir, parent), name, path, what);
        LibC.C.close(dir);
        if ((resolve & RESOLVE_NO_SYMLINKS) != 0 || links + 1 > MAX_LINKS) {
            throw loop(path, what, resolve);
        }
        String next = target.startsWith("/") ? target : parent + "/" + target;
        return entry(next, true, what, resolve, links + 1);
    }

    private int mkdirs(String path, String what, long resolve, int links) {
        int fd = resolve(root, path, O_DIRECTORY, resolve);
        if (fd != -LibC.ENOENT) return checked(fd, "open", path, what, resolve);
        try (Entry e = entry(path, true, what, resolve, links)) {
            if (Kernel.C.mkdirat(e.dir.number, e.name, 0755) != 0 && Native.getLastError() != LibC.EEXIST) {
                LibC.check(-1, "mkdir", describe(path, what));
            }
            // O_NOFOLLOW: if a symlink took the new directory's place, this fails (ENOTDIR).
            return (int) LibC.check(Kernel.C.openat(e.dir.number, e.name, LibC.O_PATH | O_DIRECTORY
                    | O_NOFOLLOW | LibC.O_CLOEXEC, 0), "open", describe(path, what));
        }
    }

    /** One entry of a resolved directory: everything on it is done relative to that fd. */
    public record Entry(Fd dir, String name, String path, String what) implements AutoCloseable {
        /** Removes whatever is there (a symlink itself, never its target); none is fine. */
        public void unlink() {
            if (Kernel.C.unlinkat(dir.number, name, 0) != 0 && Native.getLastError() != LibC.ENOENT) {
                LibC.check(-1, "unlink", describe(path, what));
            }
        }

        public void mknod(int mode, long dev, int uid, int gid) {
            LibC.check(Kernel.C.mknodat(dir.number, name, mode, dev), "mknod", describe(path, what));
            LibC.check(Kernel.C.fchownat(dir.number, name, uid, gid, AT_SYMLINK_NOFOLLOW), "chown",
                    describe(path, what));
        }

        /** A new empty file (O_EXCL: never an existing file or a symlink's target). */
        public Fd createFile(int mode) {
            int fd = (int) LibC.check(Kernel.C.openat(dir.number, name, LibC.O_CREAT | O_EXCL
                    | O_NOFOLLOW | LibC.O_RDONLY | LibC.O_CLOEXEC, mode), "create", describe(path, what));
            return new Fd(fd, path);
        }

        /** A symlink here; an existing entry is left as it is. */
        public void symlink(String target) {
            if (Kernel.C.symlinkat(target, dir.number, name) != 0 && Native.getLastError() != LibC.EEXIST) {
                LibC.check(-1, "symlink", describe(path, what) + " -> " + target);
            }
        }

        @Override
        public void close() {
            dir.close();
        }
    }

    /**
     * An O_PATH fd of path resolved from root as if root were "/", or -errno. openat2 retries
     * EAGAIN: the kernel answers it when a rename raced a ".." step.
     */
    static int resolve(int root, String path, int flags, long resolve) {
        if (haveOpenat2) {
            // tag::openat2[]
            Memory how = new Memory(24);
            how.setLong(0, LibC.O_PATH | LibC.O_CLOEXEC | flags);
            how.setLong(8, 0);
            how.setLong(16, resolve | RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
            for (int attempt = 0; attempt < 32; attempt++) {
                long fd = Kernel.C.syscall(Syscall.openat2.number(), root, path, how, 24L);
                if (fd >= 0) return (int) fd;
                int errno = Native.getLastError();
                if (errno == LibC.ENOSYS) {
                    haveOpenat2 = false;
                    break;
                }
                if (errno != LibC.EAGAIN) return -errno;
            }
            // end::openat2[]
            if (haveOpenat2) return -LibC.EAGAIN;
        }
        return walk(root, path, flags, resolve);
    }

    /**
     * What openat2 does, for kernels without it: one component at a time with
     * openat(O_PATH|O_NOFOLLOW), so the kernel never follows a link itself. A link's text is
     * put back in front of the rest (from the root if absolute), at most 40 times; ".." pops
     * the stack of opened directories and never above the root. A /proc magic link is only
     * text here, and that text is resolved inside the root too.
     */
    static int walk(int root, String path, int flags, long resolve) {
        Deque<Integer> opened = new ArrayDeque<>(); // directories below root; the top is current
        Deque<String> rest = new ArrayDeque<>(components(path));
        int links = 0;
        try {
            while (!rest.isEmpty()) {
                String part = rest.pollFirst();
                if (part.equals("..")) {
                    if (!opened.isEmpty()) LibC.C.close(opened.pop());
                    continue;
                }
                int dir = opened.isEmpty() ? root : opened.peek();
                int fd = Kernel.C.openat(dir, part, LibC.O_PATH | O_NOFOLLOW | LibC.O_CLOEXEC, 0);
                if (fd < 0) return -Native.getLastError();
                String target = readLink(fd, "");
                if (target == null) {
                    opened.push(fd);
                    continue;
                }
                LibC.C.close(fd);
                if ((resolve & RESOLVE_NO_SYMLINKS) != 0 || ++links > MAX_LINKS) return -ELOOP;
                if (target.startsWith("/")) {
                    while (!opened.isEmpty()) LibC.C.close(opened.pop());
                }
                List<String> more = components(target);
                for (int i = more.size() - 1; i >= 0; i--) rest.addFirst(more.get(i));
            }
            if (!opened.isEmpty() && (flags & O_DIRECTORY) == 0) return opened.pop();
            // "." gives the caller its own fd of the root, or checks O_DIRECTORY (ENOTDIR).
            int fd = Kernel.C.openat(opened.isEmpty() ? root : opened.peek(), ".",
                    LibC.O_PATH | LibC.O_CLOEXEC | O_DIRECTORY, 0);
            return fd < 0 ? -Native.getLastError() : fd;
        } finally {
            while (!opened.isEmpty()) LibC.C.close(opened.pop());
        }
    }

    /** The non-empty, non-"." components of a path; ".." stays (it depends on the links). */
    static List<String> components(String path) {
        List<String> parts = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) parts.add(part);
        }
        return parts;
    }

    /** The link's text, or null when the entry is not a symlink. */
    static String readLink(int dir, String name) {
        byte[] buffer = new byte[4096];
        long n = Kernel.C.readlinkat(dir, name, buffer, buffer.length);
        return n < 0 ? null : new String(buffer, 0, (int) n, StandardCharsets.UTF_8);
    }

    /** What the caller asked for ("mounts[3].destination /x"), and path if the error is elsewhere. */
    static String describe(String path, String what) {
        return what.equals(path) || what.endsWith(" " + path) ? what : what + " (at " + path + ")";
    }

    static String what(String path, String field) {
        return field == null ? path : field + " " + path;
    }

    private int checked(int fd, String operation, String path, String what) {
        return checked(fd, operation, path, what, 0);
    }

    private int checked(int fd, String operation, String path, String what, long resolve) {
        if (fd >= 0) return fd;
        if (-fd == ELOOP) throw loop(path, what, resolve);
        throw new LibC.SyscallException(operation, describe(path, what) + " in " + rootfs, -fd, null);
    }

    private LibC.SyscallException loop(String path, String what, long resolve) {
        return new LibC.SyscallException("resolve", describe(path, what) + " in " + rootfs, ELOOP,
                (resolve & RESOLVE_NO_SYMLINKS) != 0 ? "must be mounted on ordinary directory:"
                        + " the rootfs has a symlink on that path; make it a directory" : LOOP_HINT);
    }
}
