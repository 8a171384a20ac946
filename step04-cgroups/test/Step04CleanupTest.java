import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * Every cgroup a run creates is gone when it ends: after a normal exit, an OOM kill, an init
 * that fails (command not found), a PID 1 that leaves children behind, and a runtime that is
 * itself terminated. The paths come from --verbose ("runtime => mkdir ...").
 */
class Step04CleanupTest {
    /**
     * Five of each kind here; the v2 VM asks for two of each (-Dstep04.cleanup.runs=8), as
     * one run costs about 15 s under emulation.
     */
    static final int RUNS = Integer.getInteger("step04.cleanup.runs", 20);

    static final Pattern MKDIR = Pattern.compile("runtime => mkdir (/\\S+)");

    String rootfs;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
        rootfs = Rootfs.workshopDefault().toString();
    }

    static List<Path> createdCgroups(String stderr) {
        List<Path> paths = new ArrayList<>();
        for (Matcher m = MKDIR.matcher(stderr); m.find(); ) paths.add(Path.of(m.group(1)));
        return paths;
    }

    @Test
    void afterManyRunsIncludingKilledAndFailedOnesNoCgroupRemains() {
        List<Path> created = new ArrayList<>();
        for (int run = 0; run < RUNS; run++) {
            var limits = List.of("--verbose", "--memory", "64m", "--cpus", "1", "--pids", "32");
            var argv = new ArrayList<>(limits);
            int expected = switch (run % 4) {
                case 0 -> add(argv, 0, rootfs, "true");
                case 1 -> add(argv, 137, "--memory", "16m", rootfs,
                        "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1");
                case 2 -> add(argv, 127, rootfs, "no-such-command");
                default -> add(argv, 5, rootfs, "sh", "-c", "sleep 30 & exit 5");
            };
            var result = Command.javaMain("Run", argv.toArray(String[]::new))
                    .timeout(Duration.ofMinutes(2)).run().assertExit(expected);
            List<Path> paths = createdCgroups(result.stderr());
            assertFalse(paths.isEmpty(), "run " + run + " made no cgroup: " + result.stderr());
            created.addAll(paths);
            for (Path path : paths) assertFalse(Files.exists(path), "run " + run + " left " + path);
        }
        for (Path path : created) {
            assertFalse(Files.exists(path.getParent()), "the parent is left: " + path.getParent());
        }
    }

    static int add(List<String> argv, int expectedExit, String... more) {
        argv.addAll(List.of(more));
        return expectedExit;
    }

    @Test
    void aTerminatedRuntimeStillRemovesItsCgroupsAndTheContainer() throws Exception {
        Process runtime = Command.javaMain("Run", "--verbose", "--pids", "16", "--memory", "64m",
                rootfs, "sleep", "60").start();
        StringBuilder stderr = new StringBuilder();
        long initPid = -1;
        try {
            var lines = new BufferedReader(new InputStreamReader(runtime.getErrorStream(), StandardCharsets.UTF_8));
            for (String line; (line = lines.readLine()) != null; ) {
                stderr.append(line).append('\n');
                Matcher pid = Pattern.compile("the init is PID (\\d+) here").matcher(line);
                if (pid.find()) initPid = Long.parseLong(pid.group(1));
                if (line.contains("ready: execve")) break;
            }
            assertTrue(initPid > 0, "no init PID in: " + stderr);
            List<Path> paths = createdCgroups(stderr.toString());
            assertFalse(paths.isEmpty(), stderr.toString());
            for (Path path : paths) {
                assertTrue(Files.readString(path.resolve("cgroup.procs")).contains(Long.toString(initPid)),
                        "the container is in " + path);
            }

            runtime.destroy(); // SIGTERM: the JVM runs its shutdown hooks

            assertTrue(runtime.waitFor(30, TimeUnit.SECONDS), "the runtime did not end");
            assertEquals(143, runtime.exitValue(), "128 + SIGTERM");
            for (Path path : paths) assertFalse(Files.exists(path), "left " + path);
            long sleep = initPid;
            CgroupDriverTest.waitFor(() -> ProcessHandle.of(sleep).isEmpty()
                    || !ProcessHandle.of(sleep).get().isAlive(), "the container's sleep ends");
        } finally {
            runtime.destroyForcibly().waitFor();
        }
    }
}
