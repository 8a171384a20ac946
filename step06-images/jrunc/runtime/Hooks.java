package jrunc.runtime;

import java.nio.charset.StandardCharsets;
import java.util.List;
import jrunc.linux.LibC;
import jrunc.linux.Spawn;
import jrunc.spec.Spec;

/**
 * OCI hooks: each runs with the container's state JSON on its stdin; a non-zero exit or a
 * timeout fails the phase. Only already-bound JNA calls, so the init can run them after
 * pivot_root (startContainer) too.
 */
public final class Hooks {
    private Hooks() {}

    // tag::run-hook[]
    public static void run(List<Spec.Hook> hooks, String phase, String stateJson) {
        run(hooks, phase, stateJson, 0);
    }

    /** first: the index of hooks[0] in the phase's list, for the name in errors. */
    static void run(List<Spec.Hook> hooks, String phase, String stateJson, int first) {
        if (hooks == null) return;
        for (int i = 0; i < hooks.size(); i++) {
            Spec.Hook hook = hooks.get(i);
            String name = "hooks." + phase + "[" + (first + i) + "] " + hook.path();
            int status = runOne(hook, stateJson, name);
            if (status != 0) {
                throw new JruncException(name + ": exited with status " + status);
            }
        }
    }

    /**
     * poststart and poststop: the container runs (or is gone) whatever a hook says, so a
     * failure is logged and the next hook still runs (runtime-spec).
     */
    public static void runAllLoggingFailures(List<Spec.Hook> hooks, String phase, String stateJson) {
        if (hooks == null) return;
        for (int i = 0; i < hooks.size(); i++) {
            try {
                run(List.of(hooks.get(i)), phase, stateJson, i);
            } catch (JruncException e) {
                Log.warn(e.getMessage());
            }
        }
    }
    // end::run-hook[]

    static int runOne(Spec.Hook hook, String stateJson, String name) {
        int[] pipe = new int[2];
        LibC.check(LibC.C.pipe2(pipe, LibC.O_CLOEXEC), "pipe2", name);
        String[] argv = hook.args() == null || hook.args().isEmpty()
                ? new String[] {hook.path()} : hook.args().toArray(new String[0]);
        String[] env = hook.env() == null ? new String[0] : hook.env().toArray(new String[0]);
        int pid;
        try {
            pid = Spawn.spawnHere(hook.path(), argv, env, new int[0], pipe[0]);
        } catch (LibC.SyscallException e) {
            LibC.C.close(pipe[0]);
            LibC.C.close(pipe[1]);
            throw new JruncException(name + ": " + e.getMessage());
        }
        LibC.C.close(pipe[0]);
        byte[] state = stateJson.getBytes(StandardCharsets.UTF_8);
        LibC.C.write(pipe[1], state, state.length); // EPIPE if the hook ignores stdin: fine
        LibC.C.close(pipe[1]);
        long deadline = hook.timeout() == null ? Long.MAX_VALUE
                : System.nanoTime() + hook.timeout() * 1_000_000_000L;
        while (true) {
            int status = Spawn.poll(pid);
            if (status >= 0) return status;
            if (status == -2) throw new JruncException(name + ": waitpid failed (was it reaped elsewhere?)");
            if (System.nanoTime() > deadline) {
                LibC.C.kill(pid, LibC.SIGKILL);
                Spawn.waitFor(pid);
                throw new JruncException(name + ": timed out after " + hook.timeout() + "s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
    }
}
