///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS net.java.dev.jna:jna:5.19.1
//SOURCES LibC.java
//JAVA_OPTIONS -XX:-MaxFDLimit --enable-native-access=ALL-UNNAMED

import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * step02-uts-pid: the command gets its own hostname and is PID 1 of a new PID namespace.
 *
 * <p>Go sets {@code SysProcAttr.Cloneflags} and the child is born in new namespaces. A JVM has
 * no such option, and it cannot move itself: it is always many threads, and the kernel moves
 * only the thread that calls unshare(2). So a fresh thread unshares, sets the hostname, chroots,
 * spawns the command with posix_spawn(3), and waits for it. Read it top to bottom: main, run,
 * then the helpers in the order run calls them.
 */
public class Run {
    static final String USAGE = """
            Usage: ./jbang step02-uts-pid/Run.java [--hostname NAME] ROOTFS COMMAND [ARG...]

            Runs COMMAND with ROOTFS as its root directory, as PID 1 of a new PID namespace
            and with its own hostname (UTS namespace). The host's hostname never changes.
            Needs root. Build the workshop's default ROOTFS with: bin/build-rootfs

              --hostname NAME  the hostname inside (default: container)
              ROOTFS           a directory holding a root filesystem, e.g. rootfs
              COMMAND          the program to run, an absolute path inside ROOTFS or a name
                               looked up in PATH inside ROOTFS

            Example: ./jbang step02-uts-pid/Run.java --hostname box rootfs /bin/sh
            Exit status: the command's (128+N if signal N killed it); 125 if the runtime
            failed, 126 if the command cannot be executed, 127 if it was not found.
            """;

    /** The PATH the command gets, and that we search for it, inside the root. */
    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static void main(String[] args) {
        String hostname = "container";
        int next = 0;
        for (; next < args.length && args[next].startsWith("-"); next++) {
            String option = args[next];
            if (option.equals("--help") || option.equals("-h")) {
                System.out.print(USAGE);
                return;
            } else if (option.equals("--hostname") && next + 1 < args.length) {
                hostname = args[++next];
            } else {
                usageError(option.equals("--hostname") ? "--hostname needs a NAME"
                        : "unknown option " + option);
            }
        }
        if (args.length - next < 2) usageError(null);
        try {
            System.exit(run(Path.of(args[next]), hostname,
                    Arrays.copyOfRange(args, next + 1, args.length)));
        } catch (CommandException e) {
            System.err.println("step02: " + e.getMessage());
            System.exit(e.exitStatus);
        } catch (LibC.SyscallException e) {
            System.err.println("step02: " + e.getMessage());
            System.exit(125);
        }
    }

    static void usageError(String problem) {
        System.err.print((problem == null ? "" : "step02: " + problem + "\n\n") + USAGE);
        System.exit(125);
    }

    // tag::run[]
    static int run(Path rootfs, String hostname, String[] command) {
        requireRootfs(rootfs);
        SpawnAttributes hygiene = execHygiene();
        ignoreTerminalSignals();
        // Go: cmd.SysProcAttr.Cloneflags = NEWUTS | NEWPID | NEWNS.
        // Java: a fresh thread unshares, spawns and waits.
        FutureTask<Integer> container = new FutureTask<>(() ->
                runInNewNamespaces(rootfs, hostname, command,
                        hygiene));
        new Thread(container, "container").start();
        return exitStatusOf(container);
    }
    // end::run[]

    /** The one mistake everybody makes first: no rootfs yet. */
    static void requireRootfs(Path rootfs) {
        if (!Files.isDirectory(rootfs)) {
            throw new CommandException(125, "rootfs " + rootfs + ": not a directory (ENOENT)"
                    + "\n  hint: build the workshop's busybox rootfs with: bin/build-rootfs");
        }
    }

    // tag::exec-hygiene[]
    /** step01's three fixes, as spawn attributes for the child. */
    static SpawnAttributes execHygiene() {
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
        // 2. Close every fd from 3 up in the child.
        Memory fileActions = new Memory(LibC.FILE_ACTIONS_BYTES);
        LibC.C.posix_spawn_file_actions_init(fileActions);
        LibC.C.posix_spawn_file_actions_addclosefrom_np(fileActions, 3);
        // 3. RLIMIT_NOFILE: -XX:-MaxFDLimit, as in step01.
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
     */
    static int runInNewNamespaces(Path rootfs, String hostname, String[] command,
            SpawnAttributes hygiene) {
        // tag::unshare[]
        int flags = LibC.CLONE_NEWUTS | LibC.CLONE_NEWPID | LibC.CLONE_NEWNS;
        LibC.check(LibC.C.unshare(flags), "unshare",
                "CLONE_NEWUTS|CLONE_NEWPID|CLONE_NEWNS", errno ->
                errno == LibC.EPERM ? "new namespaces need root"
                        + " (CAP_SYS_ADMIN): run with sudo" : null);
        // Only this thread's UTS namespace is new: the host
        // keeps its name.
        byte[] name = hostname.getBytes(StandardCharsets.UTF_8);
        LibC.check(LibC.C.sethostname(name, name.length),
                "sethostname", hostname, errno -> errno == LibC.EINVAL
                        ? "a hostname is at most 64 bytes" : null);
        // end::unshare[]
        // CLONE_NEWNS unshared this thread's root and cwd (CLONE_FS):
        // this chroot is the container's, not the JVM's.
        String root = rootfs.toAbsolutePath().toString();
        LibC.check(LibC.C.chroot(root), "chroot", root);
        LibC.check(LibC.C.chdir("/"), "chdir", "/");
        String program = findProgram(command[0], rootfs);
        int pid = spawn(program, command, rootfs, hygiene);
        return waitFor(pid);
    }

    /**
     * Resolves COMMAND the way a shell would, inside the new root: a name with a slash is used
     * as it is, a bare name is searched in PATH. Runs after chroot, on the chrooted thread.
     */
    static String findProgram(String name, Path rootfs) {
        if (name.contains("/")) return name;
        for (String dir : PATH.split(":")) {
            String candidate = dir + "/" + name;
            if (LibC.C.access(candidate, LibC.X_OK) == 0) return candidate;
        }
        throw new CommandException(127, "command " + name + ": not found in PATH inside "
                + rootfs + " (" + PATH + ")");
    }

    // tag::spawn[]
    /** The child is created in this thread's namespaces: PID 1. */
    static int spawn(String program, String[] command, Path rootfs,
            SpawnAttributes hygiene) {
        int[] pid = new int[1];
        int errno = LibC.C.posix_spawn(pid, program,
                hygiene.fileActions(), hygiene.attributes(),
                command, containerEnv());
        LibC.C.posix_spawn_file_actions_destroy(hygiene.fileActions());
        if (errno != 0) throw execFailed(program, rootfs, errno);
        return pid[0];
    }
    // end::spawn[]

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

    static String[] containerEnv() {
        return new String[] {"PATH=" + PATH, "HOME=/root", "TERM=" + termOr("xterm")};
    }

    /** Why the exec in the child failed (posix_spawn reports it), in words a learner can act on. */
    static CommandException execFailed(String program, Path rootfs, int errno) {
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
