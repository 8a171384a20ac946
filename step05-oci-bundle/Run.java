///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS net.java.dev.jna:jna:5.19.1
//DEPS com.fasterxml.jackson.core:jackson-databind:2.22.4
//SOURCES LibC.java Channel.java Cgroups.java CgroupV1.java CgroupV2.java Bundle.java State.java
//JAVA_OPTIONS -XX:-MaxFDLimit --enable-native-access=ALL-UNNAMED

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.jna.Memory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * step05-oci-bundle: step04's container, described by an OCI bundle and driven through runc's
 * lifecycle.
 *
 * <p>The new idea is the runtime-spec: instead of options on our command line, a bundle (a
 * directory with config.json and a root filesystem) says what to run, and the container lives
 * through separate commands, each one a new process: create sets everything up and leaves the
 * init waiting; start lets it exec the command; state, kill and delete look the container up
 * in its state directory. {@link Bundle} maps config.json onto what steps 02-04 did by hand;
 * {@link State} is what the commands share. The init waits on exec.fifo, runc's rendezvous: a
 * named pipe it opens for writing, which blocks until start opens it for reading.
 *
 * <p>From step04: the runtime creates the container's cgroups, a fresh thread unshares the
 * namespaces and spawns a second JVM running this program in its init role, PID 1 of the new
 * PID namespace. The init asks to be placed in the cgroups ("started"), makes the mounts
 * private, mounts what config.json lists into the rootfs, pivot_root(2)s into it, sets the
 * hostname, brings lo up, says "ready" over the {@link Channel}, and execs the command.
 *
 * <p>Read it in the order it runs: main, the commands, the parent (the runtime), then the init.
 */
public class Run {
    static final String USAGE = """
            Usage: ./jbang step05-oci-bundle/Run.java [--root DIR] [--verbose] COMMAND ...

            Runs an OCI bundle (a directory with config.json and a root filesystem,
            runtime-spec 1.x) through runc's lifecycle. Needs root.

            Commands:
              spec [--bundle DIR]          write a default config.json for the workshop rootfs
              create [--bundle DIR] ID     set container ID up; its init waits for start
              start ID                     let the init exec the command of config.json
              state ID                     print the state of ID as JSON
              kill ID [SIGNAL]             send SIGNAL (default SIGTERM) to the init
              delete [--force] ID          remove a stopped container (--force: kill it first)
              run [--bundle DIR] ID        create, start, wait, delete; exit with the status

            Global options:
              --root DIR   where the containers' state lives (default /run/step05)
              --verbose    narrate each kernel step on stderr as it happens

            COMMAND --help tells more. Example, with the workshop rootfs copied to /tmp/demo:
              ./jbang step05-oci-bundle/Run.java spec --bundle /tmp/demo
              ./jbang step05-oci-bundle/Run.java run --bundle /tmp/demo demo
            Exit status: 0; 1 if the runtime failed (as runc); run exits with the command's
            status (128+N if signal N killed it: 137 after an OOM kill).

            The runtime starts itself a second time as the container's init, as
            `java ... Run init` with a channel at fd 3; that role is not for direct use.
            """;

    static final Map<String, String> HELP = Map.of(
            "spec", """
                    Usage: ... spec [--bundle DIR]
                    Writes DIR/config.json (default: the current directory): the workshop's
                    rootfs at DIR/rootfs, read-only, running sh, with step04's namespaces,
                    /proc, /dev, /sys, and memory and pids limits. Refuses to overwrite one.
                    """,
            "create", """
                    Usage: ... create [--bundle DIR] ID
                    Reads DIR/config.json (default: the current directory), creates the
                    container's cgroups, namespaces, mounts and root, and leaves its init
                    waiting on ROOT/ID/exec.fifo; then exits. The command has not run yet.
                    """,
            "start", """
                    Usage: ... start ID
                    Opens ROOT/ID/exec.fifo: the waiting init execs process.args. Once.
                    """,
            "state", """
                    Usage: ... state ID
                    Prints ID's state (runtime-spec): status created, running or stopped.
                    """,
            "kill", """
                    Usage: ... kill ID [SIGNAL]
                    Sends SIGNAL (a name, TERM or SIGTERM, or a number; default SIGTERM) to
                    the container's init. PID 1 ignores signals it has no handler for:
                    sleep as PID 1 survives SIGTERM; KILL always works.
                    """,
            "delete", """
                    Usage: ... delete [--force] ID
                    Removes a stopped (or created) container: its cgroups and ROOT/ID.
                    A running one is refused, unless --force: SIGKILL, wait, remove.
                    """,
            "run", """
                    Usage: ... run [--bundle DIR] ID
                    create, start, wait for the command, delete. Exits with its status.
                    """);

