import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import workshop.testkit.Command;
import workshop.testkit.DepsInSync;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;
import workshop.testkit.Workshop;

/**
 * What a learner sees after step04: the limits bite inside a real container, and the kernel's
 * own counters (printed by --verbose before the cgroups go) say so. CgroupV2VmTest runs the
 * first three of these again on a pure cgroup v2 kernel.
 */
class Step04Test {
    String rootfs;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
        rootfs = Rootfs.workshopDefault().toString();
    }

    static Command step04(String... args) {
        return Command.javaMain("Run", args).timeout(Duration.ofMinutes(2));
    }

    /** A counter from the line "runtime => the kernel counted: memory.events oom_kill 1, ...". */
    static long counter(String stderr, String name) {
        Matcher line = Pattern.compile("the kernel counted: (.*)").matcher(stderr);
        assertTrue(line.find(), "no counters in: " + stderr);
        Matcher value = Pattern.compile("\\b" + name + " (\\d+)").matcher(line.group(1));
        assertTrue(value.find(), "no " + name + " in: " + line.group(1));
        return Long.parseLong(value.group(1));
    }

    @Test
    void aMemoryHogIsOomKilledWithStatus137AndTheKernelSaysSo() {
        var result = step04("--verbose", "--memory", "32m", rootfs,
                "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1").run();

        result.assertExit(137);
        assertEquals(1, counter(result.stderr(), "oom_kill"), "OOM kills counted by the kernel");
        assertTrue(result.stderr().contains(expectedDriverLine()), result.stderr());
    }

    /** What --verbose says about the driver on this machine (v1 here, v2 in the VM). */
    static String expectedDriverLine() {
        var layout = Cgroups.layout(Cgroups.cgroupMounts(Cgroups.read(Path.of("/proc/self/mountinfo"))));
        return layout == Cgroups.Layout.V2 ? "cgroup driver v2 (host layout v2)"
                : "cgroup driver v1 (host layout " + layout.name().toLowerCase() + ")";
    }

    @Test
    void aForkLoopStopsAtThePidsLimitWhileTheOthersKeepRunning() {
        // PID 1 (sh) starts a shell that forks sleeps until the kernel refuses (EAGAIN); then
        // PID 1 checks, with builtins only, that every sleep that did start is still alive.
        var result = step04("--verbose", "--pids", "10", rootfs, "sh", "-c",
                "sh -c 'i=0; while [ $i -lt 50 ]; do sleep 60 & echo $! >>/dev/shm/sleeps;"
                        + " i=$((i+1)); done' 2>/dev/null; echo stopped; n=0;"
                        + " while read p; do kill -0 $p && n=$((n+1)); done </dev/shm/sleeps;"
                        + " echo alive $n").run();

        result.assertExit(0);
        // 10 tasks: PID 1, the forking shell and 8 sleeps.
        assertEquals(List.of("stopped", "alive 8"), result.stdout().lines().toList(), result.stderr());
        assertTrue(counter(result.stderr(), "pids.events max") >= 1, "refused forks counted");
    }

    @Test
    void aBusyLoopUnderAFifthOfACpuGetsAboutAFifthOfTheTime() {
        var result = step04("--verbose", "--cpus", "0.2", rootfs, "sh", "-c",
                "time timeout 3 sh -c 'while :; do :; done'; exit 0").run();

        result.assertExit(0);
        double real = seconds(result.stderr(), "real");
        double cpu = seconds(result.stderr(), "user") + seconds(result.stderr(), "sys");
        assertTrue(real > 3 * cpu, "wall " + real + " s, CPU " + cpu + " s");
        assertTrue(cpu > 0.1, "the loop ran at all: CPU " + cpu + " s");
        assertTrue(counter(result.stderr(), "nr_throttled") > 0, "throttled periods");
    }

    /** busybox time prints "real\t0m 3.00s", "user\t0m 0.58s", "sys\t0m 0.01s". */
    static double seconds(String stderr, String which) {
        Matcher m = Pattern.compile("(?m)^" + which + "\\s+(\\d+)m\\s*([\\d.]+)s$").matcher(stderr);
        assertTrue(m.find(), "no '" + which + "' line from time in: " + stderr);
        return Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2));
    }

    @Test
    void theCommandRunsInsideTheContainersCgroup() {
        var result = step04("--pids", "64", rootfs, "cat", "/proc/self/cgroup").run().assertExit(0);
        // No cgroup namespace yet: the path is the host's, under the project's parent.
        assertTrue(result.stdout().lines().anyMatch(l -> l.matches("\\d+:pids:/workshop/[0-9a-f]{12}")
                || l.matches("0::/workshop/[0-9a-f]{12}")), result.stdout());
    }

    @Test
    void withoutLimitsTheContainerStillRuns() {
        var result = step04(rootfs, "sh", "-c", "echo $$; exit 3").run().assertExit(3);
        assertEquals("1\n", result.stdout());
    }

    @Test
    void theReadmeCommandShowsTheOomKill() {
        var result = Command.of("./jbang", "step04-cgroups/Run.java", "--verbose", "--memory", "32m",
                        "rootfs", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
                .in(Workshop.root()).timeout(Duration.ofMinutes(3)).run();

        result.assertExit(137);
        assertTrue(result.stderr().contains("oom_kill 1"), result.stderr());
    }

    @Test
    void theHelpNamesTheLimits() {
        var result = step04("--help").run().assertExit(0);
        assertTrue(result.stdout().startsWith("Usage: ./jbang step04-cgroups/Run.java [--memory SIZE]"
                + " [--cpus CPUS] [--pids N]"), result.stdout());
    }

    @Test
    void theStepsDepsLinesMatchThePom() {
        DepsInSync.assertStep(Workshop.root().resolve("step04-cgroups"));
    }
}
