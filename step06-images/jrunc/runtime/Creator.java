package jrunc.runtime;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import jrunc.linux.Cgroups;
import jrunc.linux.LibC;
import jrunc.linux.Namespaces;
import jrunc.linux.Spawn;
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

    public record Options(Path root, String id, Path bundle, Path pidFile, String consoleSocket,
            int preserveFds) {}

    // tag::create[]
    public static Container create(Options o) {
        Path dir = Container.directory(o.root(), o.id());
        Path bundle = o.bundle().toAbsolutePath().normalize();
        Spec spec = SpecLoader.load(bundle.resolve("config.json"));
        SpecValidator.validate(spec).forEach(Log::warn);
        Path rootfs = bundle.resolve(spec.root().path()).normalize();
        if (!Files.isDirectory(rootfs)) {
            throw new SpecException("root.path: " + rootfs + " is not a directory (ENOENT)");
        }
        checkConsole(spec, o.consoleSocket());
        makeStateDirectory(o.root(), dir, o.id());
        Cgroups cgroups = null;
        int pid = -1;
        try {
            Path fifo = dir.resolve("exec.fifo");
            LibC.check(LibC.C.mkfifo(fifo.toString(), 0622), "mkfifo", fifo.toString());
            Spec.Linux linux = spec.linux();
            cgroups = Cgroups.of(linux == null ? null : linux.cgroupsPath(), o.id(), List.of());
            cgroups.create(linux == null ? null : linux.resources());
            Log.debug("cgroup " + cgroups.directory("memory") + " ready (made " + cgroups.created() + ")");
            cgroups.warnings().forEach(Log::warn);
            InitConfig config = new InitConfig("create", o.id(), bundle.toString(),
                    rootfs.toString(), null, fifo.toString(), o.consoleSocket(), o.preserveFds(),
                    linux == null ? null : linux.cgroupsPath(), cgroups.created(), 0);
            Path configFile = dir.resolve("init.json");
            SpecLoader.JSON.writeValue(configFile.toFile(), config);
            int[] pair = InitLauncher.socketPair();
            SyncChannel sync = new SyncChannel(pair[0]);
            try {
                pid = InitLauncher.launch(() -> enterNamespaces(spec), configFile,
                        o.preserveFds(), pair[1]);
                LibC.C.close(pair[1]);
                handshake(sync, pid, cgroups, spec, o.id(), bundle);
            } finally {
                sync.close();
            }
            State state = new State(spec.ociVersion(), o.id(), pid, Processes.startTime(pid),
                    bundle.toString(), rootfs.toString(), Instant.now().toString(),
                    "root", spec.annotations(), linux == null ? null : linux.cgroupsPath(),
                    cgroups.created());
            Container.save(dir, state);
            if (o.pidFile() != null) writePidFile(o.pidFile(), pid);
            return new Container(dir, state);
        } catch (RuntimeException | IOException e) {
            undo(pid, cgroups, dir);
            if (e instanceof RuntimeException r) throw r;
            throw new JruncException("create " + o.id() + ": " + e.getMessage());
        }
    }
    // end::create[]

    static void checkConsole(Spec spec, String consoleSocket) {
        if (spec.process().isTerminal() && consoleSocket == null) {
            throw new SpecException("process.terminal is true, so jrunc needs --console-socket"
                    + " to hand out the pty (or set \"terminal\": false)");
        }
        if (!spec.process().isTerminal() && consoleSocket != null) {
            throw new JruncException("--console-socket needs \"terminal\": true in process");
        }
    }

    static void makeStateDirectory(Path root, Path dir, String id) {
        try {
            Files.createDirectories(root);
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            throw new JruncException("container " + id + " already exists (" + dir + ")");
        } catch (IOException e) {
            throw new JruncException("create state directory " + dir + ": " + e.getMessage());
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
        for (Spec.Namespace ns : spec.linux().namespaces()) {
            if (ns.path() != null && !ns.path().isEmpty()) {
                Namespaces.join(ns.type(), ns.path());
            } else if (!ns.type().equals("cgroup")) {
                flags |= Namespaces.FLAGS.get(ns.type());
            }
        }
        final int unshare = flags;
        LibC.check(LibC.C.unshare(unshare), "unshare", "0x" + Integer.toHexString(unshare));
    }
    // end::enter-namespaces[]

    /** started → join cgroup, run createRuntime/prestart hooks → go → ready or error. */
    static void handshake(SyncChannel sync, int pid, Cgroups cgroups, Spec spec, String id,
            Path bundle) {
        expect(sync, "started", pid);
        Log.debug("init " + pid + " started; joining it to the cgroup");
        cgroups.join(pid);
        String state = Container.stateJson(spec.ociVersion(), id, pid, "creating",
                bundle.toString(), spec.annotations());
        if (spec.hooks() != null) {
            Hooks.run(spec.hooks().prestart(), "prestart", state);
            Hooks.run(spec.hooks().createRuntime(), "createRuntime", state);
        }
        sync.send("go " + pid);
        expect(sync, "ready", pid);
        Log.debug("init " + pid + " is ready and waits on exec.fifo");
    }

    static void expect(SyncChannel sync, String what, int pid) {
        String line = sync.receive();
        if (line == null) {
            int status = Spawn.waitFor(pid);
            throw new JruncException("init " + pid + " exited with status " + status
                    + " before it was " + what);
        }
        if (line.startsWith("error ")) {
            String[] statusAndMessage = line.substring(6).split(" ", 2);
            throw new JruncException(Integer.parseInt(statusAndMessage[0]), statusAndMessage[1]);
        }
        if (!line.equals(what)) throw new JruncException("init said " + line + ", not " + what);
    }

    /** Leaves nothing behind: the init, the cgroup, the state directory. */
    static void undo(int pid, Cgroups cgroups, Path dir) {
        if (pid > 0) {
            LibC.C.kill(pid, LibC.SIGKILL);
            try {
                Spawn.waitFor(pid);
            } catch (LibC.SyscallException alreadyReaped) {
                // ECHILD: expect() reaped it when it died early
            }
        }
        if (cgroups != null) cgroups.destroy();
        Container.removeDirectory(dir);
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
