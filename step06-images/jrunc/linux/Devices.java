package jrunc.linux;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jrunc.spec.Spec;

/** Device nodes and the /dev symlinks every container gets (runc's defaults). */
public final class Devices {
    private Devices() {}

    /** The nodes a container always has, as the runtime-spec lists them (in runc's order). */
    static final List<Spec.Device> DEFAULTS = List.of(
            new Spec.Device("c", "/dev/null", 1L, 3L, 0666, 0L, 0L),
            new Spec.Device("c", "/dev/random", 1L, 8L, 0666, 0L, 0L),
            new Spec.Device("c", "/dev/full", 1L, 7L, 0666, 0L, 0L),
            new Spec.Device("c", "/dev/tty", 5L, 0L, 0666, 0L, 0L),
            new Spec.Device("c", "/dev/zero", 1L, 5L, 0666, 0L, 0L),
            new Spec.Device("c", "/dev/urandom", 1L, 9L, 0666, 0L, 0L));

    // tag::mknod[]
    /**
     * mknod each device below rootfs (umask is 0 in the init, so mode is exact), or, in a user
     * namespace where the kernel refuses mknod, bind-mount the host's node of the same path
     * onto an empty file (its owner and mode are then the host's).
     */
    public static void create(Path rootfs, List<Spec.Device> fromSpec, boolean bindFromHost) {
        List<Spec.Device> all = new ArrayList<>(DEFAULTS);
        if (fromSpec != null) {
            all.removeIf(d -> fromSpec.stream().anyMatch(s -> s.path().equals(d.path())));
            all.addAll(fromSpec);
        }
        for (Spec.Device d : all) {
            Path node = Mounts.secureJoin(rootfs, d.path());
            Mounts.makeMountPoint(node.getParent(), false);
            if (Files.exists(node, LinkOption.NOFOLLOW_LINKS)) {
                LibC.C.unlink(node.toString());
            }
            if (bindFromHost) {
                int fd = (int) LibC.check(LibC.C.open(node.toString(), LibC.O_CREAT | LibC.O_WRONLY
                        | LibC.O_CLOEXEC, 0), "create", node.toString());
                LibC.C.close(fd);
                Mounts.mount(d.path(), node.toString(), null, LibC.MS_BIND, null);
                continue;
            }
            int type = switch (d.type()) {
                case "b" -> LibC.S_IFBLK;
                case "p" -> LibC.S_IFIFO;
                default -> LibC.S_IFCHR;
            };
            int mode = d.fileMode() == null ? 0666 : d.fileMode() & 07777;
            long dev = d.type().equals("p") ? 0 : LibC.makedev(d.major(), d.minor());
            LibC.check(LibC.C.mknod(node.toString(), type | mode, dev), "mknod", node.toString());
            // uid_t is unsigned 32-bit: intValue() keeps the bits of a uid above 2^31.
            int uid = d.uid() == null ? 0 : d.uid().intValue();
            int gid = d.gid() == null ? 0 : d.gid().intValue();
            LibC.check(LibC.C.chown(node.toString(), uid, gid), "chown", node.toString());
        }
    }
    // end::mknod[]

    /** /dev/fd, /dev/std{in,out,err} and /dev/ptmx → pts/ptmx. */
    public static void symlinks(Path rootfs) {
        String[][] links = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                {"pts/ptmx", "ptmx"}};
        Path dev = Mounts.secureJoin(rootfs, "/dev");
        for (String[] link : links) {
            Path path = dev.resolve(link[1]);
            if (link[1].equals("ptmx")) LibC.C.unlink(path.toString());
            if (LibC.C.symlink(link[0], path.toString()) != 0
                    && com.sun.jna.Native.getLastError() != LibC.EEXIST) {
                LibC.check(-1, "symlink", path + " -> " + link[0]);
            }
        }
    }
}
