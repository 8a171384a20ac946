package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import workshop.testkit.Workshop;

/**
 * Docker drives jrunc as it drives runc: dockerd → containerd → containerd-shim-runc-v2 →
 * bin/jrunc, with the daemons of {@link PrivateDocker}. Where the two runtimes could differ
 * (exit statuses, OOMKilled, what the process sees of itself), the same command runs under both.
 */
class DockerTest {
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

    static Command.Result docker(String... args) {
        return engines.docker(args);
    }

    /** docker run with the runtime, no network, then the arguments. */
    static Command.Result run(String runtime, String... args) {
        List<String> argv = new ArrayList<>(List.of("run", "--runtime", runtime, "--network", "none"));
        argv.addAll(List.of(args));
        return docker(argv.toArray(new String[0]));
    }

    static String inspect(String container, String format) {
        return docker("inspect", "--format", format, container).assertExit(0).stdout().strip();
    }

    @Test
    void oneShotGivesTheExitStatusAndBothStreams() {
        String script = "echo out; echo err >&2; exit 3";
        Command.Result runc = run("runc", "--rm", PrivateDocker.IMAGE, "sh", "-c", script);
        Command.Result jrunc = run("jrunc", "--rm", PrivateDocker.IMAGE, "sh", "-c", script);
        assertEquals(List.of(3, "out\n", "err\n"), List.of(runc.exitCode(), runc.stdout(), runc.stderr()));
        assertEquals(List.of(runc.exitCode(), runc.stdout(), runc.stderr()),
                List.of(jrunc.exitCode(), jrunc.stdout(), jrunc.stderr()));
    }

    /** A service as a user: logs hold only its own output (no runtime warnings), exec, stop, rm. */
    @Test
    void detachedServiceWithLogsExecStopAndRm() {
        run("jrunc", "-d", "--name", "svc", "--user", "1000:1000", PrivateDocker.IMAGE,
                "sh", "-c", "echo started; exec sleep 1000").assertExit(0);
        String id = inspect("svc", "{{.Id}}");
        // Once PID 1 is sleep, the shell has written its line.
        Command.Result pid1 = docker("exec", "svc", "sh", "-c", "id; tr '\\0' ' ' < /proc/1/cmdline");
        assertEquals("uid=1000 gid=1000 groups=1000\nsleep 1000 ", pid1.assertExit(0).stdout(),
                "exec runs as the container's user, next to PID 1");
        Command.Result logs = docker("logs", "svc").assertExit(0);
        assertEquals(List.of("started\n", ""), List.of(logs.stdout(), logs.stderr()),
                "the container's stdout and stderr, and nothing jrunc says");
        assertEquals(7, docker("exec", "svc", "sh", "-c", "exit 7").exitCode());
        // sleep as PID 1 ignores SIGTERM: docker stop sends SIGKILL after the timeout.
        docker("stop", "-t", "1", "svc").assertExit(0);
        assertEquals("exited 137", inspect("svc", "{{.State.Status}} {{.State.ExitCode}}"));
        docker("rm", "svc").assertExit(0);
        assertFalse(Files.exists(Path.of("/sys/fs/cgroup/pids", engines.cgroupParent, id)),
                "rm removed the container's cgroup");
    }