    /** The argument that selects the init role (like `runc init`). */
    static final String INIT_ROLE = "init";

    /** The PATH we search for the command when config.json's process.env has none. */
    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    static boolean verbose;

    public static void main(String[] args) {
        if (args.length == 1 && args[0].equals(INIT_ROLE)) {
            init();
            return;
        }
        try {
            System.exit(command(new ArrayList<>(List.of(args))));
        } catch (CommandException e) {
            System.err.println("step05: " + e.getMessage());
            System.exit(e.exitStatus);
        } catch (Bundle.ConfigException | LibC.SyscallException | IllegalStateException
                | UncheckedIOException e) {
            System.err.println("step05: " + e.getMessage());
            System.exit(1);
        }
    }

    /** Global options, then a command, its options, and its operands. */
    static int command(List<String> args) {
        Path root = Path.of("/run/step05");
        while (!args.isEmpty() && args.get(0).startsWith("-")) {
            String option = args.remove(0);
            if (option.equals("--help") || option.equals("-h")) {
                System.out.print(USAGE);
                return 0;
            } else if (option.equals("--verbose")) {
                verbose = true;
            } else if (option.equals("--root") && !args.isEmpty()) {
                root = Path.of(args.remove(0)).toAbsolutePath();
            } else {
                throw usage(option.equals("--root") ? "--root needs a DIR"
                        : "unknown option " + option);
            }
        }
        if (args.isEmpty()) throw usage("no command");
        String command = args.remove(0);
        if (!HELP.containsKey(command)) throw usage("unknown command " + command);
        if (args.contains("--help") || args.contains("-h")) {
            System.out.print(HELP.get(command));
            return 0;
        }
        Path bundle = command.matches("spec|create|run") ? option(args, "--bundle") : null;
        boolean force = command.equals("delete") && args.remove("--force");
        for (String arg : args) {
            if (arg.startsWith("-")) throw usage(command + ": unknown option " + arg);
        }
        int operands = command.equals("spec") ? 0 : 1;
        int optional = command.equals("kill") ? 1 : 0;
        if (args.size() < operands || args.size() > operands + optional) {
            throw new CommandException(1, command + ": "
                    + (args.size() < operands ? "needs an ID" : "too many arguments " + args)
                    + "\n" + HELP.get(command));
        }
        String id = operands == 0 ? null : checkId(args.get(0));
        return switch (command) {
            case "spec" -> spec(bundle);
            case "create" -> create(root, bundle, id);
            case "start" -> start(root, id);
            case "state" -> state(root, id);
            case "kill" -> kill(root, id, args.size() > 1 ? args.get(1) : "SIGTERM");
            case "delete" -> delete(root, id, force);
            default -> run(root, bundle, id);
        };
    }

    /** The value of OPTION in args (both removed), or the current directory. */
    static Path option(List<String> args, String option) {
        int at = args.indexOf(option);
        if (at == -1) return Path.of("").toAbsolutePath();
        if (at + 1 == args.size()) throw usage(option + " needs a DIR");
        args.remove(at);
        return Path.of(args.remove(at)).toAbsolutePath().normalize();
    }

    static CommandException usage(String problem) {
        return new CommandException(1, problem + "\n\n" + USAGE);
    }

