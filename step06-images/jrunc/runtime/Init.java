package jrunc.runtime;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jrunc.json.JsonBinder;
import jrunc.linux.Capabilities;
import jrunc.linux.Cgroups;
import jrunc.linux.Console;
import jrunc.linux.Devices;
import jrunc.linux.InRoot;
import jrunc.linux.LibC;
import jrunc.linux.Mounts;
import jrunc.linux.Namespaces;
import jrunc.linux.Seccomp;
import jrunc.spec.Spec;

/**
 * The container's first process: a second JVM that the runtime spawned from a thread that
 * had unshared the namespaces, so this JVM is PID 1 of the new PID namespace. It builds the
 * container's file system, waits on exec.fifo until "jrunc start", then becomes the user's
 * program. In "exec" mode it joins a running container instead.
 *
 * <p>Started as {@code java -cp <jrunc's class path> jrunc.runtime.Init CONFIG.json}.
 */
public final class Init {
    /** Classes used after pivot_root: the JDK cannot load them from the host's disk then. */
    static final List<Class<?>> USED_AFTER_PIVOT = List.of(ContainerProcess.class,
            JruncException.class, LibC.SyscallException.class, Hooks.class,
            jrunc.linux.Spawn.class, jrunc.linux.Rlimits.class, jrunc.linux.Rlimits.Prepared.class,
            com.sun.jna.StringArray.class, Capabilities.class,
            SyncChannel.class, Mounts.class, Console.class, Seccomp.class, jrunc.linux.Syscall.class,
            jrunc.linux.OpenFlag.class, jrunc.linux.Arch.class);

    private Init() {}

    public static void main(String[] args) throws Exception {
        // Until it execs, nothing of this JVM is for other processes to open via /proc/PID.
        LibC.C.prctl(LibC.PR_SET_DUMPABLE, 0, 0, 0, 0);
        SyncChannel sync = new SyncChannel(Integer.parseInt(args[0]));
        InitConfig config;
        int hostPid;
        try {
            config = readConfig(sync);
            // Our /proc is still the host's (create): it names us by our PID there, not by 1.
            // The exec helper has no /proc: the runtime finds its PID itself.
            sync.send(config.mode().equals("exec") ? "started"
                    : "started " + Files.readSymbolicLink(Path.of("/proc/self")));
            String go = sync.receive();
            if (go == null || !go.startsWith("go ")) System.exit(1);
            hostPid = Integer.parseInt(go.substring(3));
        } catch (RuntimeException | java.io.IOException e) {
            System.exit(1);
            return;
        }
        try {
            if (config.mode().equals("exec")) {
                execInto(config, sync);
            } else {
                create(config, sync, hostPid);
            }
        } catch (JruncException e) {
            fail(sync, e.getMessage(), e.exitStatus);
        } catch (RuntimeException e) {
            fail(sync, e.getMessage() == null ? e.toString() : e.getMessage(), 1);
        }
    }

    /** The first line on the channel: "config BASE64-JSON". */
    static InitConfig readConfig(SyncChannel sync) throws java.io.IOException {
        String line = sync.receive();
        if (line == null || !line.startsWith("config ")) throw new java.io.IOException("no config");
        byte[] json = java.util.Base64.getDecoder().decode(line.substring(7));
        return JsonBinder.read(new String(json, StandardCharsets.UTF_8), InitConfig.class);
    }

    /** Before "ready" the runtime reports the error; afterwards only stderr is left. */
    static void fail(SyncChannel sync, String message, int status) {
        sync.send("error " + status + " " + message);
        System.err.println("jrunc init: " + message);
        System.exit(status);
    }

    /**
     * The fds this JVM was started with (java, its argument file, the class path and JNA in
     * a user namespace) hold host files and directories: gone before the container exists.
     */
    static void closeLaunchFds(InitConfig config) {
        for (int fd : config.launchFds()) LibC.C.close(fd);
    }

