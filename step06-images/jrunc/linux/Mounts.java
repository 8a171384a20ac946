package jrunc.linux;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardCopyOption.COPY_ATTRIBUTES;

import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Set;
import jrunc.spec.Spec;

/** mount(2) and pivot_root(2), the way the init prepares the container's file system. */
public final class Mounts {
    private Mounts() {}

    public static void mount(String source, String target, String type, long flags, String data) {
        LibC.check(LibC.C.mount(source, target, type, new NativeLong(flags),
                data == null || data.isEmpty() ? null : data), "mount",
                (type == null ? "" : type + " ") + (source == null ? "" : source + " on ") + target
                        + " (flags 0x" + Long.toHexString(flags) + (data == null ? "" : ", " + data) + ")",
                errno -> hint(errno, type, flags));
    }

    static String hint(int errno, String type, long flags) {
        return errno == LibC.EINVAL && (flags & LibC.MS_PRIVATE) == 0 && type == null
                && (flags & LibC.MS_BIND) == 0 ? "is the target a mount point?" : null;
    }

    /** mount(2) onto a resolved fd: the kernel follows /proc/self/fd/N to exactly that dentry. */
    public static void mount(String source, InRoot.Fd target, String field, String type,
            long flags, String data) {
        LibC.check(LibC.C.mount(source, target.procPath(), type, new NativeLong(flags),
                data == null || data.isEmpty() ? null : data), "mount",
                (type == null ? "" : type + " ") + (source == null ? "" : source + " on ") + target
                        + " (" + (field == null ? "" : field + ", ") + "flags 0x" + Long.toHexString(flags)
                        + (data == null ? "" : ", " + data) + ")", errno -> hint(errno, type, flags));
    }

    /**
     * Where a mount must land on a real directory: a symlink there would let the image choose
     * where procfs, sysfs or the container's /dev go (runc refuses it the same way).
     */
    static final Set<String> ORDINARY_DIRECTORIES = Set.of("/proc", "/sys", "/dev", "/dev/pts",
            "/dev/shm", "/dev/mqueue");

    // tag::mount-entry[]
    /**
     * One entry of config.json's "mounts" below rootfs; field names it in errors
     * ("mounts[3]"). The kernel resolves the destination inside rootfs, the mount point is
     * created relative to the fds it resolved to, and the mount lands on the fd.
     */
    public static void mountEntry(Path rootfs, Spec.Mount m, String field, Cgroups cgroups) {
        MountOptions o = MountOptions.parse(m.options());
        String dest = m.destination(), where = field + ".destination";
        try (InRoot root = InRoot.open(rootfs)) {
            if ("cgroup".equals(m.type()) && !o.isBind()) {
                mountCgroups(root, dest, where, o, cgroups);
            } else if (o.isBind()) {
                bindMount(root, m.source(), dest, where, o);
            } else {
                // As runc: only a tmpfs copies up (elsewhere the option means nothing), and
                // a read-only one is made read-only once the files are in.
                boolean copyUp = o.copyUp() && "tmpfs".equals(m.type());
                long flags = copyUp ? o.flags() & ~LibC.MS_RDONLY : o.flags();
                try (InRoot.Fd target = mountPoint(root, dest, where)) {
                    mount(m.source() == null ? m.type() : m.source(), target, where,
                            m.type(), flags, o.data());
                    if (copyUp) copyUp(root, target, dest, where);
                }
                if (flags != o.flags()) remount(root, dest, where, o.flags() | LibC.MS_REMOUNT);
            }
            for (long propagation : o.propagation()) remount(root, dest, where, propagation);
        }
    }

    /** A bind mount ignores every other flag: they need a remount of the new mount. */
    static void bindMount(InRoot root, String source, String dest, String field, MountOptions o) {
        boolean file = !Files.isDirectory(Path.of(source));
        try (InRoot.Fd target = file ? root.mkfile(dest, field, 0644) : mountPoint(root, dest, field)) {
            mount(source, target, field, null, o.flags() & (LibC.MS_BIND | LibC.MS_REC), null);
        }
        long rest = o.flags() & ~(LibC.MS_BIND | LibC.MS_REC);
        if (rest != 0) {
            try (InRoot.Fd mounted = root.open(dest, field)) {
                mount(null, mounted, field, null, rest | LibC.MS_BIND | LibC.MS_REMOUNT
                        | lockedFlags(mounted.procPath()), null);
            }
        }
    }
    // end::mount-entry[]

