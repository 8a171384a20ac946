import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * Every mount the init makes lives in the container's own mount namespace, which goes away
 * with its last process; the container's processes go away with the runtime.
 */
class NothingLeftBehindTest {
    @TempDir Path scratch;
    Process runtime;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
    }

    @AfterEach
    void stopRuntime() throws InterruptedException {
        if (runtime != null) {
            runtime.descendants().forEach(ProcessHandle::destroyForcibly);
            runtime.destroyForcibly().waitFor();
        }
    }

    static Command step04(String... args) {
        return Command.javaMain("Run", args);
    }

    @Test
    void theHostsMountTableIsTheSameAfter20RunsFailedOnesIncluded() throws Exception {
        Path rootfs = Rootfs.workshopDefault();
        Path noProc = Rootfs.copyInto(scratch);
        Files.delete(noProc.resolve("proc"));
        String before = Files.readString(Path.of("/proc/self/mountinfo"));

        for (int run = 0; run < 4; run++) {
            step04(rootfs.toString(), "/bin/true").run().assertExit(0);
            step04(rootfs.toString(), "/bin/sh", "-c", "mount -t tmpfs tmpfs /tmp; exit 3").run().assertExit(3);
            step04(noProc.toString(), "/bin/true").run().assertExit(125);   // fails after pivot_root
            step04("--hostname", "h".repeat(65), rootfs.toString(), "/bin/true").run().assertExit(125);
            step04(rootfs.toString(), "no-such-command").run().assertExit(127);
        }

        assertEquals(before, Files.readString(Path.of("/proc/self/mountinfo")), "the host's mount table");
    }

    @Test
    void killingTheRuntimeKillsTheContainer() throws Exception {
        runtime = step04(Rootfs.workshopDefault().toString(), "/bin/sleep", "60").start();
        ProcessHandle container = awaitCommand(runtime, Duration.ofSeconds(30));

        runtime.destroyForcibly().waitFor();   // SIGKILL: no shutdown hook runs

        // The init set PR_SET_PDEATHSIG: the kernel sends its PID 1 SIGKILL.
        container.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(container.isAlive(), "the container's PID 1 after the runtime was killed");
    }

    /** The runtime's child (the init JVM) once it has exec'd the command (busybox). */
    static ProcessHandle awaitCommand(Process runtime, Duration limit) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline) && runtime.isAlive()) {
            Optional<ProcessHandle> child = runtime.children()
                    .filter(p -> p.info().command().orElse("").endsWith("/busybox")).findFirst();
            if (child.isPresent()) return child.get();
            Thread.sleep(20);
        }
        throw new AssertionError("the command never started");
    }

    @Test
    void aKilledCommandGives128PlusTheSignal() throws Exception {
        runtime = step04(Rootfs.workshopDefault().toString(), "/bin/sleep", "60").start();
        // PID 1 ignores every signal it has no handler for, except SIGKILL from outside.
        awaitCommand(runtime, Duration.ofSeconds(30)).destroyForcibly();
        assertEquals(128 + 9, runtime.waitFor());
    }

    @Test
    void theCommandGetsNoneOfTheJvmsLeftovers() throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("prlimit", "--nofile=1111:"));
        argv.addAll(step04(Rootfs.workshopDefault().toString(), "/bin/sleep", "60").argv());
        runtime = Command.of(argv).start();
        long pid = awaitCommand(runtime, Duration.ofSeconds(30)).pid();
        List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
        List<String> fds;
        try (var list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds = list.map(p -> p.getFileName().toString()).sorted().toList();
        }
        String limits = Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();

        assertEquals("SigBlk:\t0000000000000000", status.stream().filter(l -> l.startsWith("SigBlk")).findFirst().orElseThrow());
        assertEquals(List.of("0", "1", "2"), fds, "open fds of the command: no JVM file, no channel");
        assertEquals("1111", limits.substring("Max open files".length()).trim().split("\\s+")[0], limits);
    }
}