    // tag::init-create[]
    static void create(InitConfig config, SyncChannel sync, int hostPid) {
        Spec spec = config.spec();
        Path rootfs = Path.of(config.rootfs());
        Cgroups cgroups = Cgroups.of(config.cgroupsPath(), config.id(), config.cgroupsCreated());
        LibC.C.umask(0);
        prepareRootfs(spec, rootfs, cgroups);
        newCgroupNamespace(spec);
        makeCwd(rootfs, spec.process().cwd());
        int slave = config.consoleFd() < 0 ? -1 : openConsole(rootfs, config);
        String state = stateJson(spec, config, hostPid, "created");
        Hooks.run(spec.hooks() == null ? null : spec.hooks().createContainer(),
                "createContainer", stateJson(spec, config, hostPid, "creating"));
        // O_PATH now: after pivot_root the fifo in the state directory is out of reach.
        int fifo = (int) LibC.check(LibC.C.open(config.fifo(), LibC.O_PATH | LibC.O_CLOEXEC, 0),
                "open", config.fifo());
        if (spec.process().oomScoreAdj() != null) {
            Mounts.writeFile("/proc/self/oom_score_adj", spec.process().oomScoreAdj().toString());
        }
        setHostname(spec);
        Spec.Namespace network = Namespaces.find(spec, "network");
        if (network != null && !Namespaces.hasPath(network)) Namespaces.loopbackUp();
        // runc reads /etc/passwd inside the finished container: a masked one has no users.
        boolean passwdMasked = spec.linux().maskedPaths() != null
                && spec.linux().maskedPaths().contains("/etc/passwd");
        String[] env;
        try (InRoot root = InRoot.open(rootfs); InRoot.Fd passwd = root.find("/etc/passwd")) {
            env = ContainerProcess.environment(spec.process(), Path.of(passwdMasked || passwd == null
                    ? "/dev/null" : passwd.procPath()));
        }
        Seccomp filter = spec.linux().seccomp() == null ? null
                : SeccompProfile.compile(spec.linux().seccomp()); // libseccomp is on the host
        closeLaunchFds(config);
        Mounts.pivotRoot(rootfs);
        finishRootfs(spec);
        String program = becomeContainerProcess(spec.process(), config.lastCap(), filter != null);
        // The pty, not the caller's pipes: an engine reads create's output until EOF.
        if (slave >= 0) Console.becomeStdio(slave);
        sync.send("ready");
        awaitRecorded(sync);
        waitForStart(fifo); // with the container's credentials already, as runc's init
        Hooks.run(spec.hooks() == null ? null : spec.hooks().startContainer(),
                "startContainer", state);
        ContainerProcess.exec(program, spec.process(), env, config.preserveFds(), filter);
    }
    // end::init-create[]

    /**
     * The container's user, cwd and capabilities, on this thread, named jrunc-init so the
     * tests can find it. Returns the program to exec.
     */
    // tag::waiting-init[]
    static String becomeContainerProcess(Spec.Process process, int lastCap, boolean seccomp) {
        LibC.C.prctl(LibC.PR_SET_NAME, "jrunc-init", 0, 0, 0);
        ContainerProcess.becomeUser(process, lastCap);
        ContainerProcess.changeDirectory(process.cwd());
        String program = ContainerProcess.resolve(process);
        ContainerProcess.restrictCapabilities(process, seccomp);
        return program;
    }
    // end::waiting-init[]

    /**
     * Now that the runtime moved us into the container's cgroup, it becomes the new
     * namespace's "/". After the mounts: inside the namespace, mountinfo no longer shows the
     * host's hierarchies at "/", and the "cgroup" mount binds from them.
     */
    static void newCgroupNamespace(Spec spec) {
        Spec.Namespace cgroup = Namespaces.find(spec, "cgroup");
        if (cgroup != null && !Namespaces.hasPath(cgroup)) {
            LibC.check(LibC.C.unshare(LibC.CLONE_NEWCGROUP), "unshare", "CLONE_NEWCGROUP");
        }
    }

