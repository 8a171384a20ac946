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
import workshop.testkit.Rootfs;
import workshop.testkit.Workshop;

/**
 * podman drives jrunc (through conmon) as it would drive runc: bin/jrunc is the runtime, the
 * image is an OCI archive made from the workshop's busybox rootfs, and podman's storage is
 * private to the test (vfs driver: no overlay mounts to leak).
 */
class PodmanTest {
    static final String IMAGE = "localhost/jrunc-busybox:latest";
    @TempDir
    static Path tmp;
    static Host before;
    static List<String> podman;

    @BeforeAll
    static void loadImage() throws Exception {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        Path layout = tmp.resolve("oci");
        Command.of("umoci", "init", "--layout", layout.toString()).run().assertExit(0);
        Command.of("umoci", "new", "--image", layout + ":busybox").run().assertExit(0);
        Command.of("umoci", "insert", "--image", layout + ":busybox",
                Rootfs.workshopDefault().toString(), "/").run().assertExit(0);
        Command.of("umoci", "config", "--image", layout + ":busybox", "--config.cmd", "sh")
                .run().assertExit(0);
        Path archive = tmp.resolve("busybox.tar");
        Command.of("tar", "-C", layout.toString(), "-cf", archive.toString(), ".").run().assertExit(0);
        podman = List.of("podman", "--root", tmp.resolve("storage").toString(),
                "--runroot", tmp.resolve("run").toString(), "--storage-driver", "vfs",
                "--cgroup-manager=cgroupfs", "--events-backend=file",
                "--runtime", Workshop.root().resolve("bin/jrunc").toString());
        JruncTool.packageJarFromTheClassesUnderTest(tmp);
        Command.of(Workshop.root().resolve("bin/jrunc").toString(), "--version")
                .timeout(Duration.ofMinutes(5)).run().assertExit(0);
        podman("load", "-i", archive.toString()).assertExit(0);
        podman("tag", "localhost/busybox:latest", IMAGE).assertExit(0);
    }

