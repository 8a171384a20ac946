///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS net.java.dev.jna:jna:5.19.1
//SOURCES LibC.java
//JAVA_OPTIONS -XX:-MaxFDLimit --enable-native-access=ALL-UNNAMED

import com.sun.jna.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * step01-chroot: run a command whose "/" is a directory of ours.
 *
 * <p>The whole container, for now, is one call: chroot(2). The JVM then replaces itself with
 * the command through execve(2), after cleaning up three things a JVM would otherwise leak into
 * it. Read it top to bottom: main, then run, then the helpers in the order run calls them.
 */
public class Run {
    static final String USAGE = """
            Usage: ./jbang step01-chroot/Run.java ROOTFS COMMAND [ARG...]

            Runs COMMAND with ROOTFS as its root directory ("/"), using chroot(2).
            Needs root. Build the workshop's default ROOTFS with: bin/build-rootfs

              ROOTFS    a directory holding a root filesystem, e.g. rootfs
              COMMAND   the program to run, an absolute path inside ROOTFS or a name
                        looked up in PATH inside ROOTFS

            Example: ./jbang step01-chroot/Run.java rootfs /bin/sh
            Exit status: the command's; 125 if the runtime failed, 126 if the command
            cannot be executed, 127 if it was not found.
            """;

    static final String NEEDS_ROOT = "chroot needs root (CAP_SYS_CHROOT): run with sudo";

    /** The PATH the command gets, and that we search for it, inside the root. */
    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static void main(String[] args) {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.print(USAGE);
            return;
        }
        if (args.length < 2 || args[0].startsWith("-")) {
            System.err.print((args.length > 0 && args[0].startsWith("-")
                    ? "step01: unknown option " + args[0] + "\n\n" : "") + USAGE);
            System.exit(125);
        }
        try {
            run(Path.of(args[0]), Arrays.copyOfRange(args, 1, args.length));
        } catch (CommandException e) {
            System.err.println("step01: " + e.getMessage());
            System.exit(e.exitStatus);
        } catch (LibC.SyscallException e) {
            System.err.println("step01: " + e.getMessage());
            System.exit(125);
        }
    }

    static void run(Path rootfs, String[] command) {
        requireRootfs(rootfs);
        String[] env = {"PATH=" + PATH, "HOME=/root", "TERM=" + termOr("xterm")};
        // tag::chroot[]
        String root = rootfs.toAbsolutePath().toString();
        LibC.check(LibC.C.chroot(root), "chroot", root,
                errno -> errno == LibC.EPERM ? NEEDS_ROOT : null);
        // chroot moved "/", not our working directory: step
        // inside, or relative paths still reach the host's files.
        LibC.check(LibC.C.chdir("/"), "chdir", "/");
        // end::chroot[]
        String program = findProgram(command[0], rootfs);
        applyExecHygiene();
        // tag::execve[]
        LibC.C.execve(program, command, env);
        // Only a failed execve returns; the JVM is still us.
        throw execFailed(program, rootfs, Native.getLastError());
        // end::execve[]
    }

    /** The one mistake everybody makes first: no rootfs yet. */
    static void requireRootfs(Path rootfs) {
        if (!Files.isDirectory(rootfs)) {
            throw new CommandException(125, "rootfs " + rootfs + ": not a directory (ENOENT)"
                    + "\n  hint: build the workshop's busybox rootfs with: bin/build-rootfs");
        }
    }

    /**
     * Resolves COMMAND the way a shell would, inside the new root: a name with a slash is used
     * as it is, a bare name is searched in PATH. Runs after chroot, so it only makes JNA calls
     * that are already bound (the JDK could not load its own native libraries any more).
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

    // tag::exec-hygiene[]
    /** What a JVM would leak into the program it execs, undone. */
    static void applyExecHygiene() {
        // 1. HotSpot blocks SIGQUIT in Java threads, and the blocked
        //    mask survives execve: unblock everything.
        LibC.check(LibC.C.sigprocmask(LibC.SIG_SETMASK,
                LibC.emptySignalSet(), null), "sigprocmask", "SIG_SETMASK");
        // 2. The JDK keeps jars and its modules image open without
        //    O_CLOEXEC: mark every fd from 3 up to close on execve.
        LibC.check(LibC.C.close_range(3, -1, LibC.CLOSE_RANGE_CLOEXEC),
                "close_range", "3..~0");
        // 3. HotSpot raises the soft RLIMIT_NOFILE to the hard limit
        //    at start-up; -XX:-MaxFDLimit (see //JAVA_OPTIONS at the
        //    top) keeps the caller's, so the program inherits that.
    }
    // end::exec-hygiene[]

    /** Why execve failed, in words a learner can act on. */
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

    /** A failure that is the user's to fix, with the exit status a shell would give it. */
    static final class CommandException extends RuntimeException {
        final int exitStatus;

        CommandException(int exitStatus, String message) {
            super(message);
            this.exitStatus = exitStatus;
        }
    }
}
