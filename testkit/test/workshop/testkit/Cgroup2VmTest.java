package workshop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a learner observes on a pure cgroup v2 kernel, seen through {@link Cgroup2Vm}: one VM
 * boot for the whole class runs a shell script that writes each observation into a shared
 * folder, and each test checks one of them on the host.
 */
class Cgroup2VmTest {
    /** The Java program the guest runs from this module's target/test-classes, as compiled on the host. */
    public static final class Hello {
        public static void main(String[] args) throws IOException {
            List<String> reversed = new ArrayList<>(Arrays.asList(args));
            Collections.reverse(reversed);
            System.out.println(String.join(" ", reversed));
            System.out.println("java " + Runtime.version().feature());
            // Only a cgroup2 mount at /sys/fs/cgroup has this file; the v1 host has none there.
            System.out.println(Files.readString(Path.of("/sys/fs/cgroup/cgroup.controllers")).strip());
        }
    }

    // Runs under the host's /bin/sh, which the guest sees through the read-only host root.
    static final String GUEST_SCRIPT = """
            set -u
            cd "$OUT"
            cat /proc/self/mountinfo > mountinfo
            cat /sys/fs/cgroup/cgroup.controllers > controllers
            echo +memory > /sys/fs/cgroup/cgroup.subtree_control
            mkdir /sys/fs/cgroup/oom-demo
            echo 16M > /sys/fs/cgroup/oom-demo/memory.max
            # Join the cgroup, then become dd: its 64 MiB buffer does not fit in 16 MiB.
            sh -c 'echo $$ > /sys/fs/cgroup/oom-demo/cgroup.procs && exec dd if=/dev/zero of=/dev/null bs=64M count=1'
            echo $? > oom-exit
            cat /sys/fs/cgroup/oom-demo/memory.events > oom-events
            # "$@": Cgroup2Vm.javaCommand(Hello, alpha, beta), this JVM's java and class path.
            start=$(date +%s%N)
            "$@" > java.out 2> java.err
            echo $? > java-exit
            end=$(date +%s%N)
            echo $(( (end - start) / 1000000 )) > java-millis
            echo written-in-the-guest > "$OUTSIDE" && echo written > outside-write
            echo guest script finished
            """;

    static Path out;
    static Path outside;
    static Cgroup2Vm.Result result;
    static List<String> javaCommand;

    @BeforeAll
    static void bootOnce() throws Exception {
        Path target = Workshop.root().resolve("testkit/target");
        out = target.resolve("cgroup2-vm-test");
        outside = target.resolve("cgroup2-vm-test-outside-share");
        deleteRecursively(out);
        Files.deleteIfExists(outside);
        Files.createDirectories(out);
        javaCommand = Cgroup2Vm.javaCommand(Hello.class.getName(), "alpha", "beta");
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", GUEST_SCRIPT, "sh"));
        command.addAll(javaCommand);

        result = Cgroup2Vm.run(command, out, target,
                Map.of("OUT", out.toString(), "OUTSIDE", outside.toString()),
                Duration.ofMinutes(4));
    }

    @AfterAll
    static void reportTimings() throws IOException {
        if (result == null) return;
        Path millis = out.resolve("java-millis");
        System.out.printf("cgroup2 VM: boot %s, JVM inside %s ms (%s), command %s, total %s%n",
                result.boot(), Files.exists(millis) ? Files.readString(millis).strip() : "?",
                javaCommand.get(0), result.command(), result.total());
    }

    @Test
    void theCommandRanToItsEndAndItsOutputCameBack() {
        assertEquals(0, result.exitCode(), result::describe);
        assertEquals("guest script finished\n", result.stdout(), result::describe);
    }

    @Test
    void cgroup2IsTheOnlyCgroupHierarchyAndItIsAtSysFsCgroup() throws IOException {
        assertCgroup2Only(fsTypeByMountPoint(out.resolve("mountinfo")));
    }

