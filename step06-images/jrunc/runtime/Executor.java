package jrunc.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jrunc.linux.Capabilities;
import jrunc.linux.LibC;
import jrunc.linux.Mounts;
import jrunc.linux.Namespaces;
import jrunc.linux.ReadOnlyView;
import jrunc.linux.Spawn;
import jrunc.linux.Tools;
import jrunc.spec.Spec;
import jrunc.spec.SpecException;

/**
 * "exec": a new process in a running container. The helper that becomes it is a JVM, which
 * cannot start inside the container's mount namespace (java and its jars are not there),
 * and anything the container can see must not hold the host. So: a private mount namespace
 * whose root is a small read-only tree with only the JDK, the jars and the libraries
 * ({@link ReadOnlyView#enterMinimalRoot}); nsenter enters the container's other namespaces
 * and that tree, and forks the helper JVM into the container's PID namespace; the runtime
 * puts it into the container's cgroup; the helper enters the container's mount namespace
 * (by an fd) and execs.
 */
public final class Executor {
    private Executor() {}

    public record Options(Path root, String id, Spec.Process process, boolean detach,
            Path pidFile, String consoleSocket, int preserveFds) {}

    // tag::exec[]
    public static int exec(Options o) {
        Container c = Container.load(o.root(), o.id());
        String status = c.status();
        // As runc: a created container's namespaces exist already, only its program waits.
        if (!status.equals("running") && !status.equals("created")) {
            throw new JruncException("cannot exec in container " + o.id() + ": it is " + status);
        }
        Spec spec = c.spec();
        jrunc.spec.SpecValidator.validateProcess(o.process()).forEach(Log::warn);
        checkTerminal(o);
        Creator.checkCapabilities(o.process());
        Creator.becomeSubreaper();
        int initPid = c.state().pid();
        int pid;
        int child;
        int console = -1;
        int receiver = -1;
        InitLauncher.Fds fds = new InitLauncher.Fds(o.preserveFds());
        try {
            int[] ends = InitLauncher.consoleEnds(o.process().isTerminal(), o.consoleSocket());
            console = ends[0];
            receiver = ends[1];
            int consoleFd = console >= 0 ? fds.place(console) : -1;
            int mountNs = fds.own(LibC.check(LibC.C.open(nsPath(initPid, "mount"),
                    LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open", nsPath(initPid, "mount")));
            // The helper's tree mirrors the libraries this JVM maps: libseccomp among them.
            if (spec.linux().seccomp() != null) bindSeccomp();
            int viewNs = minimalRoot(c.dir.resolve("view"), o.preserveFds());
            fds.opened.add(viewNs);
            boolean viaNsenter = Namespaces.find(spec, "user") != null
                    || Namespaces.find(spec, "time") != null;
            List<Integer> launchOnly = new ArrayList<>();
            int[] pair = InitLauncher.socketPair();
            SyncChannel sync = new SyncChannel(pair[0]);
            try {
                child = spawnHelper(spec, initPid, viewNs, viaNsenter, fds, launchOnly,
                        o.preserveFds(), pair[1]);
                LibC.C.close(pair[1]);
                InitLauncher.sendConfig(sync, new InitConfig("exec", o.id(), c.state().bundle(),
                        c.state().rootfs(), o.process(), null, consoleFd, o.preserveFds(),
                        c.state().cgroupsPath(), c.state().cgroupsCreated(), mountNs,
                        launchOnly, Capabilities.lastCap(), spec.linux().seccomp(), null));
                Creator.expect(sync, "started", child);
                // With a PID namespace, nsenter forks the helper into it and waits for it.
                pid = viaNsenter && Namespaces.find(spec, "pid") != null
                        ? Processes.onlyChild(child) : child;
                c.cgroups().join(pid);
                if (o.process().oomScoreAdj() != null) {
                    Mounts.writeFile("/proc/" + pid + "/oom_score_adj", o.process().oomScoreAdj().toString());
                }
                sync.send("go " + pid);
                Creator.expect(sync, "ready", child);
                child = Creator.releaseInit(child, pid); // now our child
            } finally {
                sync.close();
            }
        } catch (RuntimeException e) {
            if (receiver >= 0) LibC.C.close(receiver);
            throw e;
        } finally {
            fds.close();
            if (console >= 0) LibC.C.close(console);
        }
        if (o.pidFile() != null) Creator.writePidFile(o.pidFile(), pid);
        if (o.detach()) return 0;
        TerminalRelay relay = receiver >= 0 ? TerminalRelay.start(receiver) : null;
        int exit = Spawn.waitFor(child);
        if (relay != null) relay.close();
        return exit;
    }
    // end::exec[]

    /** libseccomp loaded here, so the helper finds it; without it, exec fails (fail closed). */
    static void bindSeccomp() {
        try {
            jrunc.linux.Seccomp.bind();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new JruncException("linux.seccomp: " + e.getMessage());
        }
    }

    /**
     * Starts the helper JVM in the container's namespaces and its tree: from a thread that
     * joined them, or through nsenter where a thread cannot (a user or time namespace).
     */
    static int spawnHelper(Spec spec, int initPid, int viewNs, boolean viaNsenter,
            InitLauncher.Fds fds, List<Integer> launchOnly, int preserveFds, int syncEnd) {
        String[] env = {"PATH=" + ContainerProcess.DEFAULT_PATH, InitLauncher.UTF8_LOCALE,
            // No /proc in the tree: the loader finds libjli.so ($ORIGIN) here.
            "LD_ORIGIN_PATH=" + RuntimeFiles.JDK + "/bin"};
        String[] java = {RuntimeFiles.JDK + "/bin/java", "@" + RuntimeFiles.ARGS};
        if (!viaNsenter) {
            return Spawn.spawn(() -> enter(spec, initPid, viewNs), java[0], java, env,
                    fds.layout(preserveFds, syncEnd));
        }
        int view = fds.place(viewNs);
        launchOnly.add(view);
        return Spawn.spawn(() -> {}, Tools.find("nsenter"), nsenter(spec, initPid, view, java),
                env, fds.layout(preserveFds, syncEnd));
    }

    static void checkTerminal(Options o) {
        if (o.process().isTerminal() ? o.consoleSocket() == null && o.detach()
                : o.consoleSocket() != null) {
            throw new SpecException("process.terminal " + o.process().isTerminal()
                    + (o.consoleSocket() == null ? " with --detach needs --console-socket"
                    : " but --console-socket was given"));
        }
    }

    /**
     * The helper's tree, in a mount namespace of its own (the returned fd holds it): the
     * JDK, the jars and JNA at neutral paths, the system libraries at theirs, the launcher's
     * argument file; nothing writable, nothing else of the host.
     */
    static int minimalRoot(Path mountPoint, int preserveFds) {
        Path jna = InitLauncher.jnaLibraryDirectory(mountPoint.getParent());
        try {
            Files.createDirectories(mountPoint);
        } catch (IOException e) {
            throw new JruncException("create " + mountPoint + ": " + e.getMessage());
        }
        Map<String, Path> views = RuntimeFiles.viewsForExec(jna);
        List<Path> mirrors = RuntimeFiles.mirroredForExec();
        List<String> args = InitLauncher.jvmOptions();
        List<String> jars = views.keySet().stream().filter(k -> k.startsWith(RuntimeFiles.JARS)).toList();
        args.addAll(List.of("-Djna.boot.library.path=" + RuntimeFiles.JNA,
                "-cp", String.join(":", jars), Init.class.getName(), Integer.toString(3 + preserveFds)));
        return Spawn.onFreshThread("jrunc-exec-view", () -> {
            LibC.check(LibC.C.unshare(LibC.CLONE_NEWNS), "unshare", "CLONE_NEWNS");
            int ns = (int) LibC.check(LibC.C.open("/proc/thread-self/ns/mnt",
                    LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open", "/proc/thread-self/ns/mnt");
            try {
                ReadOnlyView.enterMinimalRoot(mountPoint, views, mirrors,
                        Map.of(RuntimeFiles.ARGS, InitLauncher.argumentFileText(args)));
            } catch (RuntimeException e) {
                LibC.C.close(ns);
                throw e;
            }
            return ns;
        });
    }

    /**
     * On the spawning thread: the container's namespaces (the PID namespace for the thread's
     * children), the helper's tree last. The helper is born in both: a direct child of ours,
     * so whoever reaps our orphans (an engine's subreaper) gets its exit status.
     */
    static void enter(Spec spec, int initPid, int viewNs) {
        for (Spec.Namespace ns : spec.linux().namespaces()) {
            if (ns.type().equals("mount")) continue;
            Namespaces.join(ns.type(), nsPath(initPid, ns.type()));
        }
        Namespaces.join("mount", viewNs);
    }

    /**
     * A user or time namespace cannot be entered by a JVM thread: nsenter joins the
     * container's namespaces (the user namespace first, and then it runs as the container's
     * root) and the helper's tree, then forks the helper into the container's PID namespace.
     */
    static String[] nsenter(Spec spec, int initPid, int viewFd, String[] java) {
        List<String> argv = new ArrayList<>(List.of(Tools.find("nsenter")));
        for (Spec.Namespace ns : spec.linux().namespaces()) {
            if (ns.type().equals("mount")) continue;
            argv.add("--" + Namespaces.optionName(ns.type()) + "=" + nsPath(initPid, ns.type()));
        }
        argv.addAll(List.of("--mount=/proc/self/fd/" + viewFd, "--"));
        argv.addAll(List.of(java));
        return argv.toArray(new String[0]);
    }

    static String nsPath(int initPid, String type) {
        return type.equals("cgroup") ? cgroupNamespacePath(initPid)
                : "/proc/" + initPid + "/ns/" + Namespaces.procName(type);
    }

    /**
     * unshare(CLONE_NEWCGROUP) is per thread: until start, only the init JVM's thread that
     * will exec the program is in the container's cgroup namespace, and /proc/PID/ns/cgroup
     * (the main thread's) still names the one it came from. Take that thread's.
     */
    static String cgroupNamespacePath(int initPid) {
        Path process = Path.of("/proc/" + initPid + "/ns/cgroup");
        try (var threads = Files.list(Path.of("/proc/" + initPid + "/task"))) {
            Path leaderNs = Files.readSymbolicLink(process);
            for (Path thread : (Iterable<Path>) threads::iterator) {
                Path ns = thread.resolve("ns/cgroup");
                try {
                    if (!Files.readSymbolicLink(ns).equals(leaderNs)) return ns.toString();
                } catch (IOException threadExited) {
                    // a JVM thread that ended meanwhile: not the one
                }
            }
        } catch (IOException e) {
            throw new JruncException("read the cgroup namespace of init " + initPid + ": " + e);
        }
        return process.toString();
    }
}
