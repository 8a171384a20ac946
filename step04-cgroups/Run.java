///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS net.java.dev.jna:jna:5.19.1
//SOURCES LibC.java Channel.java Cgroups.java CgroupV1.java CgroupV2.java
//JAVA_OPTIONS -XX:-MaxFDLimit --enable-native-access=ALL-UNNAMED

import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * step04-cgroups: step03's container, with limits the kernel enforces.
 *
 * <p>The new idea is the cgroup: a directory in a cgroup file system whose files cap the
 * memory, CPU time and number of tasks of every process inside. The runtime creates the
 * container's cgroups before it starts the init, through the driver that fits the host
 * ({@link Cgroups}: {@link CgroupV1} or {@link CgroupV2}). The init JVM starts outside them, asks
 * to be placed inside ("started"), and execs the command only once the runtime has moved it
 * ("joined"). When the init exits, the runtime removes every cgroup it created.
 *
 * <p>From step03:
 * <p>step02 showed that a PID namespace needs its own /proc, mounted by a process INSIDE it,
 * and that chroot is no wall. Go's answer is to re-execute /proc/self/exe as the container's
 * init. Ours: a fresh thread unshares mount, UTS, IPC, PID and network namespaces and spawns a
 * second JVM running this same program in its init role. That JVM is PID 1: it makes the mounts
 * private, pivot_root(2)s into the rootfs, mounts /proc, /dev and /sys, sets the hostname,
 * brings lo up and execs the command. Runtime and init talk over a {@link Channel}: the spec
 * goes in, "ready" or a precise error comes back.
 *
 *
 * <p>Read it in the order it runs: main, then the parent (the runtime), then the init.
 */
public class Run {
    static final String USAGE = """
            Usage: ./jbang step04-cgroups/Run.java [--memory SIZE] [--cpus CPUS] [--pids N]
                   [--hostname NAME] [--verbose] ROOTFS COMMAND [ARG...]

            Runs COMMAND in new mount, UTS, IPC, PID and network namespaces, with ROOTFS as
            its root (pivot_root), its own /proc, /dev and /sys, and its own hostname, in
            cgroups that limit its memory, CPU time and number of tasks (cgroup v1 or v2,
            whichever the host has). Needs root. Build the workshop's default ROOTFS with:
            bin/build-rootfs

              --memory SIZE    at most SIZE of memory, swap included: bytes, or with k, m,
                               g (512k, 64m, 1g); more gets the command OOM-killed
              --cpus CPUS      at most this share of one CPU's time (0.5 = half a CPU)
              --pids N         at most N tasks (processes and threads) at once
              --hostname NAME  the hostname inside (default: container)
              --verbose        narrate each kernel step on stderr as it happens, and say
                               which cgroup driver is used and what the kernel counted
              ROOTFS           a directory holding a root filesystem, e.g. rootfs
              COMMAND          the program to run, an absolute path inside ROOTFS or a name
                               looked up in PATH inside ROOTFS

            Example: ./jbang step04-cgroups/Run.java --memory 64m --cpus 0.5 rootfs /bin/sh
            Exit status: the command's (128+N if signal N killed it, 137 after an OOM
            kill); 125 if the runtime or the init failed, 126 if the command cannot be
            executed, 127 if not found.

            The runtime starts itself a second time as the container's init, as
            `java ... Run init` with a channel at fd 3; that role is not for direct use.
            """;

    /** The argument that selects the init role (like `runc init`). */
    static final String INIT_ROLE = "init";

    /** The PATH the command gets, and that we search for it, inside the root. */
    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** What the user asked for; the runtime sends it to the init over the channel. */
    record Spec(String rootfs, String hostname, boolean verbose, List<String> command) {
        List<String> toMessage() {
            List<String> message = new ArrayList<>(List.of("spec", rootfs, hostname,
                    Boolean.toString(verbose)));
            message.addAll(command);
            return message;
        }