    /** Limits, capabilities and mounts, seen from inside, the same under runc and jrunc. */
    @Test
    void limitsCapabilitiesAndMountsAsRuncSetsThem() throws Exception {
        Path rw = Files.createDirectories(tmp.resolve("rw"));
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Files.writeString(ro.resolve("given"), "from the host\n");
        String script = String.join("; ",
                "grep CapEff /proc/self/status",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max"
                        + " /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us",
                "touch /new 2>/dev/null || echo '/ is read-only'",
                "echo x > /x/f && grep -o 'tmpfs /x tmpfs' /proc/mounts",
                "echo written > /rw/out",
                "cat /ro/given; touch /ro/new 2>/dev/null || echo '/ro is read-only'");
        List<String> flags = List.of("--rm", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5",
                "--cap-drop", "ALL", "--cap-add", "NET_RAW", "--read-only", "--tmpfs", "/x",
                "-v", rw + ":/rw", "-v", ro + ":/ro:ro", PrivateDocker.IMAGE, "sh", "-c", script);
        Command.Result runc = run("runc", flags.toArray(new String[0])).assertExit(0);
        Files.delete(rw.resolve("out"));
        Command.Result jrunc = run("jrunc", flags.toArray(new String[0]));
        assertEquals("CapEff:\t0000000000002000\n67108864\n50\n50000\n100000\n/ is read-only\n"
                + "tmpfs /x tmpfs\nfrom the host\n/ro is read-only\n", runc.stdout());
        assertEquals(runc.stdout(), jrunc.assertExit(0).stdout(), jrunc.stderr());
        assertEquals("written\n", Files.readString(rw.resolve("out")), "-v is writable from inside");
    }

    /**
     * Docker's built-in default profile, as runc enforces it: SeccompTest's static probe
     * prints its Seccomp lines and what each call returns; seccomp=unconfined sends none.
     */
    @Test
    void dockersDefaultSeccompProfileAsUnderRunc() throws Exception {
        Path probe = SeccompTest.compileProbe(tmp.resolve("probe"));
        List<String> flags = List.of("--rm", "-v", probe + ":/probe:ro", PrivateDocker.IMAGE, "/probe",
                "mkdir", "unshare=0x20000", "keyctl", "mount", "clock_settime", "personality=0xffffffff");
        Command.Result runc = run("runc", flags.toArray(new String[0])).assertExit(0);
        Command.Result jrunc = run("jrunc", flags.toArray(new String[0]));
        assertTrue(runc.stdout().contains("Seccomp:\t2\nSeccomp_filters:\t1\n")
                && runc.stdout().contains("mount: EPERM"), runc.stdout());
        assertEquals(runc.stdout(), jrunc.assertExit(0).stdout(), jrunc.stderr());
        List<String> unconfined = new ArrayList<>(List.of("--security-opt", "seccomp=unconfined"));
        unconfined.addAll(flags);
        Command.Result open = run("jrunc", unconfined.toArray(new String[0])).assertExit(0);
        assertTrue(open.stdout().contains("Seccomp:\t0\n"), open.stdout());
    }

    /**
     * The shim watches for OOM events once start has returned, which is when docker run -d
     * returns: only then does the program outgrow its limit (runc too misses an earlier kill).
     */
    @Test
    void outOfMemoryIs137AndOomKilled() {
        for (String runtime : List.of("runc", "jrunc")) {
            String name = "oom-" + runtime;
            run(runtime, "-d", "--name", name, "--memory", "32m", "--memory-swap", "32m", PrivateDocker.IMAGE,
                    "sh", "-c", "until [ -e /go ]; do sleep 0.1; done;"
                            + " x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived").assertExit(0);
            docker("exec", name, "touch", "/go").assertExit(0);
            assertEquals("137\n", docker("wait", name).stdout(), runtime);
            assertEquals("137 true", inspect(name, "{{.State.ExitCode}} {{.State.OOMKilled}}"), runtime);
            docker("rm", name).assertExit(0);
        }
    }