    @AfterAll
    static void removeEverything() {
        if (podman == null) return;
        podman("rm", "--all", "--force");
        podman("rmi", "--all", "--force");
        Command.of("rm", "-rf", tmp.resolve("storage").toString(), tmp.resolve("run").toString()).run();
        // conmon leaves its (empty) cgroup and podman's parent behind, as with runc.
        for (String h : List.of("blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids")) {
            Path parent = Path.of("/sys/fs/cgroup", h, "libpod_parent");
            if (!before.cgroups().contains(parent.toString())) {
                Command.of("rmdir", parent.resolve("conmon").toString()).run();
                Command.of("rmdir", parent.toString()).run();
            }
        }
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    static Command.Result podman(String... args) {
        List<String> argv = new ArrayList<>(podman);
        argv.addAll(List.of(args));
        return JruncTool.exec(argv, Duration.ofMinutes(2));
    }

    static List<String> run(String... args) {
        List<String> argv = new ArrayList<>(List.of("run", "--network", "none",
                "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"));
        argv.addAll(List.of(args));
        return argv;
    }

    @Test
    void oneShotCommandWithLimits() {
        Command.Result r = podman(run("--rm", "--memory", "64m", "--pids-limit", "50", IMAGE, "sh", "-c",
                "echo hello; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max;"
                        + " exit 3").toArray(new String[0]));
        r.assertExit(3);
        assertEquals("hello\n67108864\n50\n", r.stdout());
    }

    @Test
    void execStopAndKill() {
        podman(run("-d", "--name", "svc", IMAGE, "sleep", "1000").toArray(new String[0])).assertExit(0);
        Command.Result exec = podman("exec", "svc", "sh", "-c", "echo in; cat /proc/1/cmdline | tr '\\0' ' '");
        exec.assertExit(0);
        assertEquals("in\nsleep 1000 ", exec.stdout());
        // sleep as PID 1 ignores SIGTERM: podman stop escalates to SIGKILL after the timeout.
        podman("stop", "-t", "1", "svc").assertExit(0);
        assertEquals("exited\n", podman("inspect", "--format", "{{.State.Status}}", "svc").stdout());
        podman("rm", "svc").assertExit(0);

        podman(run("-d", "--name", "victim", IMAGE, "sleep", "1000").toArray(new String[0])).assertExit(0);
        podman("kill", "victim").assertExit(0);
        podman("wait", "victim").assertExit(0);
        assertEquals("exited\n", podman("inspect", "--format", "{{.State.Status}}", "victim").stdout());
        podman("rm", "victim").assertExit(0);
    }

    /** podman's default profile, none with seccomp=unconfined, and a profile file of our own. */
    @Test
    void seccompProfilesApply() throws Exception {
        String status = "grep ^Seccomp /proc/self/status";
        Command.Result byDefault = podman(run("--rm", IMAGE, "sh", "-c", status).toArray(new String[0]));
        assertEquals("Seccomp:\t2\nSeccomp_filters:\t1\n", byDefault.assertExit(0).stdout());
        Command.Result unconfined = podman(run("--rm", "--security-opt", "seccomp=unconfined", IMAGE,
                "sh", "-c", status).toArray(new String[0]));
        assertEquals("Seccomp:\t0\nSeccomp_filters:\t0\n", unconfined.assertExit(0).stdout());
        Path profile = tmp.resolve("no-mkdir.json");
        Files.writeString(profile, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
                + " [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}");
        Command.Result custom = podman(run("--rm", "--security-opt", "seccomp=" + profile, IMAGE, "sh", "-c",
                "mkdir /tmp/d; echo status $?").toArray(new String[0]));
        assertEquals("status 1\n", custom.assertExit(0).stdout());
        assertTrue(custom.stderr().contains("mkdir: can't create directory '/tmp/d': Operation not permitted"),
                custom.stderr());
    }

    @Test
    void interactiveShellInAPty() throws Exception {
        // script(1) gives podman the terminal that -it needs.
        String command = String.join(" ", podman) + " " + String.join(" ",
                run("-it", "--rm", IMAGE, "sh"));
        Path input = tmp.resolve("typed");
        Files.writeString(input, "tty; echo pty-$((6 * 7))\nexit 4\n");
        Command.Result r = Command.of("sh", "-c", "script -qec '" + command + "' /dev/null < " + input)
                .timeout(Duration.ofMinutes(2)).run();
        assertTrue(r.stdout().contains("/dev/pts/0"), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("pty-42"), r.stdout() + r.stderr());
    }

    /** podman adds tmpcopyup to every tmpfs: a tmpfs over /etc starts with the image's files. */
    @Test
    void readOnlyRootWithTmpfs() {
        Command.Result r = podman(run("--rm", "--read-only", "--tmpfs", "/x", "--tmpfs", "/etc", IMAGE, "sh", "-c",
                "touch /new 2>/dev/null || echo '/ is read-only'; echo x > /x/f && cat /x/f;"
                        + " head -1 /etc/passwd; grep -c ' /etc tmpfs' /proc/mounts").toArray(new String[0]));
        assertEquals(List.of(0, "/ is read-only\nx\nroot:x:0:0:root:/root:/bin/sh\n1\n"),
                List.of(r.exitCode(), r.stdout()), r.stderr());
    }

    @Test
    void updateChangesTheLimitsOfARunningContainer() {
        podman(run("-d", "--name", "upd", "--memory", "64m", "--cpus", "0.5", IMAGE, "sleep", "1000")
                .toArray(new String[0])).assertExit(0);
        try {
            podman("update", "--memory", "128m", "--cpus", "1.5", "upd").assertExit(0);
            Command.Result seen = podman("exec", "upd", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                    "/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
            assertEquals("134217728\n150000\n", seen.assertExit(0).stdout());
        } finally {
            podman("rm", "--force", "upd");
        }
    }

    /**
     * In a user namespace conmon must reap the container's and the exec's processes
     * themselves: their statuses come back as they are, not as 255.
     */
    @Test
    void exitStatusesInAUserNamespace() throws Exception {
        // The container's root (uid 100000 on the host) must reach the storage.
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        String[] map = {"--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"};
        List<String> oneShot = run(map);
        oneShot.addAll(List.of("--rm", IMAGE, "sh", "-c", "exit 3"));
        podman(oneShot.toArray(new String[0])).assertExit(3);
        List<String> service = run(map);
        service.addAll(List.of("-d", "--name", "mapped", IMAGE, "sleep", "1000"));
        podman(service.toArray(new String[0])).assertExit(0);
        podman("exec", "mapped", "sh", "-c", "exit 5").assertExit(5);
        podman("stop", "-t", "1", "mapped").assertExit(0);
        assertEquals("exited 137\n", podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}",
                "mapped").stdout(), "sleep ignores SIGTERM as PID 1: SIGKILL after the timeout");
        podman("rm", "mapped").assertExit(0);
    }
}
