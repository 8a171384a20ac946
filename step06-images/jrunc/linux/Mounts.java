package jrunc.linux;

import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import jrunc.spec.Spec;

/** mount(2) and pivot_root(2), the way the init prepares the container's file system. */
public final class Mounts {
    private Mounts() {}

    public static void mount(String source, String target, String type, long flags, String data) {
        LibC.check(LibC.C.mount(source, target, type, new NativeLong(flags),
                data == null || data.isEmpty() ? null : data), "mount",
                (type == null ? "" : type + " ") + (source == null ? "" : source + " on ") + target
                        + " (flags 0x" + Long.toHexString(flags) + (data == null ? "" : ", " + data) + ")",
                errno -> errno == LibC.EINVAL && (flags & LibC.MS_PRIVATE) == 0
                        && type == null && (flags & LibC.MS_BIND) == 0
                        ? "is the target a mount point?" : null);
    }

    /**
     * Resolves a container path inside rootfs the way the container will see it: symlinks
     * are followed relative to rootfs, so "/etc -> /host/etc" cannot escape it.
     */
    public static Path secureJoin(Path rootfs, String path) {
        Path current = rootfs;
        int hops = 0;
        java.util.Deque<String> parts = new java.util.ArrayDeque<>(List.of(path.split("/")));
        while (!parts.isEmpty()) {
            String part = parts.pollFirst();
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (!current.equals(rootfs)) current = current.getParent();
                continue;
            }
            Path next = current.resolve(part);
            if (Files.isSymbolicLink(next) && hops++ < 40) {
                try {
                    String target = Files.readSymbolicLink(next).toString();
                    String[] more = target.split("/");
                    for (int i = more.length - 1; i >= 0; i--) parts.addFirst(more[i]);
                    if (target.startsWith("/")) current = rootfs;
                } catch (IOException e) {
                    current = next;
                }
                continue;
            }
            current = next;
        }
        return current;
    }

    /** Creates the mount point: a file for a file source, a directory otherwise. */
    static void makeMountPoint(Path target, boolean file) {
        try {
            if (file) {
                Files.createDirectories(target.getParent());
                if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) Files.createFile(target);
            } else {
                Files.createDirectories(target);
            }
        } catch (IOException e) {
            boolean denied = e instanceof java.nio.file.AccessDeniedException;
            throw new LibC.SyscallException("create mount point", target.toString(),
                    denied ? LibC.EACCES : LibC.EIO, denied
                    ? "in a user namespace the container's root may not write to a root file"
                    + " system owned by the host's root: create the mount point in the bundle"
                    + " first, or chown the rootfs to the mapped uid" : e.toString());
        }
    }

    // tag::mount-entry[]
    /** One entry of config.json's "mounts", below rootfs. */
    public static void mountEntry(Path rootfs, Spec.Mount m, Cgroups cgroups) {
        MountOptions o = MountOptions.parse(m.options());
        Path target = secureJoin(rootfs, m.destination());
        if ("cgroup".equals(m.type()) && !o.isBind()) {
            mountCgroups(target, o, cgroups);
        } else if (o.isBind()) {
            boolean file = !Files.isDirectory(Path.of(m.source()));
            makeMountPoint(target, file);
            mount(m.source(), target.toString(), null, o.flags() & (LibC.MS_BIND | LibC.MS_REC), null);
            // A bind mount ignores every other flag: they need a remount of the new mount.
            long rest = o.flags() & ~(LibC.MS_BIND | LibC.MS_REC);
            if (rest != 0) {
                mount(null, target.toString(), null,
                        rest | LibC.MS_BIND | LibC.MS_REMOUNT | lockedFlags(target.toString()), null);
            }
        } else {
            makeMountPoint(target, false);
            mount(m.source() == null ? m.type() : m.source(), target.toString(), m.type(),
                    o.flags(), o.data());
        }
        for (long propagation : o.propagation()) mount(null, target.toString(), null, propagation, null);
    }
    // end::mount-entry[]

    /**
     * A "cgroup" mount on v1: a tmpfs with one read-only bind of the container's own
     * directory per hierarchy (no cgroup namespace needed, the container sees only its own
     * cgroup). As with runc, "ro" applies to the binds, the tmpfs stays writable. On v2: the container's cgroup directory bound onto the target.
     */
    static void mountCgroups(Path target, MountOptions o, Cgroups cgroups) {
        makeMountPoint(target, false);
        long flags = o.flags() & ~LibC.MS_RDONLY;
        if (Cgroups.isV2()) {
            mount(cgroups.directory(null).toString(), target.toString(), null, LibC.MS_BIND, null);
            mount(null, target.toString(), null, o.flags() | LibC.MS_BIND | LibC.MS_REMOUNT, null);
            return;
        }
        mount("tmpfs", target.toString(), "tmpfs", flags, "mode=755");
        for (var h : CgroupsV1.hierarchies().entrySet()) {
            Path dir = target.resolve(h.getKey());
            makeMountPoint(dir, false);
            mount(cgroups.directory(h.getKey()).toString(), dir.toString(), null, LibC.MS_BIND, null);
            mount(null, dir.toString(), null, o.flags() | LibC.MS_BIND | LibC.MS_REMOUNT, null);
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

    // tag::pivot-root[]
    /**
     * Makes rootfs "/" and forgets the old root. pivot_root(".", ".") stacks the old root
     * on top of the new one at "/" (valid, despite the man page); detaching it leaves only
     * the container's tree.
     */
    public static void pivotRoot(Path rootfs) {
        LibC.check(LibC.C.chdir(rootfs.toString()), "chdir", rootfs.toString());
        LibC.check(LibC.C.syscall(LibC.SYS_PIVOT_ROOT, ".", "."), "pivot_root", rootfs.toString(),
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
