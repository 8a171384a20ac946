import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * step01's exec hygiene, now applied by posix_spawn to a child: checked from the host on the
 * spawned command (busybox sleep) through /proc/PID/status, /proc/PID/fd and /proc/PID/limits.
 */
class ExecHygieneTest {
    /** A soft limit nobody would pick by accident, under this machine's hard limit. */
    static final int CALLERS_SOFT_NOFILE = 1111;

    Process runtime;

    @AfterEach
    void stopRuntime() throws InterruptedException {
        if (runtime != null) {
            runtime.descendants().forEach(ProcessHandle::destroyForcibly);
            runtime.destroyForcibly().waitFor();
        }
    }

    static String statusField(long pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith(field + ":")).findFirst().orElseThrow()
                .substring(field.length() + 1).trim();
    }

    @Test
    void theCommandGetsNoneOfTheJvmsLeftovers() throws Exception {
        Privileged.requireRoot();
        List<String> argv = new ArrayList<>(List.of("prlimit", "--nofile=" + CALLERS_SOFT_NOFILE + ":"));
        argv.addAll(Command.javaMain("Run", Rootfs.workshopDefault().toString(), "/bin/sleep", "30").argv());
        runtime = Command.of(argv).start();
        long pid = Step02ErrorsTest.awaitChild(runtime, Duration.ofSeconds(30)).pid();

        assertEquals("0000000000000000", statusField(pid, "SigBlk"), "SigBlk: no signal blocked");
        // The runtime ignores SIGINT and SIGQUIT while it waits; the command must not inherit that.
        // (glibc's posix_spawn ignores its own two internal signals, 32 and 33, in the child.)
        long ignored = Long.parseLong(statusField(pid, "SigIgn"), 16);
        assertEquals(0, ignored & 0x7fffffffL, "SigIgn: none of the signals 1-31 ignored");
        List<String> fds;
        try (Stream<Path> list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds = list.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("0", "1", "2"), fds, "open fds of the command");
        String limits = Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        assertEquals(CALLERS_SOFT_NOFILE, Long.parseLong(limits.substring("Max open files".length()).trim().split("\\s+")[0]),
                "soft RLIMIT_NOFILE of the command");
    }
}