    /** As runc: a missing process.cwd is made (root's, 0755), after the mounts it may be on. */
    static void makeCwd(Path rootfs, String cwd) {
        try (InRoot root = InRoot.open(rootfs); InRoot.Fd dir = root.mkdirs(cwd, "process.cwd")) {
            // made or already there; the container's user changes into it later
        }
    }

    // tag::prepare-rootfs[]
    static void prepareRootfs(Spec spec, Path rootfs, Cgroups cgroups) {
        // Mount events must not travel back to the host: slave by default, private or slave
        // recursively when asked (a host mount still shared would carry them). An unbindable
        // tree could not be bound into the rootfs: that waits until after pivot_root.
        String p = spec.linux() == null ? null : spec.linux().rootfsPropagation();
        long flags = p == null || p.isEmpty() || p.endsWith("unbindable") ? LibC.MS_SLAVE | LibC.MS_REC
                : p.endsWith("shared") ? propagationFlags(p) : propagationFlags(p) | LibC.MS_REC;
        Mounts.mount(null, "/", null, flags, null);
        Mounts.makeParentPrivateIfShared(rootfs); // "shared" made it so; pivot_root refuses that
        // pivot_root needs the new root to be a mount point: bind it onto itself.
        Mounts.mount(rootfs.toString(), rootfs.toString(), null, LibC.MS_BIND | LibC.MS_REC, null);
        boolean devFromHost = false;
        if (spec.mounts() != null) {
            for (int i = 0; i < spec.mounts().size(); i++) {
                Spec.Mount m = spec.mounts().get(i);
                Mounts.mountEntry(rootfs, m, "mounts[" + i + "]", cgroups);
                if (m.destination().equals("/dev") && !"tmpfs".equals(m.type())) devFromHost = true;
            }
        }
        if (!devFromHost) {
            // In a user namespace mknod is refused: the host's nodes are bind-mounted instead.
            Devices.create(rootfs, spec.linux() == null ? null : spec.linux().devices(),
                    Namespaces.find(spec, "user") != null);
            Devices.symlinks(rootfs);
        }
    }
    // end::prepare-rootfs[]

    /** "rshared" is "shared" for every mount below too. */
    static long propagationFlags(String name) {
        long flag = switch (name.replaceFirst("^r", "")) {
            case "shared" -> LibC.MS_SHARED;
            case "slave" -> LibC.MS_SLAVE;
            case "unbindable" -> LibC.MS_UNBINDABLE;
            default -> LibC.MS_PRIVATE;
        };
        return name.startsWith("r") ? flag | LibC.MS_REC : flag;
    }

    /** A pty from the container's devpts; its master goes to --console-socket (or jrunc run). */
    static int openConsole(Path rootfs, InitConfig config) {
        try (InRoot root = InRoot.open(rootfs); InRoot.Fd devpts = root.open("/dev/pts", null);
                InRoot.Fd console = root.mkfile("/dev/console", null, 0666)) {
            int[] pty = Console.openPty(devpts.procPath());
            Mounts.mount(devpts.procPath() + "/" + pty[2], console, "process.terminal", null,
                    LibC.MS_BIND, null);
            Console.sendMaster(config.consoleFd(), pty[0], "/dev/pts/" + pty[2]);
            LibC.C.close(pty[0]);
            LibC.C.close(config.consoleFd());
            return pty[1];
        }
    }

    static void setHostname(Spec spec) {
        // The kernel takes bytes: the UTF-8 length, not the number of chars.
        if (spec.hostname() != null && !spec.hostname().isEmpty()) {
            byte[] name = spec.hostname().getBytes(StandardCharsets.UTF_8);
            LibC.check(LibC.C.sethostname(name, name.length), "sethostname", spec.hostname());
        }
        if (spec.domainname() != null && !spec.domainname().isEmpty()) {
            byte[] name = spec.domainname().getBytes(StandardCharsets.UTF_8);
            LibC.check(LibC.C.setdomainname(name, name.length), "setdomainname", spec.domainname());
        }
    }

