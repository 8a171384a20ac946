package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * containerd without dockerd: ctr starts containerd-shim-runc-v2 with --runc-binary bin/jrunc,
 * the shim calls jrunc exactly as it calls runc (create, start, exec, kill, delete).
 */
class CtrTest {
    @TempDir
    static Path tmp;
    static Host before;
    static PrivateDocker engines;

    @BeforeAll
    static void startDaemons() throws Exception {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        engines = PrivateDocker.start(tmp);
    }

    @AfterAll
    static void stopDaemons() {
        if (engines == null) return;
        engines.close();
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    /** ctr run with a runtime binary, its own state root, our cgroup parent, then the rest. */
    static List<String> run(String binary, String id, String... rest) {
        List<String> argv = new ArrayList<>(List.of("run", "--runtime", "io.containerd.runc.v2",
                "--runc-binary", binary, "--runc-root", tmp.resolve("state-" + Path.of(binary).getFileName()).toString(),
                "--snapshotter", "native", "--cgroup", "/" + engines.cgroupParent + "/" + id));
        argv.addAll(List.of(rest));
        return argv;
    }

    static Command.Result ctr(List<String> argv) {
        return engines.ctr(argv.toArray(new String[0]));
    }

    @Test
    void oneShotGivesTheExitStatus() {
        List<Command.Result> results = new ArrayList<>();
        for (String binary : List.of("/usr/sbin/runc", PrivateDocker.JRUNC.toString())) {
            String id = "once-" + Path.of(binary).getFileName();
            results.add(ctr(run(binary, id, "--rm", PrivateDocker.CTR_IMAGE, id, "sh", "-c", "echo out; exit 3")));
        }
        assertEquals(List.of(3, "out\n"), List.of(results.get(0).exitCode(), results.get(0).stdout()));
        assertEquals(List.of(3, "out\n"), List.of(results.get(1).exitCode(), results.get(1).stdout()),
                results.get(1).stderr());
    }

    /** ctr sends containerd's default seccomp profile only when asked (--seccomp). */
    @Test
    void theDefaultSeccompProfileOnlyWithSeccomp() {
        String jrunc = PrivateDocker.JRUNC.toString();
        Command.Result filtered = ctr(run(jrunc, "sec-on", "--rm", "--seccomp", PrivateDocker.CTR_IMAGE,
                "sec-on", "grep", "^Seccomp:", "/proc/self/status"));
        assertEquals("Seccomp:\t2\n", filtered.assertExit(0).stdout(), filtered.stderr());
        Command.Result open = ctr(run(jrunc, "sec-off", "--rm", PrivateDocker.CTR_IMAGE,
                "sec-off", "grep", "^Seccomp:", "/proc/self/status"));
        assertEquals("Seccomp:\t0\n", open.assertExit(0).stdout(), open.stderr());
    }

    @Test
    void detachedTaskWithExecKillAndDelete() {
        String id = "task";
        ctr(run(PrivateDocker.JRUNC.toString(), id, "-d", PrivateDocker.CTR_IMAGE, id, "sleep", "1000")).assertExit(0);
        Command.Result exec = engines.ctr("tasks", "exec", "--exec-id", "e1", id, "sh", "-c",
                "tr '\\0' ' ' < /proc/1/cmdline; exit 5");
        assertEquals(List.of(5, "sleep 1000 "), List.of(exec.exitCode(), exec.stdout()), exec.stderr());
        engines.ctr("tasks", "kill", "--signal", "SIGKILL", id).assertExit(0);
        assertEquals("STOPPED", statusOnceStopped(id));
        engines.ctr("tasks", "delete", id).assertExit(0);
        engines.ctr("containers", "delete", id).assertExit(0);
        assertEquals("", engines.ctr("tasks", "ls", "-q").stdout());
    }

    /** The shim reports the task stopped once it has reaped it; kill returns before that. */
    static String statusOnceStopped(String id) {
        for (int i = 0; i < 100; i++) {
            for (String line : engines.ctr("tasks", "ls").stdout().split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f[0].equals(id) && f[f.length - 1].equals("STOPPED")) return "STOPPED";
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return engines.ctr("tasks", "ls").stdout();
    }

    /** ctr run -t in a real terminal (script(1)): create must not wait for the pty's reader. */
    @Test
    void terminalRun() throws Exception {
        Path input = tmp.resolve("typed");
        Files.writeString(input, "tty; echo pty-$((6 * 7))\nexit 4\n");
        List<String> argv = new ArrayList<>(List.of("ctr", "--address", engines.containerdSocket()));
        argv.addAll(run(PrivateDocker.JRUNC.toString(), "tty", "-t", "--rm", PrivateDocker.CTR_IMAGE, "tty", "sh"));
        Command.Result r = Command.of("sh", "-c", "script -qec '" + String.join(" ", argv) + "' /dev/null < " + input)
                .timeout(Duration.ofSeconds(30)).run();
        assertEquals(4, r.exitCode(), r.stdout() + r.stderr());
        // Line ends as the terminals pass them on: ctr's raw mode may leave \r\n or \n.
        assertTrue(r.stdout().replace("\r", "").contains("# tty; echo pty-$((6 * 7))\n/dev/pts/0\npty-42\n"),
                r.stdout());
    }
}