    /** An id names a directory under --root: letters, digits, and _ + - . only. */
    static String checkId(String id) {
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9_+.-]{0,127}")) {
            throw new CommandException(1, "container id \"" + id + "\": use letters, digits"
                    + " and _ + - . (up to 128, not starting with a symbol)");
        }
        return id;
    }

    // =====================================================================================
    // The commands: each one is a process of its own; ROOT/ID links them.
    // =====================================================================================

    // tag::default-process[]
    static final String DEFAULT_PROCESS = """
            "process": {
              "terminal": false,
              "args": ["sh"],
              "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                      "TERM=xterm", "HOME=/root"],
              "cwd": "/"
            },
            "root": {"path": "rootfs", "readonly": true},
            "hostname": "step05",
            """;
    // end::default-process[]

    // tag::default-mounts[]
    static final String DEFAULT_MOUNTS = """
            "mounts": [
              {"destination": "/proc", "type": "proc",
               "source": "proc"},
              {"destination": "/dev", "type": "tmpfs",
               "source": "tmpfs", "options": ["nosuid",
               "strictatime", "mode=755", "size=65536k"]},
              {"destination": "/dev/pts", "type": "devpts",
               "source": "devpts", "options": ["nosuid",
               "noexec", "newinstance", "ptmxmode=0666",
               "mode=0620"]},
              {"destination": "/dev/shm", "type": "tmpfs",
               "source": "shm", "options": ["nosuid",
               "noexec", "nodev", "mode=1777"]},
              {"destination": "/dev/mqueue", "type": "mqueue",
               "source": "mqueue", "options": ["nosuid",
               "noexec", "nodev"]},
              {"destination": "/sys", "type": "sysfs",
               "source": "sysfs", "options": ["nosuid",
               "noexec", "nodev", "ro"]}
            ],
            """;
    // end::default-mounts[]

    // tag::default-linux[]
    static final String DEFAULT_LINUX = """
            "linux": {
              "namespaces": [{"type": "pid"},
                {"type": "network"}, {"type": "ipc"},
                {"type": "uts"}, {"type": "mount"}],
              "resources": {
                "memory": {"limit": 67108864},
                "pids": {"limit": 64}
              }
            }
            """;
    // end::default-linux[]

    /** `runc spec`, for the workshop: terminal false, only what step05 handles. */
    static int spec(Path bundle) {
        Path file = bundle.resolve("config.json");
        if (Files.exists(file)) {
            throw new CommandException(1, file + " exists: remove it first");
        }
        String text = "{\"ociVersion\": \"" + State.OCI_VERSION + "\",\n"
                + DEFAULT_PROCESS + DEFAULT_MOUNTS + DEFAULT_LINUX + "}";
        try {
            Files.createDirectories(bundle);
            Files.write(file, Bundle.JSON.writer(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsBytes(Bundle.JSON.readTree(text)));
        } catch (IOException e) {
            throw new UncheckedIOException("write " + file, e);
        }
        if (!Files.isDirectory(bundle.resolve("rootfs"))) {
            System.err.println("step05: wrote " + file + "; its root.path, "
                    + bundle.resolve("rootfs") + ", does not exist yet\n  hint: cp -a rootfs "
                    + bundle);
        }
        return 0;
    }

    static int create(Path root, Path bundleDir, String id) {
        Bundle bundle = readBundle(bundleDir);
        create(root, bundle, id, false);
        // The init stays, waiting on exec.fifo; we go. Its new
        // parent is the machine's PID 1 (or a subreaper), so its
        // exit status is not ours to report: there is no monitor.
        return 0;
    }

    static Bundle readBundle(Path dir) {
        Bundle bundle = Bundle.read(dir);
        bundle.warnings().forEach(w -> System.err.println("step05: warning: " + w));
        return bundle;
    }

    static int start(Path root, String id) {
        start(root, State.load(root, id));
        return 0;
    }

    static int state(Path root, String id) {
        State state = State.load(root, id);
        System.out.println(state.toJson(state.liveStatus(root)));
        return 0;
    }

    /**
     * A pidfd names one process for good. Opened first, then checked against the recorded
     * start time: if that is still our init, the signal cannot hit a stranger.
     */
    static int kill(Path root, String id, String signalName) {
        int signal = Signals.parse(signalName);
        State state = State.load(root, id);
        // tag::kill[]
        int pidfd = (int) LibC.C.syscall(LibC.Syscall.pidfd_open.number(),
                state.pid(), 0, null, 0);
        try {
            if (pidfd == -1 || state.liveStatus(root)
                    .equals(State.STOPPED)) {
                throw new CommandException(1, "container "
                        + id + " is not running (stopped)");
            }
            LibC.check(LibC.C.syscall(
                    LibC.Syscall.pidfd_send_signal.number(), pidfd, signal,
                    null, 0), "pidfd_send_signal", signalName);
        } finally {
            if (pidfd != -1) LibC.C.close(pidfd);
        }
        // end::kill[]
        return 0;
    }

    // tag::delete[]
    static int delete(Path root, String id, boolean force) {
        State state = State.load(root, id);
        String status = state.liveStatus(root);
        if (status.equals(State.RUNNING) && !force) {
            throw new CommandException(1, "cannot delete container "
                    + id + ": it is running\n  hint: stop it (kill "
                    + id + " KILL) or use delete --force " + id);
        }
        // A created init never ran the command: runc kills it.
        if (!status.equals(State.STOPPED)) killAndWait(state);
        Cgroups cgroups = cgroupsOf(state);
        cgroups.adopt();
        cgroups.remove();
        State.removeDir(root, id);
        return 0;
    }
    // end::delete[]

    /** SIGKILL through a pidfd, then poll(2) it: readable once the init has exited. */
    static void killAndWait(State state) {
        int pidfd = (int) LibC.C.syscall(LibC.Syscall.pidfd_open.number(), state.pid(), 0, null, 0);
        if (pidfd == -1) return; // already gone
        try {
            State.ProcStat stat = State.ProcStat.of(state.pid());
            if (stat == null || stat.startTime() != state.startTime()) return; // not ours
            say("runtime", "pidfd_send_signal(" + state.pid() + ", SIGKILL), poll until exit");
            LibC.check(LibC.C.syscall(LibC.Syscall.pidfd_send_signal.number(), pidfd, LibC.SIGKILL, null, 0),
                    "pidfd_send_signal", "PID " + state.pid() + " SIGKILL");
            if (!State.hasExited(pidfd, 10_000)) {
                throw new CommandException(1, "PID " + state.pid() + " did not exit within 10 s"
                        + " of SIGKILL");
            }
        } finally {
            LibC.C.close(pidfd);
        }
    }

    // tag::run[]
    /** create + start + wait + delete, as one process: the
     *  runtime stays the init's parent and gets its status. */
    static int run(Path root, Path bundleDir, String id) {
        Bundle bundle = readBundle(bundleDir);
        ignoreTerminalSignals();
        Container container = create(root, bundle, id, true);
        // On SIGTERM or SIGHUP the JVM still runs this hook.
        Runtime.getRuntime().addShutdownHook(new Thread(
                container::destroy, "delete the container"));
        try {
            start(root, State.load(root, id));
            return exitStatusOf(container.exit);
        } finally {
            container.destroy();
        }
    }
    // end::run[]

    /** Like system(3): Ctrl-C is for the command; the runtime waits for its status. */
    static void ignoreTerminalSignals() {
        LibC.C.signal(LibC.SIGINT, LibC.SIG_IGN);
        LibC.C.signal(LibC.SIGQUIT, LibC.SIG_IGN);
    }

    /** The driver for the cgroups that create made (or will make) for this container. */
    static Cgroups cgroupsOf(State state) {
        Path path = Path.of(state.cgroupsPath());
        return Cgroups.forContainer(path.getParent().toString().substring(1),
                path.getFileName().toString(),
                new Cgroups.Limits(state.memory(), state.cpus(), state.pids()),
                line -> say("runtime", line));
    }

    // =====================================================================================
    // The parent: create and start.
    // =====================================================================================

    /** What create made, so that a failure (or run's end) can take it all down again. */
    static final class Container {
        final Path root;
        final String id;
        Cgroups cgroups;
        int pid;
        /** run: the container thread, which waits for the init; null for create. */
        FutureTask<Integer> exit;

        Container(Path root, String id) {
            this.root = root;
            this.id = id;
        }

        /** Kill the init unless it has ended, remove the cgroups and ROOT/ID. */
        synchronized void destroy() {
            if (pid > 0 && (exit == null || !exit.isDone())) {
                LibC.C.kill(pid, LibC.SIGKILL);
                if (exit != null) exitStatusOf(exit);
                else waitFor(pid);
            }
            pid = 0;
            if (cgroups != null) cgroups.remove();
            State.removeDir(root, id);
        }
    }

    // tag::create[]
    static Container create(Path root, Bundle bundle, String id,
            boolean foreground) {
        Path dir = State.dir(root, id);
        makeStateDir(root, dir, id);
        Container container = new Container(root, id);
        try {
            Path fifo = State.fifo(dir);
            LibC.check(LibC.C.mkfifo(fifo.toString(), 0600),
                    "mkfifo", fifo.toString());
            State state = newState(bundle, id);
            container.cgroups = cgroupsOf(state);
            say("runtime", container.cgroups.describe());
            container.cgroups.create();
            startInit(container, bundle, fifo, foreground);
            state.withInit(container.pid).save(root);
            return container;
        } catch (RuntimeException e) {
            container.destroy();
            throw e;
        }
    }
    // end::create[]

    static void makeStateDir(Path root, Path dir, String id) {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("mkdir " + root, e);
        }
        if (LibC.C.mkdir(dir.toString(), 0700) == -1) {
            int errno = com.sun.jna.Native.getLastError();
            if (errno == LibC.EEXIST) {
                throw new CommandException(1, "container " + id + " already exists (" + dir
                        + ")\n  hint: pick another ID, or delete " + id + " first");
            }
            throw new LibC.SyscallException("mkdir", dir.toString(), errno, null);
        }
    }

    /** The state before the init exists: where things are, what was asked. */
    static State newState(Bundle bundle, String id) {
        Cgroups.Limits limits = bundle.limits();
        String cgroupsPath = bundle.cgroupsPath() != null ? bundle.cgroupsPath()
                : "/" + Bundle.CGROUP_PARENT + "/" + id;
        return new State(State.OCI_VERSION, id, State.CREATED, 0, bundle.dir().toString(),
                bundle.annotations(), bundle.rootfs().toString(), Instant.now().toString(), 0,
                cgroupsPath, limits.memoryBytes(), limits.cpus(), limits.pids());
    }

    // tag::parent[]
    static void startInit(Container container, Bundle bundle,
            Path fifo, boolean foreground) {
        Channel[] ends = Channel.pair();
        Channel channel = ends[0], initsEnd = ends[1];
        // Buffered in the socket until the init reads it.
        channel.send(Spec.of(bundle, fifo, foreground).toMessage());
        SpawnAttributes hygiene = execHygiene(initsEnd);
        var initPid = new CompletableFuture<Integer>();
        FutureTask<Integer> thread = new FutureTask<>(() ->
                spawnInit(bundle.namespaces(), initCommand(),
                        hygiene, initsEnd, initPid, foreground));
        if (foreground) container.exit = thread;
        new Thread(thread, "container").start();
        // "started", then "ready" or an error.
        try (channel) {
            for (List<String> reply; ; ) {
                reply = channel.receive();
                if (reply == null) {
                    initEnded(container, thread, initPid);
                }
                say("runtime", "the init says " + reply.get(0));
                container.pid = initPid.join();
                switch (reply.get(0)) {
                    case "error" -> throw new CommandException(
                            1, reply.get(1));
                    case "started" -> {
                        container.cgroups.join(container.pid);
                        channel.send("joined");
                    }
                    default -> { return; } // "ready"
                }
            }
        }
        // end::parent[]
    }

    /** The channel closed before "ready": the init (or spawning it) failed. Throws. */
    static void initEnded(Container container, FutureTask<Integer> thread,
            CompletableFuture<Integer> initPid) {
        Integer status = exitStatusOf(thread); // rethrows a failure to spawn
        if (status == -1) {
            status = waitFor(initPid.join());
        }
        container.pid = 0;
        throw new CommandException(1, "the init exited with status " + status
                + " before it was ready (its own messages, if any, are above)");
    }

    /**
     * Opening exec.fifo for reading blocks until the init opens it for writing, then the init
     * execs. An init that died never will: wait in a thread, and watch the init meanwhile.
     */
    static void start(Path root, State state) {
        String status = state.liveStatus(root);
        if (!status.equals(State.CREATED)) {
            throw new CommandException(1, "cannot start container " + state.id() + ": it is "
                    + status + ", not created");
        }
        Path fifo = State.fifo(State.dir(root, state.id()));
        // tag::start[]
        var opened = new CompletableFuture<Void>();
        Thread reader = new Thread(
                () -> readExecFifo(fifo, opened));
        reader.setDaemon(true);
        reader.start();
        while (!opened.isDone()) {
            if (state.liveStatus(root).equals(State.STOPPED)) {
                throw new CommandException(1, "cannot start "
                        + state.id() + ": its init has exited");
            }
            Cgroups.sleep(10);
        }
        opened.join();
        deleteFile(fifo);
        // end::start[]
        state.withStatus(State.RUNNING).save(root);
    }

    static void readExecFifo(Path fifo, CompletableFuture<Void> opened) {
        try {
            say("runtime", "open(" + fifo + ", O_RDONLY)");
            // tag::read-fifo[]
            int fd = LibC.C.open(fifo.toString(),
                    LibC.O_RDONLY | LibC.O_CLOEXEC);
            LibC.check(fd, "open", fifo.toString());
            long n = LibC.C.read(fd, new byte[1], 1);
            LibC.C.close(fd);
            if (n != 1) throw new CommandException(1,
                    "the init closed exec.fifo without a word");
            // end::read-fifo[]
            opened.complete(null);
        } catch (RuntimeException e) {
            opened.completeExceptionally(e);
        }
    }

    static void deleteFile(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("rm " + file, e);
        }
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

    /**
     * The body of the "container" thread, the only thread of this JVM in the new namespaces.
     * After unshare(CLONE_NEWPID) it can no longer start threads (clone(CLONE_THREAD) says
     * EINVAL), so it does nothing that might. (JNA frees the native copies of String arguments
     * with a cleaner thread; the spawn attributes' memory started it, on the main thread, and
     * keeps it alive while this thread runs.)
     * For run it waits for the init and stays its parent until the end (the init's
     * PR_SET_PDEATHSIG watches this thread); for create it returns -1 at once.
     */
    static int spawnInit(int namespaces, List<String> initCommand, SpawnAttributes hygiene,
            Channel initsEnd, CompletableFuture<Integer> initPid, boolean foreground) {
        int pid;
        try {
            // tag::unshare[]
            // linux.namespaces, as flags (see Bundle.NAMESPACES).
            LibC.check(LibC.C.unshare(namespaces), "unshare",
                    "linux.namespaces", errno -> errno == LibC.EPERM
                            ? "new namespaces need root"
                            + " (CAP_SYS_ADMIN): run with sudo" : null);
            // end::unshare[]
            say("runtime", "unshare(" + Bundle.flagNames(namespaces, Bundle.NAMESPACE_FLAGS)
                    + ") on thread \"container\": this thread, and only it, is in the new"
                    + " namespaces");
            pid = spawn(initCommand, hygiene);
            initPid.complete(pid);
            say("runtime", "posix_spawn " + initCommand.get(0) + " ... " + INIT_ROLE
                    + ": the init is PID " + pid + " here");
        } finally {
            // The init has its copy at fd 3; with ours closed, the
            // runtime reads end-of-file if the init dies.
            initsEnd.close();
        }
        return foreground ? waitFor(pid) : -1;
    }

    /** The init JVM, created in this thread's namespaces: PID 1 with a new PID namespace. */
    static int spawn(List<String> initCommand, SpawnAttributes hygiene) {
        int[] pid = new int[1];
        String java = initCommand.get(0);
        int errno = LibC.C.posix_spawn(pid, java, hygiene.fileActions(),
                hygiene.attributes(), initCommand.toArray(String[]::new), initEnv());
        LibC.C.posix_spawn_file_actions_destroy(hygiene.fileActions());
        if (errno != 0) {
            throw new LibC.SyscallException("posix_spawn", java, errno,
                    "the init runs the runtime's own java (java.home)");
        }
        return pid[0];
    }

    /** The init JVM's environment (the command gets process.env). */
    static String[] initEnv() {
        return new String[] {"PATH=" + PATH};
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

    /** What the init needs from config.json, resolved by the runtime. */
    record Spec(String rootfs, boolean readonly, String hostname, List<String> args,
            List<String> env, String cwd, List<Bundle.Mount> mounts, boolean network,
            String fifo, boolean verbose, boolean dieWithRuntime) {
        static Spec of(Bundle bundle, Path fifo, boolean foreground) {
            return new Spec(bundle.rootfs().toString(), bundle.readonly(), bundle.hostname(),
                    bundle.args(), bundle.env(), bundle.cwd(), bundle.mounts(),
                    (bundle.namespaces() & LibC.CLONE_NEWNET) != 0, fifo.toString(), Run.verbose,
                    foreground);
        }

        List<String> toMessage() {
            try {
                return List.of("spec", Bundle.JSON.writeValueAsString(this));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        static Spec fromMessage(List<String> message) {
            if (message == null || !message.get(0).equals("spec")) {
                throw new IllegalStateException("expected a spec, got " + message);
            }
            try {
                return Bundle.JSON.readValue(message.get(1), Spec.class);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Signal names (TERM, SIGTERM) and numbers, as kill(1) takes them. */
    static final class Signals {
        static final List<String> NAMES = List.of("", "HUP", "INT", "QUIT", "ILL", "TRAP",
                "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
                "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
                "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS");

        static int parse(String text) {
            if (text.matches("[0-9]{1,2}")) {
                int number = Integer.parseInt(text);
                if (number >= 1 && number <= 64) return number;
            }
            int named = NAMES.indexOf(text.toUpperCase().replaceFirst("^SIG", ""));
            if (named > 0) return named;
            throw new CommandException(1, "kill: unknown signal " + text + " (a name such as"
                    + " TERM, SIGKILL, or a number from 1 to 64)");
        }
    }

    // =====================================================================================
    // The init: PID 1 of the new namespaces, this program again in a second JVM.
    // =====================================================================================

    /** True once "ready" is sent: from then on the runtime may be gone, errors go to stderr. */
    static boolean readySent;

    static void init() {
        Channel channel = Channel.inherited();
        Spec spec;
        try {
            spec = Spec.fromMessage(channel.receive());
        } catch (RuntimeException e) {
            System.err.println("init: no spec on fd 3 (" + e.getMessage() + "): the runtime"
                    + " starts this role itself, with a channel at fd 3; it is not for direct use");
            System.exit(1);
            return;
        }
        verbose = spec.verbose();
        try {
            // tag::init[]
            if (spec.dieWithRuntime()) dieWithTheRuntime();
            makeMountsPrivate();
            int execFifo = openExecFifo(spec.fifo());
            joinCgroups(channel);
            bindOntoItself(spec.rootfs());
            for (Bundle.Mount mount : spec.mounts()) {
                mountInRoot(spec.rootfs(), mount);
            }
            pivotRoot(spec.rootfs());
            if (spec.readonly()) remountRootReadOnly();
            if (spec.hostname() != null) setHostname(spec.hostname());
            if (spec.network()) bringLoopbackUp();
            changeDirectory(spec.cwd());
            String program = findProgram(spec.args().get(0),
                    pathOf(spec.env()), spec.rootfs());
            channel.send("ready");
            readySent = true;
            waitForStart(execFifo);
            exec(program, spec);
            // end::init[]
        } catch (CommandException e) {
            fail(channel, e.getMessage(), e.exitStatus);
        } catch (LibC.SyscallException e) {
            fail(channel, "init: " + e.getMessage(), 1);
        }
    }

    static void fail(Channel channel, String message, int status) {
        if (readySent) System.err.println("step05: " + message);
        else channel.send("error", message);
        Runtime.getRuntime().halt(status);
    }

    // tag::join[]
    /**
     * This JVM has started outside the limits: its start-up is
     * not charged to the container, and a tight pids limit cannot
     * kill it. Now the runtime moves it inside.
     */
    static void joinCgroups(Channel channel) {
        say("init", "started: asking the runtime to join us to"
                + " the cgroups");
        channel.send("started");
        List<String> answer = channel.receive();
        if (!List.of("joined").equals(answer)) {
            throw new CommandException(1, "init: expected"
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

    /** For run: if the runtime is killed, the kernel kills us (and the whole PID namespace). */
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

    // tag::open-fifo[]
    /**
     * O_PATH opens nothing, so it does not block on a FIFO:
     * a handle to reopen later, when ROOT/ID is out of reach.
     */
    static int openExecFifo(String fifo) {
        say("init", "open(" + fifo + ", O_PATH)");
        int fd = LibC.C.open(fifo,
                LibC.O_PATH | LibC.O_CLOEXEC);
        LibC.check(fd, "open O_PATH", fifo);
        return fd;
    }
    // end::open-fifo[]

    /** pivot_root needs the new root to be a mount point. */
    static void bindOntoItself(String rootfs) {
        say("init", "mount(" + rootfs + ", itself, MS_BIND|MS_REC)");
        LibC.check(LibC.C.mount(rootfs, rootfs, null,
                LibC.MS_BIND | LibC.MS_REC, null), "bind mount", rootfs);
    }

    /** One entry of config.json's mounts, below the new root. */
    static void mountInRoot(String rootfs, Bundle.Mount m) {
        String target = mountPoint(rootfs, m);
        say("init", "mount(" + m.source() + ", " + target + ", " + m.type() + ", "
                + Bundle.flagNames(m.flags(), Bundle.MOUNT_FLAGS) + ", " + m.data() + ")");
        // tag::mounts[]
        long flags = m.flags();
        long bind = flags & (LibC.MS_BIND | LibC.MS_REC);
        if (bind == 0) {
            mount(m.source(), target, m.type(), flags, m.data());
        } else {
            // A bind mount ignores the other flags (ro,
            // nosuid): they need a second call, a remount.
            mount(m.source(), target, null, bind, null);
            if (flags != bind) mount(null, target, null,
                    flags & ~LibC.MS_REC | LibC.MS_REMOUNT, null);
        }
        if (m.destination().equals("/dev")) makeDevices(target);
        // end::mounts[]
    }

    /**
     * The directory (or, for a bound file, the file) to mount on, created if missing. A
     * symlink inside the rootfs must not lead the mount out of it (to the host's /etc, say).
     */
    static String mountPoint(String rootfs, Bundle.Mount m) {
        Path target = Path.of(rootfs + m.destination());
        try {
            if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (Files.isDirectory(Path.of(m.source())) || (m.flags() & LibC.MS_BIND) == 0) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.createFile(target);
                }
            }
            Path real = target.toRealPath();
            if (!real.startsWith(Path.of(rootfs).toRealPath())) {
                throw new CommandException(1, "mount on " + m.destination() + ": it leads to "
                        + real + ", outside the rootfs (a symlink)");
            }
            return real.toString();
        } catch (IOException e) {
            throw new CommandException(1, "mount on " + m.destination() + ": cannot create "
                    + target + ": " + e);
        }
    }

    static void pivotRoot(String rootfs) {
        // tag::pivot-root[]
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
        return null;
    }

    // tag::readonly[]
    /** root.readonly: the bind mount of the rootfs, remounted. */
    static void remountRootReadOnly() {
        say("init", "mount(\"/\", MS_REMOUNT|MS_BIND|MS_RDONLY)");
        LibC.check(LibC.C.mount(null, "/", null, LibC.MS_REMOUNT
                | LibC.MS_BIND | LibC.MS_RDONLY, null),
                "remount read-only", "/");
    }
    // end::readonly[]

    static String missingDirectoryHint(int errno) {
        return errno == LibC.ENOENT || errno == LibC.ENOTDIR
                ? "the mount point is missing in the rootfs" : null;
    }

    /** A character device: name, major, minor (see the kernel's devices.txt). */
    record Device(String name, int major, int minor) {}

    static final List<Device> DEVICES = List.of(new Device("null", 1, 3),
            new Device("zero", 1, 5), new Device("full", 1, 7), new Device("random", 1, 8),
            new Device("urandom", 1, 9), new Device("tty", 5, 0));

    // tag::dev[]
    /** A /dev tmpfs starts empty: the devices every
     *  container gets (runc's defaults), and ptmx. */
    static void makeDevices(String dev) {
        say("init", "mknod " + DEVICES.stream().map(Device::name)
                .toList() + " in " + dev);
        for (Device device : DEVICES) {
            String path = dev + "/" + device.name();
            LibC.check(LibC.C.mknod(path, LibC.S_IFCHR | 0666,
                    (device.major() << 8) | device.minor()), "mknod", path);
            // mknod's mode went through our umask (022).
            LibC.check(LibC.C.chmod(path, 0666), "chmod", path);
        }
        LibC.check(LibC.C.symlink("pts/ptmx", dev + "/ptmx"),
                "symlink", dev + "/ptmx");
    }
    // end::dev[]

    static void mount(String source, String target, String type, long flags, String data) {
        LibC.check(LibC.C.mount(source, target, type, flags, data),
                "mount " + (type == null ? source : type) + " on", target,
                Run::missingDirectoryHint);
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

    /** process.cwd, inside the new root. */
    static void changeDirectory(String cwd) {
        say("init", "chdir(" + cwd + ")");
        LibC.check(LibC.C.chdir(cwd), "chdir", "process.cwd " + cwd,
                errno -> errno == LibC.ENOENT ? "there is no " + cwd + " in the rootfs" : null);
    }

    /** PATH from process.env, as the command will see it. */
    static String pathOf(List<String> env) {
        return env.stream().filter(v -> v.startsWith("PATH=")).map(v -> v.substring(5))
                .findFirst().orElse(PATH);
    }

    /**
     * Resolves process.args[0] the way a shell would, inside the new root: a name with a
     * slash is used as it is, a bare name is searched in PATH.
     */
    static String findProgram(String name, String path, String rootfs) {
        if (name.contains("/")) return name;
        for (String dir : path.split(":")) {
            String candidate = dir + "/" + name;
            if (LibC.C.access(candidate, LibC.X_OK) == 0) return candidate;
        }
        throw new CommandException(1, "process.args[0] " + name + ": not found in PATH"
                + " inside " + rootfs + " (" + path + ")");
    }

    // tag::exec-fifo[]
    /**
     * Reopen the O_PATH handle for writing, through /proc:
     * open blocks until start opens exec.fifo for reading.
     * One byte says "here I go"; execve closes the fd.
     */
    static void waitForStart(int execFifo) {
        String path = "/proc/self/fd/" + execFifo;
        say("init", "open(" + path + ", O_WRONLY)");
        int fd = LibC.C.open(path,
                LibC.O_WRONLY | LibC.O_CLOEXEC);
        LibC.check(fd, "open", path + " (exec.fifo)");
        LibC.check(LibC.C.write(fd, new byte[] {'0'}, 1),
                "write", "exec.fifo");
    }
    // end::exec-fifo[]

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
        LibC.C.execve(program, spec.args().toArray(String[]::new),
                spec.env().toArray(String[]::new));
        throw execFailed(program, spec.rootfs(),
                com.sun.jna.Native.getLastError());
    }
    // end::exec[]

    /** Why execve failed, in words a learner can act on. */
    static CommandException execFailed(String program, String rootfs, int errno) {
        String what = "execve " + program + ": " + LibC.C.strerrorname_np(errno)
                + " (" + LibC.C.strerror(errno) + ")";
        if (errno == LibC.ENOENT) {
            return new CommandException(127, what + "\n  hint: there is no " + program
                    + " inside " + rootfs + ", or its ELF interpreter is missing (a dynamically"
                    + " linked binary needs its libraries there; use a static binary)");
        }
        return new CommandException(126, what);
    }

    /** With --verbose: one line per kernel step, as it happens (like contained.c). */
    static void say(String who, String what) {
        if (verbose) System.err.println((who + "      ").substring(0, 7) + " => " + what);
    }

    /** posix_spawnattr_t and posix_spawn_file_actions_t, in JNA memory. */
    record SpawnAttributes(Memory attributes, Memory fileActions) {}

    /** A failure that is the user's to fix, with the exit status the runtime ends with. */
    static final class CommandException extends RuntimeException {
        final int exitStatus;

        CommandException(int exitStatus, String message) {
            super(message);
            this.exitStatus = exitStatus;
        }
    }
}