    /** Mount point to file system type, from a copy of the guest's /proc/self/mountinfo. */
    static Map<String, String> fsTypeByMountPoint(Path mountinfo) throws IOException {
        return Files.readAllLines(mountinfo).stream()
                .collect(Collectors.toMap(line -> line.split(" ")[4],
                        line -> line.substring(line.indexOf(" - ") + 3).split(" ")[0], (a, b) -> b));
    }

    static void assertCgroup2Only(Map<String, String> fsTypeByMountPoint) {
        assertEquals("cgroup2", fsTypeByMountPoint.get("/sys/fs/cgroup"), fsTypeByMountPoint::toString);
        assertFalse(fsTypeByMountPoint.containsValue("cgroup"), "a cgroup v1 hierarchy is mounted: "
                + fsTypeByMountPoint);
    }

    @Test
    void memoryCpuAndPidsControllersAreAvailable() throws IOException {
        Set<String> controllers = Set.of(Files.readString(out.resolve("controllers")).strip().split(" "));
        assertTrue(controllers.containsAll(Set.of("memory", "cpu", "pids")), controllers::toString);
    }

    @Test
    void aProcessOverMemoryMaxIsOomKilled() throws IOException {
        assertEquals("137", Files.readString(out.resolve("oom-exit")).strip(),
                "dd in a cgroup with memory.max = 16M should die of SIGKILL (128 + 9)");
        Map<String, Long> events = Files.readAllLines(out.resolve("oom-events")).stream()
                .map(line -> line.split(" "))
                .collect(Collectors.toMap(kv -> kv[0], kv -> Long.parseLong(kv[1])));
        assertTrue(events.get("oom_kill") >= 1, "memory.events: " + events);
    }

    @Test
    void aJavaProgramCompiledOnTheHostRunsInsideAtTheSamePaths() throws IOException {
        assertEquals("0", Files.readString(out.resolve("java-exit")).strip(),
                () -> "java failed: " + readQuietly(out.resolve("java.err")));
        List<String> lines = Files.readAllLines(out.resolve("java.out"));
        assertEquals("beta alpha", lines.get(0), "the program prints its arguments reversed");
        assertEquals("java " + Runtime.version().feature(), lines.get(1),
                "the host's JDK at " + javaCommand.get(0));
        assertTrue(lines.get(2).contains("memory"), "cgroup.controllers as the JVM read it: " + lines);
    }

    @Test
    void writesOutsideTheShareSucceedInTheGuestButNeverReachTheHost() throws IOException {
        assertTrue(Files.exists(out.resolve("outside-write")),
                "the guest could not write " + outside + ": its / should be writable (tmpfs overlay)");
        assertFalse(Files.exists(outside), outside + " was written through to the host");
    }

    @Test
    void aCommandThatOutlivesTheTimeoutIsKilledAndNothingIsLeftRunning() {
        // A second, deliberately short VM: it is killed while it still boots.
        long start = System.nanoTime();
        Cgroup2Vm.Result slow = Cgroup2Vm.run(List.of("sleep", "600"), Duration.ofSeconds(2));
        assertKilledAtTheTimeoutWithNothingLeft(slow, Duration.ofNanos(System.nanoTime() - start));
    }

    /** What a run whose command outlived its 2 s timeout must look like. */
    static void assertKilledAtTheTimeoutWithNothingLeft(Cgroup2Vm.Result slow, Duration took) {
        assertEquals(Cgroup2Vm.TIMEOUT, slow.exitCode(), slow::describe);
        assertTrue(slow.timedOut(), slow::describe);
        assertTrue(took.compareTo(Duration.ofSeconds(30)) < 0, "killing the VM took " + took);
        String workDir = slow.workDir().toString();
        List<String> leftovers = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(workDir)).orElse(false))
                .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
                .toList();
        assertEquals(List.of(), leftovers, "processes of the timed-out run are still alive");
        assertFalse(Files.exists(slow.workDir()), "the run's folder was not removed");
    }

    static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
