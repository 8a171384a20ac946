package jrunc.linux;

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
     * onto an empty file (its owner and mode are then the host's). Each node is made in the
     * directory fd the kernel resolved inside rootfs, replacing what was there.
     */
    public static void create(Path rootfs, List<Spec.Device> fromSpec, boolean bindFromHost) {
        List<Spec.Device> all = new ArrayList<>(DEFAULTS);
        if (fromSpec != null) {
            all.removeIf(d -> fromSpec.stream().anyMatch(s -> s.path().equals(d.path())));
            all.addAll(fromSpec);
        }
        try (InRoot root = InRoot.open(rootfs)) {
            for (Spec.Device d : all) {
                int index = fromSpec == null ? -1 : fromSpec.indexOf(d);
                String field = index < 0 ? "default device" : "linux.devices[" + index + "].path";
                try (InRoot.Entry node = root.entry(d.path(), false, field)) {
                    node.unlink();
                    if (bindFromHost) {
                        try (InRoot.Fd file = node.createFile(0)) {
                            Mounts.mount(d.path(), file, field, null, LibC.MS_BIND, null);
                        }
                        continue;
                    }
                    int type = switch (d.type()) {
                        case "b" -> LibC.S_IFBLK;
                        case "p" -> LibC.S_IFIFO;
                        default -> LibC.S_IFCHR;
                    };
                    int mode = d.fileMode() == null ? 0666 : d.fileMode() & 07777;
                    long dev = d.type().equals("p") ? 0 : LibC.makedev(d.major(), d.minor());
                    // uid_t is unsigned 32-bit: intValue() keeps the bits of a uid above 2^31.
                    node.mknod(type | mode, dev, d.uid() == null ? 0 : d.uid().intValue(),
                            d.gid() == null ? 0 : d.gid().intValue());
                }
            }
        }
    }
    // end::mknod[]

    /** /dev/fd, /dev/std{in,out,err} and /dev/ptmx → pts/ptmx. */
    public static void symlinks(Path rootfs) {
        String[][] links = {{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
                {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                {"pts/ptmx", "ptmx"}};
        try (InRoot root = InRoot.open(rootfs)) {
            for (String[] link : links) {
                try (InRoot.Entry entry = root.entry("/dev/" + link[1], false, null)) {
                    if (link[1].equals("ptmx")) entry.unlink();
                    entry.symlink(link[0]);
                }
            }
        }
    }
}
