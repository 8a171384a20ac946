package jrunc.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;

/**
 * Read-only bind mounts of the host files a runtime JVM runs from (the JDK, the jars, the
 * native libraries), made in a private mount namespace before any JVM starts in it.
 *
 * <p>Why: a container can reach a runtime JVM's files through /proc/PID/exe and
 * /proc/PID/fd/N (a "#!/proc/self/exe" program even runs the host's java inside the
 * container). Reopened for writing, such a file is the host's. A file reached through a
 * read-only mount cannot be reopened for writing, by anyone, with any capability: the mount
 * travels with the fd, so this still holds after pivot_root and the detach of the old root.
 */
public final class ReadOnlyView {
    private ReadOnlyView() {}

    // tag::protect[]
    /**
     * In the calling thread's new mount namespace: stops mount events from reaching the host,
     * then binds each path onto itself and makes that bind read-only.
     */
    public static void protectInPlace(Collection<Path> paths) {
        Mounts.mount(null, "/", null, LibC.MS_SLAVE | LibC.MS_REC, null);
        for (Path path : paths) bindReadOnly(path, path);
    }
    // end::protect[]

    // tag::exec-view[]
    /**
     * Moves the calling thread into a tree that holds nothing but the given read-only views:
     * a tmpfs on mountPoint (in the thread's new, private mount namespace) becomes its root,
     * the host's root is detached, and the tmpfs is made read-only. A process started from
     * here shows only this tree through /proc/PID/root, /proc/PID/cwd and mountinfo.
     *
     * @param views   path in the tree → host file or directory bound there, read-only
     * @param mirrors host paths that must resolve in the tree as on the host: each symlink on
     *                the way is copied, then the file it ends at is bound read-only
     * @param files   path in the tree → contents of a small file made there
     */
    public static void enterMinimalRoot(Path mountPoint, Map<String, Path> views,
            Collection<Path> mirrors, Map<String, String> files) {
        // tag::minimal-root[]
        Mounts.mount(null, "/", null, LibC.MS_PRIVATE | LibC.MS_REC, null);
        Mounts.mount("tmpfs", mountPoint.toString(), "tmpfs",
                LibC.MS_NOSUID | LibC.MS_NODEV, "mode=755,size=1m");
        for (Map.Entry<String, Path> v : views.entrySet()) {
            bindReadOnly(v.getValue(), inTree(mountPoint, v.getKey()));
        }
        for (Path host : mirrors) mirror(mountPoint, host, 0);
        files.forEach((path, text) -> write(inTree(mountPoint, path), text));
        Mounts.pivotRoot(mountPoint); // host root detached
        Mounts.mount(null, "/", null, LibC.MS_REMOUNT | LibC.MS_BIND | LibC.MS_RDONLY
                | LibC.MS_NOSUID | LibC.MS_NODEV, null);
        // end::minimal-root[]
    }
    // end::exec-view[]

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LibC.SyscallException("write", file.toString(), LibC.EIO, e.toString());
        }
    }

    /** Binds source onto target (creating an empty target), then makes the bind read-only. */
    static void bindReadOnly(Path source, Path target) {
        boolean dir = Files.isDirectory(source);
        if (!target.equals(source)) makeTarget(target, dir);
        Mounts.mount(source.toString(), target.toString(), null, LibC.MS_BIND, null);
        // A bind ignores MS_RDONLY; a remount of the bind applies it (and keeps nosuid & co).
        Mounts.mount(null, target.toString(), null, LibC.MS_BIND | LibC.MS_REMOUNT | LibC.MS_RDONLY
                | Mounts.lockedFlags(target.toString()), null);
    }

    /** Copies the symlinks on host's way into the tree and binds the file it ends at. */
    private static void mirror(Path root, Path host, int depth) {
        if (depth > 40) throw new LibC.SyscallException("resolve", host.toString(), 40, null);
        Path walked = Path.of("/");
        for (Path part : host) {
            walked = walked.resolve(part);
            if (!Files.isSymbolicLink(walked)) continue;
            Path copy = inTree(root, walked.toString());
            try {
                Path target = Files.readSymbolicLink(walked);
                if (!Files.exists(copy, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(copy.getParent());
                    Files.createSymbolicLink(copy, target);
                }
                Path rest = walked.relativize(host);
                mirror(root, walked.getParent().resolve(target).resolve(rest).normalize(), depth + 1);
                return;
            } catch (IOException e) {
                throw new LibC.SyscallException("mirror", walked.toString(), LibC.EIO, e.toString());
            }
        }
        Path copy = inTree(root, host.toString());
        if (!Files.exists(copy, LinkOption.NOFOLLOW_LINKS)) bindReadOnly(host, copy);
    }

    private static Path inTree(Path root, String path) {
        return root.resolve(path.replaceFirst("^/+", ""));
    }

    private static void makeTarget(Path target, boolean dir) {
        try {
            Files.createDirectories(dir ? target : target.getParent());
            if (!dir && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) Files.createFile(target);
        } catch (IOException e) {
            throw new LibC.SyscallException("create mount point", target.toString(), LibC.EIO,
                    e.toString());
        }
    }
}