    /** After pivot_root: sysctls, read-only and masked paths, a read-only "/". */
    static void finishRootfs(Spec spec) {
        Spec.Linux linux = spec.linux();
        if (linux != null) {
            if (linux.sysctl() != null) {
                for (Map.Entry<String, String> s : linux.sysctl().entrySet()) {
                    Mounts.writeFile("/proc/sys/" + s.getKey().replace('.', '/'), s.getValue());
                }
            }
            if (linux.readonlyPaths() != null) linux.readonlyPaths().forEach(Mounts::makeReadonly);
            if (linux.maskedPaths() != null) linux.maskedPaths().forEach(Mounts::mask);
        }
        if (spec.root().isReadonly()) {
            Mounts.mount(null, "/", null, Mounts.lockedFlags("/") | LibC.MS_BIND
                    | LibC.MS_REMOUNT | LibC.MS_RDONLY, null);
        }
        // tag::root-propagation[]
        // The rootfs was private for pivot_root; now it gets the propagation asked for.
        if (linux != null && linux.rootfsPropagation() != null && !linux.rootfsPropagation().isEmpty()) {
            Mounts.mount(null, "/", null, propagationFlags(linux.rootfsPropagation()), null);
        }
        // end::root-propagation[]
    }

    /**
     * The runtime says "created" once state.json names us; EOF instead means it was killed
     * before, and nobody would ever start or delete us: exit rather than wait forever.
     */
    static void awaitRecorded(SyncChannel sync) {
        if (!"created".equals(sync.receive())) {
            System.err.println("jrunc init: the runtime exited before the container was created");
            System.exit(1);
        }
    }

    // tag::exec-fifo[]
    /**
     * Opening exec.fifo for writing blocks until "jrunc start" opens it for reading. Only a
     * byte that start can read releases us: a reader that opened and closed without reading
     * (EPIPE on the write) did not start the container, so we wait again.
     */
    static void waitForStart(int fifo) {
        String path = "/proc/self/fd/" + fifo;
        while (true) {
            int fd = (int) LibC.check(LibC.C.open(path, LibC.O_WRONLY | LibC.O_CLOEXEC, 0),
                    "open", path + " (exec.fifo)");
            try {
                LibC.check(LibC.C.write(fd, new byte[] {'0'}, 1), "write", path + " (exec.fifo)");
                break;
            } catch (LibC.SyscallException e) {
                if (e.errno != LibC.EPIPE) throw e;
            } finally {
                LibC.C.close(fd);
            }
        }
        LibC.C.close(fifo);
    }
    // end::exec-fifo[]

    /**
     * exec mode: the helper starts in its minimal read-only tree, already in the container's
     * other namespaces and cgroup; it enters the container's mount namespace by fd, and then
     * does everything else there, as the container sees it.
     */
    static void execInto(InitConfig config, SyncChannel sync) {
        Seccomp filter = config.seccomp() == null ? null : SeccompProfile.compile(config.seccomp());
        closeLaunchFds(config);
        Namespaces.join("mount", config.mountNamespaceFd());
        LibC.C.close(config.mountNamespaceFd());
        int slave = -1;
        if (config.consoleFd() >= 0) {
            int[] pty = Console.openPty("/dev/pts");
            Console.sendMaster(config.consoleFd(), pty[0], "/dev/pts/" + pty[2]);
            LibC.C.close(pty[0]);
            LibC.C.close(config.consoleFd());
            slave = pty[1];
        }
        String[] env = ContainerProcess.environment(config.process(), Path.of("/etc/passwd"));
        String program = becomeContainerProcess(config.process(), config.lastCap(), filter != null);
        if (slave >= 0) Console.becomeStdio(slave);
        sync.send("ready");
        ContainerProcess.exec(program, config.process(), env, config.preserveFds(), filter);
    }

    static String stateJson(Spec spec, InitConfig config, int pid, String status) {
        return Container.stateJson(spec.ociVersion(), config.id(), pid, status, config.bundle(),
                spec.annotations());
    }
}