    /** One long-running container through update, pause, unpause and restart, seen in its cgroups. */
    @Test
    void initUpdatePauseAndRestart() throws Exception {
        run("jrunc", "-d", "--init", "--name", "life", "--memory", "64m", "--cpus", "0.5",
                "--pids-limit", "50", PrivateDocker.IMAGE, "sleep", "1000").assertExit(0);
        String id = inspect("life", "{{.Id}}");
        String pid = inspect("life", "{{.State.Pid}}");
        assertEquals("/sbin/docker-init -- sleep 1000 ",
                docker("exec", "life", "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline").assertExit(0).stdout(),
                "--init: docker's init is PID 1, the command its child");

        docker("update", "--memory", "128m", "--memory-swap", "128m", "--cpus", "1.5", "--pids-limit", "77",
                "life").assertExit(0);
        List<String> updated = List.of("134217728", "150000", "77");
        assertEquals(updated, limits(id), "update reached the cgroup");

        docker("pause", "life").assertExit(0);
        assertEquals("paused FROZEN", inspect("life", "{{.State.Status}}") + " "
                + engines.cgroupFile("freezer", id, "freezer.state"));
        docker("unpause", "life").assertExit(0);
        assertEquals("THAWED", engines.cgroupFile("freezer", id, "freezer.state"));
        assertEquals("awake\n", docker("exec", "life", "echo", "awake").assertExit(0).stdout());

        docker("restart", "-t", "1", "life").assertExit(0);
        assertEquals("running", inspect("life", "{{.State.Status}}"));
        assertNotEquals(pid, inspect("life", "{{.State.Pid}}"), "a new process");
        assertEquals(updated, limits(id), "the updated limits are the container's now");
        docker("rm", "--force", "life").assertExit(0);
    }

    static List<String> limits(String id) throws Exception {
        return List.of(engines.cgroupFile("memory", id, "memory.limit_in_bytes"),
                engines.cgroupFile("cpu", id, "cpu.cfs_quota_us"), engines.cgroupFile("pids", id, "pids.max"));
    }

    /** script(1) is the real terminal that -it needs; the typed lines wait in the pty until read. */
    @Test
    void interactiveRunAndExecInAPty() throws Exception {
        Command.Result shell = typedInto(List.of("run", "-it", "--rm", "--runtime", "jrunc", "--network", "none",
                PrivateDocker.IMAGE, "sh"));
        assertEquals(4, shell.exitCode(), shell.stdout() + shell.stderr());
        assertTrue(shell.stdout().contains("/dev/pts/0\r\n"), shell.stdout());
        assertTrue(shell.stdout().contains("pty-42\r\n"), shell.stdout());

        run("jrunc", "-d", "--name", "tty", PrivateDocker.IMAGE, "sleep", "1000").assertExit(0);
        Command.Result exec = typedInto(List.of("exec", "-it", "tty", "sh"));
        assertEquals(4, exec.exitCode(), exec.stdout() + exec.stderr());
        assertTrue(exec.stdout().contains("pty-42\r\n"), exec.stdout());
        docker("rm", "--force", "tty").assertExit(0);
    }

    static Command.Result typedInto(List<String> dockerArgs) throws Exception {
        Path input = Files.createTempFile(tmp, "typed", "");
        Files.writeString(input, "tty; echo pty-$((6 * 7))\nexit 4\n");
        String command = String.join(" ", engines.dockerCommand()) + " " + String.join(" ", dockerArgs);
        return Command.of("sh", "-c", "script -qec '" + command + "' /dev/null < " + input)
                .timeout(Duration.ofSeconds(30)).run();
    }

    /** The commands RUNTIME.adoc shows (step06-images/commands/engines.sh), against our daemons. */
    @Test
    void theDocumentedCommands() throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("docker"), Path.of(PrivateDocker.DOCKER));
        Command.Result r = Command.of("bash", Workshop.root().resolve("step06-images/commands/engines.sh").toString())
                .env("PATH", bin + ":" + System.getenv("PATH"))
                .env("DOCKER_HOST", "unix://" + engines.dir.resolve("docker/docker.sock"))
                .env("DOCKER_CONFIG", engines.dir.resolve("client").toString())
                .env("CONTAINERD_ADDRESS", engines.containerdSocket())
                .timeout(Duration.ofMinutes(2)).run();
        assertEquals("hello from sh under docker\nhello from sh under containerd\n", r.stdout(), r.stderr());
    }
}
