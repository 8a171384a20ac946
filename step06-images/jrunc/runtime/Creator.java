package jrunc.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.json.JsonValue.JsonObject;
import jrunc.linux.Capabilities;
import jrunc.linux.Cgroups;
import jrunc.linux.LibC;
import jrunc.linux.Namespaces;
import jrunc.linux.ReadOnlyView;
import jrunc.linux.Spawn;
import jrunc.linux.Tools;
import jrunc.linux.UserNamespace;
import jrunc.spec.Spec;
import jrunc.spec.SpecException;
import jrunc.spec.SpecLoader;
import jrunc.spec.SpecValidator;

/**
 * "create": validate the bundle, make the state directory and the cgroup, start the init in
 * new namespaces, join it to the cgroup, and wait until it reports ready (or an error, after
 * which nothing is left: no state directory, cgroup, mount or process).
 */
public final class Creator {
    private Creator() {}

    /** relayTerminal: the caller ("run" in the foreground) relays process.terminal's pty. */
    public record Options(Path root, String id, Path bundle, Path pidFile, String consoleSocket,
            int preserveFds, boolean relayTerminal) {
        public Options(Path root, String id, Path bundle, Path pidFile, String consoleSocket,
                int preserveFds) {
            this(root, id, bundle, pidFile, consoleSocket, preserveFds, false);
        }

        public Options relaying() {
            return new Options(root, id, bundle, pidFile, consoleSocket, preserveFds, true);
        }
    }

    // tag::create[]
    public static Container create(Options o) {
        Container.directory(o.root(), o.id()); // refuses a bad id before the bundle is read
        Path bundle = o.bundle().toAbsolutePath().normalize();
        Spec spec = SpecLoader.load(bundle.resolve("config.json"));
        SpecValidator.validate(spec).forEach(Log::warn);
        Path rootfs = bundle.resolve(spec.root().path()).normalize();
        if (!Files.isDirectory(rootfs)) {
            throw new SpecException("root.path: " + rootfs + " is not a directory (ENOENT)");
        }
        checkConsole(spec, o.consoleSocket(), o.relayTerminal());
        checkCapabilities(spec.process());
        Spec.Linux linux = spec.linux();
        Container container = Container.reserve(o.root(), State.creating(spec.ociVersion(),
                o.id(), bundle.toString(), rootfs.toString(), Instant.now().toString(),
                spec.annotations(), linux == null ? null : linux.cgroupsPath()));
        Path dir = container.dir;
        becomeSubreaper();
        Cgroups cgroups = null;
        UserNamespace userNamespace = null;
        int console = -1;
        int receiver = -1;
        int child = -1;
        int pid = -1;
        try {
            Path fifo = dir.resolve("exec.fifo");
            LibC.check(LibC.C.mkfifo(fifo.toString(), 0622), "mkfifo", fifo.toString());
            // Not the umask's: the init opens it as the container's user, any uid.
            LibC.check(LibC.C.chmod(fifo.toString(), 0622), "chmod", fifo.toString());
            cgroups = Cgroups.of(linux == null ? null : linux.cgroupsPath(), o.id(), List.of());
            container.recordCgroups(cgroups.missing()); // a kill while making them leaves them named
            cgroups.create(linux == null ? null : linux.resources());
            container.recordCgroups(withSharedParents(o.root(), o.id(), cgroups.created()));
            Log.debug("cgroup " + cgroups.directory("memory") + " ready (made " + cgroups.created() + ")");
            cgroups.warnings().forEach(Log::warn);
            boolean inUserNamespace = Namespaces.find(spec, "user") != null;
            if (inUserNamespace) {
                userNamespace = newUserNamespace(spec, rootfs, fifo);
            }
            int[] ends = InitLauncher.consoleEnds(spec.process().isTerminal(), o.consoleSocket());
            console = ends[0];
            receiver = ends[1];
            InitLauncher.Fds fds = new InitLauncher.Fds(o.preserveFds());
            int consoleFd = console >= 0 ? fds.place(console) : -1;
            // In a user namespace the init may not reach the state directory: by fd.
            String fifoForInit = inUserNamespace ? "/proc/self/fd/" + fds.open(fifo) : fifo.toString();
            List<Integer> launchOnly = new ArrayList<>();
            Set<Path> readOnly = RuntimeFiles.forInit(InitLauncher.jnaLibraryDirectory(dir));
            int[] pair = InitLauncher.socketPair();
            SyncChannel sync = new SyncChannel(pair[0]);
            try {
                child = InitLauncher.launchInit(entry(spec, userNamespace, readOnly), fds,
                        o.preserveFds(), pair[1], dir, launchOnly);
                LibC.C.close(pair[1]);
                InitLauncher.sendConfig(sync, new InitConfig("create", o.id(), bundle.toString(),
                        rootfs.toString(), null, fifoForInit, consoleFd, o.preserveFds(),
                        linux == null ? null : linux.cgroupsPath(), cgroups.created(), -1,
                        launchOnly, Capabilities.lastCap(), null, spec));
                pid = handshake(sync, child, cgroups, spec, o.id(), bundle, userNamespace,
                        container::recordInit);
                child = releaseInit(child, pid);
                container.recordCreated();
                sync.send("created"); // an init that sees EOF instead exits: we died
            } finally {
                sync.close();
                fds.releaseNamespace();
            }
            if (o.pidFile() != null) writePidFile(o.pidFile(), pid);
            container.child = child;
            container.consoleReceiver = receiver;
            return container;
        } catch (RuntimeException e) {
            if (receiver >= 0) LibC.C.close(receiver);
            undo(pid, child, cgroups, container);
            throw e;
        } finally {
            if (userNamespace != null) userNamespace.close();
            if (console >= 0) LibC.C.close(console);
        }
    }
    // end::create[]

