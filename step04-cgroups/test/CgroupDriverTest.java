import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * The drivers on their own, on whatever this machine has (v1/hybrid here; v2 in the VM, see
 * CgroupV2VmTest): a real busybox process is placed in a fresh cgroup and the kernel enforces
 * the limit. Each process waits on stdin until it has joined, so nothing runs unlimited.
 * Cgroups live under a parent of the test's own, at absolute paths.
 */
class CgroupDriverTest {
    final String parent = "workshop-test-" + UUID.randomUUID().toString().substring(0, 8);
    final List<Cgroups> cgroups = new ArrayList<>();
    final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
    }

    @AfterEach
    void removeEverything() throws Exception {
        try {
            for (Cgroups cgroup : cgroups) cgroup.remove();
        } finally {
            for (Process p : processes) p.destroyForcibly().waitFor();
        }
        for (Cgroups cgroup : cgroups) {
            for (Path path : cgroup.paths()) {
                assertFalse(Files.exists(path.getParent()), "left behind: " + path.getParent());
            }
        }
    }

    Cgroups create(Cgroups.Limits limits) {
        Cgroups cgroup = Cgroups.forContainer(parent, "c" + cgroups.size(), limits, line -> {});
        cgroups.add(cgroup);
        cgroup.create();
        return cgroup;
    }

    /** busybox sh ($B in SCRIPT) running SCRIPT once it reads a line: start, join, then go. */
    Process startWaiting(String script) throws IOException {
        String busybox = Rootfs.workshopDefault().resolve("bin/busybox").toString();
        ProcessBuilder builder = new ProcessBuilder(busybox, "sh", "-c", "read go; " + script)
                .redirectErrorStream(true);
        builder.environment().put("B", busybox);
        Process p = builder.start();
        processes.add(p);
        return p;
    }

    static void go(Process p) throws IOException {
        OutputStream in = p.getOutputStream();
        in.write("go\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }

    static long counter(Cgroups cgroup, String name) {
        for (String line : cgroup.counters()) {
            String[] words = line.split(" ");
            for (int i = 0; i + 1 < words.length; i++) {
                if (words[i].equals(name)) return Long.parseLong(words[i + 1]);
            }
        }
        throw new AssertionError("no counter " + name + " in " + cgroup.counters());
    }

    @Test
    void aMemoryHogIsOomKilledAndTheKernelCountsIt() throws Exception {
        Cgroups cgroup = create(Cgroups.Limits.NONE.withMemory(32L << 20));
        // dd fills a 64 MiB buffer from /dev/zero: twice the limit, and no swap to escape to.
        Process hog = startWaiting("exec $B dd if=/dev/zero of=/dev/null bs=64M count=1");
        cgroup.join(hog.pid());
        go(hog);

        assertTrue(hog.waitFor(60, TimeUnit.SECONDS), "the hog still runs");
        assertEquals(137, hog.exitValue(), "killed by SIGKILL (128 + 9): "
                + new String(hog.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(1, counter(cgroup, "oom_kill"), "the kernel's OOM-kill counter");
    }

    @Test
    void theSameProgramUnderAHigherLimitFinishes() throws Exception {
        Cgroups cgroup = create(Cgroups.Limits.NONE.withMemory(256L << 20));
        Process hog = startWaiting("exec $B dd if=/dev/zero of=/dev/null bs=64M count=1");
        cgroup.join(hog.pid());
        go(hog);

        assertTrue(hog.waitFor(60, TimeUnit.SECONDS), "dd still runs");
        assertEquals(0, hog.exitValue(), "dd under 256m");
        assertEquals(0, counter(cgroup, "oom_kill"), "the kernel's OOM-kill counter");
    }

    @Test
    void aForkLoopStopsAtThePidsLimitAndTheRestKeepsRunning() throws Exception {
        Cgroups cgroup = create(Cgroups.Limits.NONE.withPids(8L));
        // The inner shell forks sleeps until fork fails (EAGAIN), then gives up; the outer
        // shell, already running, must stay usable.
        Process shell = startWaiting("$B sh -c 'i=0; while [ $i -lt 50 ]; do"
                + " $B sleep 60 & i=$((i+1)); done' 2>/dev/null; echo stopped;"
                + " read again; echo alive");
        cgroup.join(shell.pid());
        go(shell);
        var out = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8));

        assertEquals("stopped", out.readLine());
        assertTrue(counter(cgroup, "max") >= 1, "pids.events max: " + cgroup.counters());
        List<Integer> inside = Cgroups.pids(cgroup.paths().get(0));
        // At the refused fork: outer shell + inner shell + 6 sleeps = 8. The inner one left.
        assertEquals(7, inside.size(), "processes in the cgroup: " + inside);
        shell.getOutputStream().write("again\n".getBytes(StandardCharsets.US_ASCII));
        shell.getOutputStream().flush();
        assertEquals("alive", out.readLine(), "the shell outside the loop still works");
    }

    @Test
    void aBusyLoopUnderAFifthOfACpuIsThrottled() throws Exception {
        Cgroups cgroup = create(Cgroups.Limits.NONE.withCpus(0.2));
        Process loop = startWaiting("while :; do :; done");
        cgroup.join(loop.pid());
        // Starting the shell took CPU time too, before it joined (much of it, under emulation).
        double before = cpuSeconds(loop.pid());
        go(loop);
        long start = System.nanoTime();
        Thread.sleep(3000);
        double cpu = cpuSeconds(loop.pid()) - before;
        double wall = (System.nanoTime() - start) / 1e9;

        assertTrue(cpu * 3 < wall, "CPU " + cpu + " s in " + wall + " s wall");
        assertTrue(cpu > 0.1, "the loop ran at all: CPU " + cpu + " s");
        assertTrue(counter(cgroup, "nr_throttled") > 0, "cpu.stat: " + cgroup.counters());
    }

    /** utime + stime of a running process, fields 14 and 15 of /proc/PID/stat, in seconds. */
    static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    @Test
    void removeKillsWhatIsLeftAndDeletesEveryCgroupItMade() throws Exception {
        Cgroups cgroup = create(new Cgroups.Limits(64L << 20, 0.5, 16L));
        Process sleeper = startWaiting("$B sleep 60 & exec $B sleep 60");
        for (Path path : cgroup.paths()) assertTrue(Files.isDirectory(path), path.toString());
        cgroup.join(sleeper.pid());
        go(sleeper);
        waitFor(() -> Cgroups.pids(cgroup.paths().get(0)).size() == 2, "the sleeps started");

        cgroup.remove();

        assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS), "the sleeper survived remove()");
        assertEquals(137, sleeper.exitValue(), "SIGKILL");
        for (Path path : cgroup.paths()) {
            assertFalse(Files.exists(path), "left behind: " + path);
            assertFalse(Files.exists(path.getParent()), "left behind: " + path.getParent());
        }
    }

    @Test
    void aSecondCgroupWithTheSameIdIsRefused() {
        Cgroups first = create(Cgroups.Limits.NONE.withPids(4L));
        Cgroups second = Cgroups.forContainer(parent, "c0", Cgroups.Limits.NONE.withPids(4L), l -> {});
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, second::create);
        assertTrue(e.getMessage().contains(first.paths().get(0) + " already exists"), e.getMessage());
    }

    static void waitFor(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out: " + what);
            Cgroups.sleep(20);
        }
    }
}
