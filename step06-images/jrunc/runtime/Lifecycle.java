package jrunc.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import jrunc.linux.LibC;
import jrunc.linux.Spawn;
import jrunc.spec.Spec;

/** start, kill, pause, resume, delete and run: the transitions of runc's state machine. */
public final class Lifecycle {
    private Lifecycle() {}

    // tag::start[]
    /**
     * Opening exec.fifo for reading releases the init, which then execs the process. An
     * engine arms its OOM watch when start returns (containerd's shim), so all the reading
     * is done before the release; after it come only the poststart hooks, which the spec
     * runs before start returns.
     */
    public static void start(Path root, String id) {
        Container c = Container.load(root, id);
        String status = c.status();
        if (!status.equals("created")) {
            throw new JruncException("cannot start container " + id + ": it is " + status
                    + " (only a created container can be started)");
        }
        Spec.Hooks hooks = c.spec().hooks();
        List<Spec.Hook> poststart = hooks == null || hooks.poststart() == null ? List.of()
                : hooks.poststart();
        String running = c.stateJson("running");
        String fifo = c.fifo().toString();
        int fd = (int) LibC.check(LibC.C.open(fifo, LibC.O_RDONLY | LibC.O_NONBLOCK
                | LibC.O_CLOEXEC, 0), "open", fifo);
        try {
            if (!released(fd, () -> Processes.isAlive(c.state().pid(), c.state().startTime()))) {
                throw new JruncException("cannot start container " + id
                        + ": its init exited before it was started");
            }
        } finally {
            LibC.C.close(fd);
        }
        LibC.C.unlink(fifo);
        Hooks.runAllLoggingFailures(poststart, "poststart", running); // runc only logs them
    }

    /**
     * Reads the init's byte from exec.fifo (opened non-blocking: a dead init never opens its
     * end, and we must not wait forever). A quick program may be released, run and exit between
     * a read and the look at its init: its byte is still in the fifo, and reading it is the
     * start. False only for an init that exited without writing it.
     */
    static boolean released(int fd, BooleanSupplier initAlive) {
        byte[] one = new byte[1];
        while (LibC.C.read(fd, one, 1) != 1) {
            if (!initAlive.getAsBoolean()) return LibC.C.read(fd, one, 1) == 1;
            Container.sleep(1);
        }
        return true;
    }
    // end::start[]

    public static void kill(Path root, String id, int signal, boolean all) {
        Container c = Container.load(root, id);
        String status = c.status();
        if (status.equals("stopped") || status.equals("creating")) {
            throw new JruncException("cannot kill container " + id + ": it is "
                    + (status.equals("stopped") ? "not running" : "still being created"));
        }
        if (all) {
            for (int pid : c.cgroups().pids()) LibC.C.kill(pid, signal);
            return;
        }
        LibC.check(LibC.C.kill(c.state().pid(), signal), "kill", "init " + c.state().pid()
                + " of " + id);
    }

    public static void pause(Path root, String id, boolean frozen) {
        Container c = Container.load(root, id);
        String status = c.status();
        String wanted = frozen ? "running" : "paused";
        if (!status.equals(wanted)) {
            throw new JruncException("cannot " + (frozen ? "pause" : "resume") + " container "
                    + id + ": it is " + status + ", not " + wanted);
        }
        c.cgroups().freeze(frozen);
    }

    // tag::delete[]
    public static void delete(Path root, String id, boolean force) {
        Container c = Container.load(root, id);
        String status = c.status();
        if (!status.equals("stopped") && !status.equals("created") && !force) {
            throw new JruncException("cannot delete container " + id + " that is not stopped:"
                    + " it is " + status + " (use delete --force)");
        }
        c.killAll();
        c.destroy(true);
    }
    // end::delete[]

    /** "run": create, start, wait; returns the exit status (128+N if killed by signal N). */
    public static int run(Creator.Options options, boolean detach) {
        return run(options, detach, () -> {});
    }

    /**
     * "run", calling {@code created} between create and start: the init then waits on
     * exec.fifo inside its own root (image run unmounts the host's copy of the overlay there).
     */
    public static int run(Creator.Options options, boolean detach, Runnable created) {
        Container c = Creator.create(detach || options.consoleSocket() != null
                ? options : options.relaying());
        int pid = c.state().pid();
        Signals.forwardTo(pid);
        TerminalRelay relay = null;
        try {
            if (c.consoleReceiver >= 0) relay = TerminalRelay.start(c.consoleReceiver);
            created.run();
            start(options.root(), options.id());
        } catch (RuntimeException e) {
            c.killAll();
            reap(c.child);
            if (relay != null) relay.close();
            c.destroy(true);
            throw e;
        }
        if (detach) return 0;
        int status = Spawn.waitFor(c.child); // the init: our child, or our orphan
        if (relay != null) relay.close();
        c.killAll();
        c.destroy(true);
        return status;
    }

    static void reap(int pid) {
        try {
            Spawn.waitFor(pid);
        } catch (LibC.SyscallException alreadyReaped) {
            // ECHILD
        }
    }
}