    // tag::copy-up[]
    /**
     * tmpcopyup: the fd opened before the mount still names the directory under it, so the
     * files that were there are copied from it into the new mount (owner, mode, times and
     * symlinks kept, as runc does); the rootfs's own files are never written.
     */
    static void copyUp(InRoot root, InRoot.Fd under, String dest, String field) {
        try (InRoot.Fd mounted = root.open(dest, field)) {
            Path from = Path.of(under.procPath(), "."), to = Path.of(mounted.procPath(), ".");
            copyTree(from, to, dest);
            Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
        } catch (IOException e) {
            throw new IllegalStateException(field + ": tmpcopyup of " + dest + ": " + e.getMessage(), e);
        }
    }
    // end::copy-up[]

    /** shown: the directory as the container sees it, for errors. */
    private static void copyTree(Path from, Path to, String shown) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(from)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                Path copy = to.resolve(name);
                var a = Files.readAttributes(entry, PosixFileAttributes.class, NOFOLLOW_LINKS);
                if (a.isOther()) {
                    throw new IOException(shown + "/" + name + " is a device, fifo or socket;"
                            + " jrunc copies files, directories and symlinks only");
                }
                Files.copy(entry, copy, COPY_ATTRIBUTES, NOFOLLOW_LINKS);
                if (a.isDirectory()) copyTree(entry, copy, shown + "/" + name);
                Files.setAttribute(copy, "unix:uid", Files.getAttribute(entry, "unix:uid", NOFOLLOW_LINKS), NOFOLLOW_LINKS);
                Files.setAttribute(copy, "unix:gid", Files.getAttribute(entry, "unix:gid", NOFOLLOW_LINKS), NOFOLLOW_LINKS);
            }
        }
    }

    /** The directory to mount on, created if missing; see {@link #ORDINARY_DIRECTORIES}. */
    static InRoot.Fd mountPoint(InRoot root, String dest, String field) {
        return ORDINARY_DIRECTORIES.contains(clean(dest)) ? root.mkdirsWithoutSymlinks(dest, field)
                : root.mkdirs(dest, field);
    }

    /**
     * mount(2) again on what is mounted at dest now (a remount, a propagation change): the
     * path is resolved afresh, as the fd from before the mount is the directory under it.
     */
    static void remount(InRoot root, String dest, String field, long flags) {
        try (InRoot.Fd mounted = root.open(dest, field)) {
            mount(null, mounted, field, null, flags, null);
        }
    }

    /** "/a//b/./c" as "/a/b/c" (".." is kept: what it means depends on the symlinks). */
    static String clean(String path) {
        return "/" + String.join("/", InRoot.components(path));
    }

    /**
     * A "cgroup" mount on v1: a tmpfs with one read-only bind of the container's own
     * directory per hierarchy (no cgroup namespace needed, the container sees only its own
     * cgroup). As with runc, "ro" applies to the binds, the tmpfs stays writable. On v2: the container's cgroup directory bound onto the target.
     */
    static void mountCgroups(InRoot root, String dest, String field, MountOptions o, Cgroups cgroups) {
        long bindFlags = o.flags() | LibC.MS_BIND | LibC.MS_REMOUNT;
        if (Cgroups.isV2()) {
            try (InRoot.Fd target = root.mkdirs(dest, field)) {
                mount(cgroups.directory(null).toString(), target, field, null, LibC.MS_BIND, null);
            }
            remount(root, dest, field, bindFlags);
            return;
        }
        try (InRoot.Fd target = root.mkdirs(dest, field)) {
            mount("tmpfs", target, field, "tmpfs", o.flags() & ~LibC.MS_RDONLY, "mode=755");
        }
        for (var h : CgroupsV1.hierarchies().entrySet()) {
            String dir = dest + "/" + h.getKey();
            try (InRoot.Fd target = root.mkdirs(dir, field)) {
                mount(cgroups.directory(h.getKey()).toString(), target, field, null, LibC.MS_BIND, null);
            }
            remount(root, dir, field, bindFlags);
        }
    }

    /** nosuid/nodev/noexec/atime flags a mount has now, which a bind remount must keep. */
    public static long lockedFlags(String path) {
        Memory buffer = new Memory(128);
        if (LibC.C.statvfs(path, buffer) != 0) return 0;
        long st = buffer.getLong(72);
        long flags = st & (LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC | LibC.MS_NOATIME
                | LibC.MS_NODIRATIME);
        if ((st & 4096) != 0) flags |= LibC.MS_RELATIME; // ST_RELATIME
        return flags;
    }

    /**
     * Makes the mount that holds dir private if it is shared. pivot_root refuses a new root
     * whose parent mount is shared (EINVAL), and the bind of the rootfs onto itself would
     * otherwise appear at the parent's peers too (rootfsPropagation "shared" makes "/" one).
     */
    public static void makeParentPrivateIfShared(Path dir) {
        String parent = "/";
        boolean shared = false;
        try {
            dir = dir.toRealPath();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                String point = unescape(f[4]);
                // Later lines are mounted on top of earlier ones at the same point.
                if (dir.startsWith(point) && point.length() >= parent.length()) {
                    parent = point;
                    shared = false;
                    for (int i = 6; !f[i].equals("-"); i++) shared |= f[i].startsWith("shared:");
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("read /proc/self/mountinfo: " + e.getMessage(), e);
        }
        if (shared) mount(null, parent, null, LibC.MS_PRIVATE, null);
    }

    /** mountinfo writes space, tab, newline and backslash as \ooo. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    // tag::pivot-root[]
    /**
     * Makes rootfs "/" and forgets the old root. pivot_root(".", ".") stacks the old root
     * on top of the new one at "/" (valid, despite the man page); detaching it leaves only
     * the container's tree.
     */
    public static void pivotRoot(Path rootfs) {
        LibC.check(LibC.C.chdir(rootfs.toString()), "chdir", rootfs.toString());
        LibC.check(LibC.C.syscall(Syscall.pivot_root.number(), ".", "."), "pivot_root", rootfs.toString(),
                errno -> errno == LibC.EINVAL ? "rootfs must be a mount point and / must not"
                        + " be shared (mount --make-rprivate /)" : null);
        LibC.check(LibC.C.umount2(".", LibC.MNT_DETACH), "umount2", "old root");
        LibC.check(LibC.C.chdir("/"), "chdir", "/");
    }
    // end::pivot-root[]

    /** maskedPaths: /dev/null over a file, an empty read-only tmpfs over a directory. */
    public static void mask(String path) {
        if (LibC.C.access(path, LibC.F_OK) != 0) return;
        if (Files.isDirectory(Path.of(path))) {
            mount("tmpfs", path, "tmpfs", LibC.MS_RDONLY, null);
        } else {
            mount("/dev/null", path, null, LibC.MS_BIND, null);
        }
    }

    /** readonlyPaths: bind the path onto itself, then remount that bind read-only. */
    public static void makeReadonly(String path) {
        if (LibC.C.access(path, LibC.F_OK) != 0) return;
        mount(path, path, null, LibC.MS_BIND | LibC.MS_REC, null);
        mount(null, path, null, lockedFlags(path) | LibC.MS_BIND | LibC.MS_REMOUNT
                | LibC.MS_RDONLY | LibC.MS_REC, null);
    }

    public static void writeFile(String path, String value) {
        int fd = (int) LibC.check(LibC.C.open(path, LibC.O_WRONLY | LibC.O_CLOEXEC, 0), "open", path);
        try {
            byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            LibC.check(LibC.C.write(fd, bytes, bytes.length), "write " + value + " to", path);
        } finally {
            LibC.C.close(fd);
        }
    }
}