        static Spec fromMessage(List<String> message) {
            if (message == null || !message.get(0).equals("spec")) {
                throw new IllegalStateException("expected a spec, got " + message);
            }
            return new Spec(message.get(1), message.get(2), Boolean.parseBoolean(message.get(3)),
                    message.subList(4, message.size()));
        }
    }

    static boolean verbose;

    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals(INIT_ROLE)) {
            init();
            return;
        }
        String hostname = "container";
        Cgroups.Limits limits = Cgroups.Limits.NONE;
        int next = 0;
        for (; next < args.length && args[next].startsWith("-"); next++) {
            String option = args[next];
            if (option.equals("--help") || option.equals("-h")) {
                System.out.print(USAGE);
                return;
            } else if (option.equals("--verbose")) {
                verbose = true;
            } else if (option.equals("--hostname") && next + 1 < args.length) {
                hostname = args[++next];
            } else if (LIMITS.contains(option) && next + 1 < args.length) {
                limits = withLimit(limits, option, args[++next]);
            } else {
                usageError(option.equals("--hostname") ? "--hostname needs a NAME"
                        : LIMITS.contains(option) ? option + " needs a value"
                        : "unknown option " + option);
            }
        }
        if (args.length - next < 2) usageError(null);
        Path rootfs = Path.of(args[next]);
        List<String> command = List.of(Arrays.copyOfRange(args, next + 1, args.length));
        try {
            requireRootfs(rootfs);
            String root = rootfs.toAbsolutePath().normalize().toString();
            System.exit(parent(new Spec(root, hostname, verbose, command), limits));
        } catch (CommandException e) {
            System.err.println("step04: " + e.getMessage());
            System.exit(e.exitStatus);
        } catch (LibC.SyscallException | IllegalStateException e) {
            System.err.println("step04: " + e.getMessage());
            System.exit(125);
        }
    }

    static final List<String> LIMITS = List.of("--memory", "--cpus", "--pids");

    /** Parses one limit option; a bad value ends the program with the reason. */
    static Cgroups.Limits withLimit(Cgroups.Limits limits, String option, String value) {
        try {
            return switch (option) {
                case "--memory" -> limits.withMemory(Cgroups.parseMemory(value));
                case "--cpus" -> limits.withCpus(Cgroups.parseCpus(value));
                default -> limits.withPids(Cgroups.parsePids(value));
            };
        } catch (IllegalArgumentException e) {
            System.err.println("step04: " + e.getMessage());
            System.exit(125);
            return limits;
        }
    }

    static void usageError(String problem) {
        System.err.print((problem == null ? "" : "step04: " + problem + "\n\n") + USAGE);
        System.exit(125);
    }

    /** The one mistake everybody makes first: no rootfs yet. */
    static void requireRootfs(Path rootfs) {
        if (!Files.isDirectory(rootfs)) {
            throw new CommandException(125, "rootfs " + rootfs + ": not a directory (ENOENT)"
                    + "\n  hint: build the workshop's busybox rootfs with: bin/build-rootfs");
        }
    }

    // =====================================================================================
    // The parent: the runtime the user started.
    // =====================================================================================

    /** Every container's cgroups live under this one, at each hierarchy's root. */
    static final String CGROUP_PARENT = "workshop";

    // tag::cgroups[]
    static int parent(Spec spec, Cgroups.Limits limits) {
        String id = UUID.randomUUID().toString()
                .replace("-", "").substring(0, 12);
        Cgroups cgroups = Cgroups.forContainer(CGROUP_PARENT,
                id, limits, line -> say("runtime", line));
        say("runtime", cgroups.describe());
        // On SIGTERM or SIGHUP the JVM still runs this hook.
        Runtime.getRuntime().addShutdownHook(
                new Thread(cgroups::remove, "remove cgroups"));
        try {
            cgroups.create();
            return runContainer(spec, cgroups);
        } finally {
            say("runtime", "the kernel counted: "
                    + String.join(", ", cgroups.counters()));
            cgroups.remove();
        }
    }
    // end::cgroups[]

    // tag::parent[]
    static int runContainer(Spec spec, Cgroups cgroups) {
        Channel[] ends = Channel.pair();
        Channel channel = ends[0], initsEnd = ends[1];
        // Buffered in the socket until the init reads it.
        channel.send(spec.toMessage());
        SpawnAttributes hygiene = execHygiene(initsEnd);
        ignoreTerminalSignals();
        var initPid = new CompletableFuture<Integer>();
        FutureTask<Integer> container = new FutureTask<>(() ->
                spawnInitAndWait(initCommand(), hygiene,
                        initsEnd, initPid));
        new Thread(container, "container").start();
        // "started", then "ready" or an error; end-of-file
        // once the command runs.
        String outcome = "none";
        for (List<String> reply; (reply = channel.receive()) != null; ) {
            outcome = reply.get(0);
            if (outcome.equals("error")) {
                System.err.println("step04: " + reply.get(1));
            } else if (outcome.equals("started")) {
                cgroups.join(initPid.join());
                channel.send("joined");
            }
            say("runtime", "the init says " + outcome);
        }
        int status = exitStatusOf(container);
        // end::parent[]
        channel.close();
        say("runtime", "PID 1 exited with status " + status + ": its namespaces, and every"
                + " mount in them, are gone");
        if (outcome.equals("none")) {
            throw new CommandException(125, "the init exited with status " + status
                    + " before it was ready (its own messages, if any, are above)");
        }
        return status;
    }

    // tag::init-command[]
    /** This same program, in a second JVM, in its init role. */
    static List<String> initCommand() {
        return List.of(
                Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(),
                "-XX:-MaxFDLimit", "--enable-native-access=ALL-UNNAMED",
                // Short-lived: C1 only, one GC thread, and no
                // hsperfdata file (in the host's /tmp, named "1").
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-XX:-UsePerfData",
                // Its environment has no LANG: pass strings to
                // the kernel as UTF-8 all the same.
                "-Djna.encoding=UTF-8",
                "-cp", System.getProperty("java.class.path"),
                Run.class.getName(), INIT_ROLE);
    }
    // end::init-command[]

    // tag::exec-hygiene[]
    /** step01's three fixes as spawn attributes; fd 3 is the channel. */
    static SpawnAttributes execHygiene(Channel initsEnd) {
        Memory attributes = new Memory(LibC.SPAWNATTR_BYTES);
        LibC.C.posix_spawnattr_init(attributes);
        // 1. An empty signal mask, and default actions for all:
        //    a signal ignored here stays ignored across exec.
        LibC.C.posix_spawnattr_setflags(attributes, (short)
                (LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF));
        LibC.C.posix_spawnattr_setsigmask(attributes,
                LibC.emptySignalSet());
        LibC.C.posix_spawnattr_setsigdefault(attributes,
                LibC.fullSignalSet());
        // 2. The init's end of the channel at fd 3, nothing above.
        Memory fileActions = new Memory(LibC.FILE_ACTIONS_BYTES);
        LibC.C.posix_spawn_file_actions_init(fileActions);
        LibC.C.posix_spawn_file_actions_adddup2(fileActions,
                initsEnd.fd(), Channel.INIT_FD);
        LibC.C.posix_spawn_file_actions_addclosefrom_np(fileActions,
                Channel.INIT_FD + 1);
        // 3. RLIMIT_NOFILE: -XX:-MaxFDLimit, for both JVMs.
        return new SpawnAttributes(attributes, fileActions);
    }
    // end::exec-hygiene[]

    /** Like system(3): Ctrl-C is for the command; the runtime waits for its status. */
    static void ignoreTerminalSignals() {
        LibC.C.signal(LibC.SIGINT, LibC.SIG_IGN);
        LibC.C.signal(LibC.SIGQUIT, LibC.SIG_IGN);
    }

    /**
     * The body of the "container" thread, the only thread of this JVM in the new namespaces.
     * After unshare(CLONE_NEWPID) it can no longer start threads (clone(CLONE_THREAD) says
     * EINVAL), so it does nothing that might. (JNA frees the native copies of String arguments
     * with a cleaner thread; the spawn attributes' memory started it, on the main thread, and
     * keeps it alive while this thread runs.)
     * It stays the init's parent until the end: the init's PR_SET_PDEATHSIG watches it.
     */
    static int spawnInitAndWait(List<String> initCommand, SpawnAttributes hygiene,
            Channel initsEnd, CompletableFuture<Integer> initPid) {
        int pid;
        try {
            // tag::unshare[]
            int flags = LibC.CLONE_NEWNS | LibC.CLONE_NEWUTS
                    | LibC.CLONE_NEWIPC | LibC.CLONE_NEWPID
                    | LibC.CLONE_NEWNET;
            LibC.check(LibC.C.unshare(flags), "unshare", NAMESPACES,
                    errno -> errno == LibC.EPERM ? "new namespaces"
                            + " need root (CAP_SYS_ADMIN): run with sudo"
                            : null);
            // end::unshare[]
            say("runtime", "unshare(" + NAMESPACES + ") on thread \"container\":"
                    + " this thread, and only it, is in the new namespaces");
            pid = spawn(initCommand, hygiene);
            initPid.complete(pid);
            say("runtime", "posix_spawn " + initCommand.get(0) + " ... " + INIT_ROLE
                    + ": the init is PID " + pid + " here, PID 1 inside");
        } finally {
            // The init has its copy at fd 3; with ours closed, the
            // runtime reads end-of-file when the init execs or dies.
            initsEnd.close();
        }
        return waitFor(pid);
    }

    static final String NAMESPACES = "CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET";

    /** The init JVM, created in this thread's namespaces: PID 1. */
    static int spawn(List<String> initCommand, SpawnAttributes hygiene) {
        int[] pid = new int[1];
        String java = initCommand.get(0);
        int errno = LibC.C.posix_spawn(pid, java, hygiene.fileActions(),
                hygiene.attributes(), initCommand.toArray(String[]::new), containerEnv());
        LibC.C.posix_spawn_file_actions_destroy(hygiene.fileActions());
        if (errno != 0) {
            throw new LibC.SyscallException("posix_spawn", java, errno,
                    "the init runs the runtime's own java (java.home)");
        }
        return pid[0];
    }

    // tag::wait[]
    /** waitpid, decoded as a shell does: 128+N for signal N. */
    static int waitFor(int pid) {
        int[] status = new int[1];
        while (LibC.C.waitpid(pid, status, 0) == -1) {
            int errno = com.sun.jna.Native.getLastError();
            if (errno != LibC.EINTR) {
                throw new LibC.SyscallException("waitpid",
                        Integer.toString(pid), errno, null);
            }
        }
        int signal = status[0] & 0x7f;
        return signal == 0 ? (status[0] >> 8) & 0xff : 128 + signal;
    }
    // end::wait[]

    static int exitStatusOf(FutureTask<Integer> container) {
        try {
            return container.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) throw failure;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // =====================================================================================
    // The init: PID 1 of the new namespaces, this program again in a second JVM.
    // =====================================================================================

    static void init() {
        Channel channel = Channel.inherited();
        Spec spec;
        try {
            spec = Spec.fromMessage(channel.receive());
        } catch (RuntimeException e) {
            System.err.println("init: no spec on fd 3 (" + e.getMessage() + "): the runtime"
                    + " starts this role itself, with a channel at fd 3; it is not for direct use");
            System.exit(125);
            return;
        }
        verbose = spec.verbose();
        try {
            // tag::init[]
            dieWithTheRuntime();
            makeMountsPrivate();
            pivotRoot(spec.rootfs());
            // From here on the host's files, our class path
            // included, are out of reach.
            mountProc();
            mountDev();
            mountSys();
            setHostname(spec.hostname());
            bringLoopbackUp();
            String program = findProgram(spec.command().get(0),
                    spec.rootfs());
            joinCgroups(channel);
            say("init", "ready: execve " + program);
            channel.send("ready");
            exec(program, spec);
            // end::init[]
        } catch (CommandException e) {
            channel.send("error", e.getMessage());
            Runtime.getRuntime().halt(e.exitStatus);
        } catch (LibC.SyscallException e) {
            channel.send("error", "init: " + e.getMessage());
            Runtime.getRuntime().halt(125);
        }
    }

    // tag::join[]
    /**
     * This JVM has started outside the limits: its start-up is
     * not charged to the container, and a tight --pids cannot
     * kill it. Now the runtime moves it inside.
     */
    static void joinCgroups(Channel channel) {
        say("init", "started: asking the runtime to join us to"
                + " the cgroups");
        channel.send("started");
        List<String> answer = channel.receive();
        if (!List.of("joined").equals(answer)) {
            throw new CommandException(125, "init: expected"
                    + " \"joined\" from the runtime, got "
                    + answer);
        }
    }
    // end::join[]

    /**
     * Classes load lazily, from the class path, and after pivot_root that path is gone (under
     * Maven it is a directory, target/classes). Naming them here loads the classes the init
     * may need after the pivot, error paths included, while Run initializes.
     */
    static final List<Class<?>> NEEDED_AFTER_PIVOT = List.of(
            LibC.SyscallException.class, CommandException.class, Device.class);

    /** If the runtime is killed, the kernel kills us (and so the whole PID namespace). */
    static void dieWithTheRuntime() {
        say("init", "prctl(PR_SET_PDEATHSIG, SIGKILL): if the runtime dies, so does the container");
        LibC.check(LibC.C.prctl(LibC.PR_SET_PDEATHSIG, LibC.SIGKILL, 0, 0, 0),
                "prctl", "PR_SET_PDEATHSIG");
    }

    // tag::private[]
    /**
     * The new mount namespace is a copy of the host's, and a copy of
     * a shared mount still propagates to (and from) the host.
     */
    static void makeMountsPrivate() {
        say("init", "mount(\"/\", MS_REC|MS_PRIVATE): nothing mounted here"
                + " reaches the host");
        LibC.check(LibC.C.mount(null, "/", null,
                LibC.MS_REC | LibC.MS_PRIVATE, null), "mount", "/ MS_PRIVATE");
    }
    // end::private[]

    static void pivotRoot(String rootfs) {
        // tag::pivot-root[]
        // pivot_root needs the new root to be a mount point.
        say("init", "mount(" + rootfs + ", itself, MS_BIND|MS_REC)");
        LibC.check(LibC.C.mount(rootfs, rootfs, null,
                LibC.MS_BIND | LibC.MS_REC, null), "bind mount", rootfs);
        LibC.check(LibC.C.chdir(rootfs), "chdir", rootfs);
        // pivot_root(".", ".") stacks the old root on top of the
        // new one (valid, despite the man page); then detach it.
        say("init", "pivot_root(\".\", \".\"), umount2(\".\", MNT_DETACH)");
        LibC.check(LibC.C.syscall(LibC.Syscall.pivot_root.number(), ".", "."),
                "pivot_root", rootfs, Run::pivotRootHint);
        LibC.check(LibC.C.umount2(".", LibC.MNT_DETACH),
                "umount2", "the old root");
        LibC.check(LibC.C.chdir("/"), "chdir", "/");
        // end::pivot-root[]
    }

    static String pivotRootHint(int errno) {
        if (errno == LibC.EINVAL) {
            return "the new root or its parent mount is shared: make the mounts private first"
                    + " (mount(\"/\", MS_REC|MS_PRIVATE)); or the rootfs is not a mount point"
                    + " (bind-mount it onto itself); or this runs inside a chroot";
        }
        if (errno == LibC.EBUSY) {
            return "the new root is on the same mount as the current \"/\": bind-mount the"
                    + " rootfs onto itself first, so that it is a mount point of its own";
        }
        return null;
    }

    // tag::proc[]
    /** Mounted by PID 1 of the new namespace: it shows that namespace. */
    static void mountProc() {
        say("init", "mount(proc, /proc): ps sees only this PID namespace");
        LibC.check(LibC.C.mount("proc", "/proc", "proc", LibC.MS_NOSUID
                | LibC.MS_NODEV | LibC.MS_NOEXEC, null),
                "mount proc on", "/proc", Run::missingDirectoryHint);
    }
    // end::proc[]

    static String missingDirectoryHint(int errno) {
        return errno == LibC.ENOENT || errno == LibC.ENOTDIR
                ? "the rootfs needs empty /proc, /dev and /sys directories as mount points" : null;
    }

    /** A character device: name, major, minor (see the kernel's devices.txt). */
    record Device(String name, int major, int minor) {}

    static final List<Device> DEVICES = List.of(new Device("null", 1, 3),
            new Device("zero", 1, 5), new Device("full", 1, 7), new Device("random", 1, 8),
            new Device("urandom", 1, 9), new Device("tty", 5, 0));

    // tag::dev[]
    /** A fresh tmpfs: only the devices we create, not the host's. */
    static void mountDev() {
        say("init", "mount(tmpfs, /dev), mknod " + DEVICES.stream()
                .map(Device::name).toList() + ", devpts, ptmx, shm");
        mount("tmpfs", "/dev", "tmpfs", LibC.MS_NOSUID, "mode=755");
        for (Device device : DEVICES) {
            String path = "/dev/" + device.name();
            LibC.check(LibC.C.mknod(path, LibC.S_IFCHR | 0666,
                    (device.major() << 8) | device.minor()), "mknod", path);
            // mknod's mode went through our umask (022).
            LibC.check(LibC.C.chmod(path, 0666), "chmod", path);
        }
        mkdir("/dev/pts");
        mount("devpts", "/dev/pts", "devpts", LibC.MS_NOSUID
                | LibC.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620");
        LibC.check(LibC.C.symlink("pts/ptmx", "/dev/ptmx"),
                "symlink", "/dev/ptmx");
        mkdir("/dev/shm");
        mount("tmpfs", "/dev/shm", "tmpfs", LibC.MS_NOSUID
                | LibC.MS_NODEV | LibC.MS_NOEXEC, "mode=1777");
    }
    // end::dev[]

    // tag::sys[]
    /** Read-only: /sys is the kernel's, not the container's. */
    static void mountSys() {
        say("init", "mount(sysfs, /sys, MS_RDONLY): only this network"
                + " namespace's devices");
        mount("sysfs", "/sys", "sysfs", LibC.MS_RDONLY | LibC.MS_NOSUID
                | LibC.MS_NODEV | LibC.MS_NOEXEC, null);
    }
    // end::sys[]

    static void mount(String source, String target, String type, long flags, String data) {
        LibC.check(LibC.C.mount(source, target, type, flags, data),
                "mount " + type + " on", target, Run::missingDirectoryHint);
    }

    static void mkdir(String path) {
        LibC.check(LibC.C.mkdir(path, 0755), "mkdir", path);
    }

    // tag::hostname[]
    /** Our UTS namespace is new: the host keeps its name. */
    static void setHostname(String hostname) {
        say("init", "sethostname(" + hostname + ")");
        byte[] name = hostname.getBytes(StandardCharsets.UTF_8);
        LibC.check(LibC.C.sethostname(name, name.length),
                "sethostname", hostname, errno -> errno == LibC.EINVAL
                        ? "a hostname is at most 64 bytes" : null);
    }
    // end::hostname[]

    // tag::loopback[]
    /**
     * A new network namespace has one interface, lo, and it is DOWN:
     * 127.0.0.1 would not answer. Bring it up, as runc and Docker do.
     */
    static void bringLoopbackUp() {
        say("init", "ioctl(SIOCSIFFLAGS, lo, IFF_UP): lo is the only"
                + " interface, and it starts down");
        int socket = LibC.C.socket(LibC.AF_INET, LibC.SOCK_DGRAM, 0);
        LibC.check(socket, "socket", "AF_INET");
        Memory request = new Memory(LibC.IFREQ_BYTES);
        request.clear();
        request.setString(0, "lo");
        LibC.check(LibC.C.ioctl(socket, LibC.SIOCGIFFLAGS, request),
                "ioctl SIOCGIFFLAGS", "lo");
        short flags = request.getShort(LibC.IFREQ_FLAGS_OFFSET);
        request.setShort(LibC.IFREQ_FLAGS_OFFSET,
                (short) (flags | LibC.IFF_UP));
        LibC.check(LibC.C.ioctl(socket, LibC.SIOCSIFFLAGS, request),
                "ioctl SIOCSIFFLAGS", "lo");
        LibC.C.close(socket);
    }
    // end::loopback[]

    /**
     * Resolves COMMAND the way a shell would, inside the new root: a name with a slash is used
     * as it is, a bare name is searched in PATH.
     */
    static String findProgram(String name, String rootfs) {
        if (name.contains("/")) return name;
        for (String dir : PATH.split(":")) {
            String candidate = dir + "/" + name;
            if (LibC.C.access(candidate, LibC.X_OK) == 0) return candidate;
        }
        throw new CommandException(127, "command " + name + ": not found in PATH inside "
                + rootfs + " (" + PATH + ")");
    }

    // tag::exec[]
    /** step01's exec, from PID 1: the command becomes PID 1. */
    static void exec(String program, Spec spec) {
        // 1. HotSpot blocks SIGQUIT in Java threads; unblock all.
        LibC.check(LibC.C.sigprocmask(LibC.SIG_SETMASK,
                LibC.emptySignalSet(), null), "sigprocmask", "SIG_SETMASK");
        // 2. Close fds from 3 up at exec: the JVM's and the channel.
        LibC.check(LibC.C.close_range(3, -1, LibC.CLOSE_RANGE_CLOEXEC),
                "close_range", "3..~0");
        // 3. RLIMIT_NOFILE: the init JVM ran with -XX:-MaxFDLimit.
        LibC.C.execve(program, spec.command().toArray(String[]::new),
                containerEnv());
        throw execFailed(program, spec.rootfs(),
                com.sun.jna.Native.getLastError());
    }
    // end::exec[]

    static String[] containerEnv() {
        return new String[] {"PATH=" + PATH, "HOME=/root", "TERM=" + termOr("xterm")};
    }

    /** Why execve failed, in words a learner can act on. */
    static CommandException execFailed(String program, String rootfs, int errno) {
        String what = "execve " + program + ": " + LibC.C.strerrorname_np(errno)
                + " (" + LibC.C.strerror(errno) + ")";
        if (errno == LibC.ENOENT && LibC.C.access(program, LibC.F_OK) == 0) {
            return new CommandException(127, what + "\n  hint: " + program + " exists in " + rootfs
                    + " but its ELF interpreter does not: a dynamically linked binary needs its"
                    + " loader and libraries (see ldd) inside the rootfs; use a static binary");
        }
        if (errno == LibC.ENOENT) {
            return new CommandException(127, what + "\n  hint: there is no " + program
                    + " inside " + rootfs + " (a dynamically linked binary would also need its"
                    + " libraries there; the workshop rootfs holds only static busybox)");
        }
        return new CommandException(126, what);
    }

    static String termOr(String fallback) {
        String term = System.getenv("TERM");
        return term == null || term.isEmpty() ? fallback : term;
    }

    /** With --verbose: one line per kernel step, as it happens (like contained.c). */
    static void say(String who, String what) {
        if (verbose) System.err.println((who + "      ").substring(0, 7) + " => " + what);
    }

    /** posix_spawnattr_t and posix_spawn_file_actions_t, in JNA memory. */
    record SpawnAttributes(Memory attributes, Memory fileActions) {}

    /** A failure that is the user's to fix, with the exit status a shell would give it. */
    static final class CommandException extends RuntimeException {
        final int exitStatus;

        CommandException(int exitStatus, String message) {
            super(message);
            this.exitStatus = exitStatus;
        }
    }
}