    /**
     * Adds the parents of our cgroup that another container of this root made and still
     * lists: whichever of us is deleted last removes them (a busy parent is left, not retried).
     */
    static List<String> withSharedParents(Path root, String id, List<String> created) {
        Set<String> theirs = new java.util.HashSet<>();
        try (var dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String other = d.getFileName().toString();
                if (other.equals(id) || !Files.exists(d.resolve("state.json"))) continue;
                try {
                    theirs.addAll(Container.load(root, other).state().cgroupsCreated());
                } catch (RuntimeException goneMeanwhile) {
                    // deleted while we looked: its directories are gone or going
                }
            }
        } catch (IOException e) {
            return created;
        }
        List<String> all = new ArrayList<>(created);
        for (String dir : created) {
            for (Path p = Path.of(dir).getParent(); p != null; p = p.getParent()) {
                if (theirs.contains(p.toString()) && !all.contains(p.toString())) all.add(p.toString());
            }
        }
        return all;
    }

    /**
     * A capability outside our bounding set cannot be given to any process we start: say
     * so now by name, as runc fails create (the bounding set itself may list it: runc and
     * jrunc then leave it out).
     */
    static void checkCapabilities(Spec.Process process) {
        Spec.Capabilities caps = process.capabilities();
        if (caps == null) return;
        long bounding = Capabilities.boundingSet();
        Map<String, List<String>> sets = new LinkedHashMap<>();
        sets.put("effective", caps.effective());
        sets.put("permitted", caps.permitted());
        sets.put("inheritable", caps.inheritable());
        sets.put("ambient", caps.ambient());
        sets.forEach((set, names) -> {
            String missing = Capabilities.missingFrom(bounding, names);
            if (missing != null) {
                throw new SpecException("process.capabilities." + set + ": " + missing
                        + " is not in jrunc's capability bounding set (CapBnd in"
                        + " /proc/self/status), so no process it starts can have it (EPERM)\n"
                        + "  hint: remove " + missing + " from process.capabilities, or run jrunc"
                        + " where the bounding set has it");
            }
        });
    }

    static void checkConsole(Spec spec, String consoleSocket, boolean relay) {
        if (spec.process().isTerminal() && consoleSocket == null && !relay) {
            throw new SpecException("process.terminal is true, so jrunc needs --console-socket"
                    + " to hand out the pty (or set \"terminal\": false; jrunc run without"
                    + " --detach relays the terminal itself)");
        }
        if (!spec.process().isTerminal() && consoleSocket != null) {
            throw new JruncException("--console-socket needs \"terminal\": true in process");
        }
    }

    // tag::enter-namespaces[]
    /**
     * On the spawning thread: join the namespaces with a path, unshare the others. A new
     * cgroup namespace is left to the init: its root is the cgroup of whoever unshares it,
     * and only the init will be in the container's cgroup.
     */
    static void enterNamespaces(Spec spec) {
        int flags = 0;
        // In FLAGS order, so mount comes last: joining it changes the thread's root, and the
        // other paths are host paths. A time namespace is unshare's or nsenter's (below).
        for (String type : Namespaces.FLAGS.keySet()) {
            Spec.Namespace ns = Namespaces.find(spec, type);
            if (ns == null || type.equals("time")) continue;
            if (Namespaces.hasPath(ns)) {
                Namespaces.join(type, ns.path());
            } else if (!type.equals("cgroup")) {
                flags |= Namespaces.FLAGS.get(type);
            }
        }
        final int unshare = flags;
        LibC.check(LibC.C.unshare(unshare), "unshare", "0x" + Integer.toHexString(unshare));
    }
    // end::enter-namespaces[]

    // tag::user-namespace-entry[]
    /**
     * How the init gets into its namespaces. Without a user namespace, the spawning thread
     * enters them (above). With one, no JVM thread can: nsenter (util-linux) enters the user
     * namespace and becomes its root, joins the namespaces given by path, and execs unshare,
     * which makes the new namespaces (so the user namespace owns them) and forks the init as
     * PID 1. A time namespace is the same in both cases: its clock offsets can only be written
     * by a single-threaded process (/proc/PID/timens_offsets is per process), so unshare
     * --time makes it and nsenter --time joins one. Either way the spawning thread's new
     * mount namespace gets read-only views of the files our JVM runs from first.
     */
    static InitLauncher.Entry entry(Spec spec, UserNamespace created, Set<Path> readOnly) {
        Spec.Namespace user = Namespaces.find(spec, "user");
        Spec.Namespace time = Namespaces.find(spec, "time");
        if (user == null) {
            List<String> wrapper = new ArrayList<>();
            if (Namespaces.hasPath(time)) {
                wrapper.addAll(List.of(Tools.find("nsenter"), "--time=" + time.path(), "--"));
            } else if (time != null) {
                wrapper.addAll(List.of(Tools.find("unshare"), "--time"));
                wrapper.addAll(timeOffsets(spec));
                wrapper.add("--");
            }
            boolean newMounts = !Namespaces.hasPath(Namespaces.find(spec, "mount"));
            return new InitLauncher.Entry(() -> {
                enterNamespaces(spec);
                if (newMounts) ReadOnlyView.protectInPlace(readOnly);
            }, wrapper, false);
        }
        List<String> wrapper = new ArrayList<>(List.of(Tools.find("nsenter"),
                "--user=" + (created != null ? created.path() : user.path())));
        List<String> unshare = new ArrayList<>();
        for (String type : Namespaces.FLAGS.keySet()) {
            Spec.Namespace ns = Namespaces.find(spec, type);
            if (ns == null || type.equals("user")) continue;
            if (Namespaces.hasPath(ns)) {
                wrapper.add("--" + Namespaces.optionName(type) + "=" + ns.path());
            } else if (!type.equals("cgroup")) {
                unshare.add("--" + Namespaces.optionName(type));
            }
        }
        if (unshare.contains("--time")) unshare.addAll(timeOffsets(spec));
        wrapper.add("--");
        if (!unshare.isEmpty()) {
            wrapper.add(Tools.find("unshare"));
            wrapper.addAll(unshare);
            if (unshare.contains("--mount")) wrapper.addAll(List.of("--propagation", "unchanged"));
            if (unshare.contains("--pid")) wrapper.add("--fork");
            wrapper.add("--");
        }
        return new InitLauncher.Entry(() -> {
            // unshare --mount below copies this namespace, with the views locked read-only.
            LibC.check(LibC.C.unshare(LibC.CLONE_NEWNS), "unshare", "CLONE_NEWNS");
            ReadOnlyView.protectInPlace(readOnly);
        }, wrapper, true);
    }
    // end::user-namespace-entry[]

    /** linux.timeOffsets as unshare's options (whole seconds: the validator checked). */
    static List<String> timeOffsets(Spec spec) {
        List<String> options = new ArrayList<>();
        if (!(spec.linux().timeOffsets() instanceof JsonObject offsets)) return options;
        offsets.members().forEach((clock, offset) -> options.addAll(List.of("--" + clock,
                ((JsonObject) offset).get("secs").toString())));
        return options;
    }

    /**
     * A new user namespace with the spec's maps (none when it is joined by path). The init
     * starts as the container's root, an unprivileged uid on the host: it must be able to
     * reach the root file system.
     */
    static UserNamespace newUserNamespace(Spec spec, Path rootfs, Path fifo) {
        if (Namespaces.hasPath(Namespaces.find(spec, "user"))) return null;
        List<UserNamespace.Mapping> uids = UserNamespace.mappings(spec.linux().uidMappings());
        List<UserNamespace.Mapping> gids = UserNamespace.mappings(spec.linux().gidMappings());
        long uid = UserNamespace.hostId(uids, 0), gid = UserNamespace.hostId(gids, 0);
        checkReachable(rootfs, uid, gid);
        // The init opens exec.fifo for writing as the container's root.
        LibC.check(LibC.C.chown(fifo.toString(), (int) uid, (int) gid), "chown", fifo.toString());
        return UserNamespace.create(uids, gids);
    }

    /** Every directory from / down to rootfs must be searchable by the container's root. */
    static void checkReachable(Path rootfs, long uid, long gid) {
        for (Path dir = rootfs; dir != null; dir = dir.getParent()) {
            try {
                int mode = (Integer) Files.getAttribute(dir, "unix:mode");
                int owner = (Integer) Files.getAttribute(dir, "unix:uid");
                int group = (Integer) Files.getAttribute(dir, "unix:gid");
                int bit = owner == uid ? 0100 : group == gid ? 0010 : 0001;
                if ((mode & bit) == 0) {
                    throw new JruncException("root.path: the container's root is uid " + uid
                            + " on the host (linux.uidMappings), and it cannot search " + dir
                            + " (mode " + Integer.toOctalString(mode & 07777) + ", EACCES)\n"
                            + "  hint: chmod o+x " + dir + ", or keep the bundle where that uid can reach it");
                }
            } catch (IOException e) {
                throw new JruncException("stat " + dir + ": " + e.getMessage());
            }
        }
    }

    /**
     * started PID → join cgroup, run createRuntime/prestart hooks → go → ready or error.
     * Returns the init's PID as the host sees it (child is nsenter or unshare when the init
     * was started through them).
     */
    static int handshake(SyncChannel sync, int child, Cgroups cgroups, Spec spec, String id,
            Path bundle, UserNamespace userNamespace, java.util.function.IntConsumer recordInit) {
        int pid = Integer.parseInt(expect(sync, "started", child));
        recordInit.accept(pid);
        if (userNamespace != null) userNamespace.close(); // the init holds it now
        Log.debug("init " + pid + " started; joining it to the cgroup");
        cgroups.join(pid);
        String state = Container.stateJson(spec.ociVersion(), id, pid, "creating",
                bundle.toString(), spec.annotations());
        if (spec.hooks() != null) {
            Hooks.run(spec.hooks().prestart(), "prestart", state);
            Hooks.run(spec.hooks().createRuntime(), "createRuntime", state);
        }
        sync.send("go " + pid);
        expect(sync, "ready", child);
        Log.debug("init " + pid + " is ready and waits on exec.fifo");
        return pid;
    }

    // tag::release-init[]
    /**
     * Started through nsenter or unshare --fork, the init is their child and they wait for
     * it: an engine's subreaper (conmon, containerd-shim) could never reap it, and they would
     * hold the caller's stdio. They set no parent-death signal, so ending the wrapper
     * re-parents the init to us (a subreaper, below), and when we exit to the engine's, as
     * runc's init. Returns the process to wait for: the init.
     */
    static int releaseInit(int wrapper, int init) {
        if (wrapper == init) return init;
        LibC.C.kill(wrapper, LibC.SIGKILL);
        Spawn.waitFor(wrapper);
        return init;
    }

    /**
     * Orphans of our children come to us, not past us: the engine must get the init only
     * once we have exited and written --pid-file, or it reaps a PID it does not know yet
     * (conmon then reports 255 for an exec that exits at once).
     */
    static void becomeSubreaper() {
        LibC.check(LibC.C.prctl(LibC.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl",
                "PR_SET_CHILD_SUBREAPER");
    }
    // end::release-init[]

    /** Waits for "what" (or "what ARG", then returns ARG) from the init that child started. */
    static String expect(SyncChannel sync, String what, int child) {
        String line = sync.receive();
        if (line == null) {
            int status = Spawn.waitFor(child);
            throw new JruncException("init " + child + " exited with status " + status
                    + " before it was " + what);
        }
        if (line.startsWith("error ")) {
            String[] statusAndMessage = line.substring(6).split(" ", 2);
            throw new JruncException(Integer.parseInt(statusAndMessage[0]), statusAndMessage[1]);
        }
        if (line.equals(what)) return "";
        if (line.startsWith(what + " ")) return line.substring(what.length() + 1);
        throw new JruncException("init said " + line + ", not " + what);
    }

    /** Leaves nothing behind: the init, the process that started it, the cgroup, the state directory. */
    static void undo(int pid, int child, Cgroups cgroups, Container container) {
        if (pid > 0) LibC.C.kill(pid, LibC.SIGKILL);
        if (child > 0) {
            LibC.C.kill(child, LibC.SIGKILL);
            try {
                Spawn.waitFor(child);
            } catch (LibC.SyscallException alreadyReaped) {
                // ECHILD: expect() reaped it when it died early
            }
        }
        if (cgroups != null) cgroups.destroy();
        container.remove();
    }

    static void writePidFile(Path pidFile, int pid) {
        try {
            Path tmp = pidFile.resolveSibling("." + pidFile.getFileName() + ".tmp");
            Files.writeString(tmp, Integer.toString(pid));
            Files.move(tmp, pidFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new JruncException("write --pid-file " + pidFile + ": " + e.getMessage());
        }
    }
}
