package jrunc.linux;

import java.util.LinkedHashMap;
import java.util.Map;

/** The runtime-spec's namespace types and their clone flags. */
public final class Namespaces {
    /** In the order they are joined: user first, mount last. */
    public static final Map<String, Integer> FLAGS = new LinkedHashMap<>();
    static final int CLONE_NEWTIME = 0x00000080;

    static {
        FLAGS.put("user", LibC.CLONE_NEWUSER);
        FLAGS.put("ipc", LibC.CLONE_NEWIPC);
        FLAGS.put("uts", LibC.CLONE_NEWUTS);
        FLAGS.put("network", LibC.CLONE_NEWNET);
        FLAGS.put("pid", LibC.CLONE_NEWPID);
        FLAGS.put("cgroup", LibC.CLONE_NEWCGROUP);
        FLAGS.put("time", CLONE_NEWTIME);
        FLAGS.put("mount", LibC.CLONE_NEWNS);
    }

    /** The name under /proc/PID/ns/ for a spec type. */
    // tag::loopback-up[]
    /**
     * A new network namespace has only "lo", and it is down: up, as runc does, so that a
     * server on 127.0.0.1 inside works. SIOCGIFFLAGS/SIOCSIFFLAGS on any socket take a
     * struct ifreq: the name (16 bytes), then the flags (a short).
     */
    public static void loopbackUp() {
        int fd = (int) LibC.check(LibC.C.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
                "socket", "AF_INET (to bring lo up)");
        try {
            com.sun.jna.Memory ifreq = new com.sun.jna.Memory(40);
            ifreq.clear();
            ifreq.setString(0, "lo", "US-ASCII");
            LibC.check(LibC.C.ioctl(fd, new com.sun.jna.NativeLong(SIOCGIFFLAGS), ifreq), "ioctl SIOCGIFFLAGS", "lo");
            ifreq.setShort(16, (short) (ifreq.getShort(16) | IFF_UP));
            LibC.check(LibC.C.ioctl(fd, new com.sun.jna.NativeLong(SIOCSIFFLAGS), ifreq), "ioctl SIOCSIFFLAGS", "lo up");
        } finally {
            LibC.C.close(fd);
        }
    }
    // end::loopback-up[]

    static final int AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 02000000, SIOCGIFFLAGS = 0x8913,
            SIOCSIFFLAGS = 0x8914, IFF_UP = 1;

    public static String procName(String type) {
        return switch (type) {
            case "network" -> "net";
            case "mount" -> "mnt";
            default -> type;
        };
    }

    /** The option util-linux's nsenter and unshare take for a spec type. */
    public static String optionName(String type) {
        return type.equals("network") ? "net" : type;
    }

    /** The spec's entry for a namespace type, or null. */
    public static jrunc.spec.Spec.Namespace find(jrunc.spec.Spec spec, String type) {
        return find(spec.linux(), type);
    }

    public static jrunc.spec.Spec.Namespace find(jrunc.spec.Spec.Linux linux, String type) {
        if (linux == null || linux.namespaces() == null) return null;
        return linux.namespaces().stream().filter(ns -> type.equals(ns.type()))
                .findFirst().orElse(null);
    }

    /** Whether the namespace is joined (path given) rather than new. */
    public static boolean hasPath(jrunc.spec.Spec.Namespace ns) {
        return ns != null && ns.path() != null && !ns.path().isEmpty();
    }

    private Namespaces() {}

    /**
     * Joins the namespace at path for the calling thread. A thread shares its root and cwd
     * with the other JVM threads (CLONE_FS), and the kernel refuses a mount namespace to such
     * a thread: unshare CLONE_FS first.
     */
    public static void join(String type, String path) {
        int fd = (int) LibC.check(LibC.C.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0),
                "open namespace", path);
        try {
            join(type, fd, path);
        } finally {
            LibC.C.close(fd);
        }
    }

    /** The same, for a namespace the caller already holds an fd of. */
    public static void join(String type, int fd) {
        join(type, fd, "fd " + fd);
    }

    private static void join(String type, int fd, String what) {
        if (type.equals("mount")) {
            LibC.check(LibC.C.unshare(LibC.CLONE_FS), "unshare", "CLONE_FS");
        }
        LibC.check(LibC.C.setns(fd, FLAGS.get(type)), "setns " + type, what);
    }
}
