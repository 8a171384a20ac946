import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * The three things a JVM leaks into a program it execs, checked from the host while the
 * program (busybox sleep, with the JVM's PID) runs: /proc/PID/status, /proc/PID/fd, /proc/PID/limits.
 */
class ExecHygieneTest {
    /** A soft limit nobody would pick by accident, under this machine's hard limit. */
    static final int CALLERS_SOFT_NOFILE = 1111;

    Process sleeper;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
    }

    @AfterEach
    void stopSleeper() throws InterruptedException {
        if (sleeper != null) {
            sleeper.destroyForcibly().waitFor();
        }
    }

    /** Starts step01 running sleep under a soft NOFILE limit of 1111 and waits for the exec. */
    long sleepInContainer() throws Exception {
        return sleepInContainer(Command.javaLauncher());
    }

    long sleepInContainer(List<String> java) throws Exception {
        List<String> argv = new ArrayList<>(List.of("prlimit", "--nofile=" + CALLERS_SOFT_NOFILE + ":"));
        argv.addAll(java);
        argv.addAll(List.of("Run", Rootfs.workshopDefault().toString(), "/bin/sleep", "30"));
        sleeper = Command.of(argv).start();
        long pid = sleeper.pid();
        // prlimit execs java, java execs sleep: same PID throughout. Wait for the last exec.
        Path exe = Path.of("/proc", Long.toString(pid), "exe");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!executable(exe).endsWith("/bin/busybox")) {
            if (!sleeper.isAlive() || Instant.now().isAfter(deadline)) {
                throw new AssertionError("sleep never started: " + new String(sleeper.getErrorStream().readAllBytes()));
            }
            Thread.sleep(20);
        }
        return pid;
    }

    /** The program a process runs; empty while it has none to show (in the middle of execve). */
    static String executable(Path exe) throws IOException {
        try {
            return Files.readSymbolicLink(exe).toString();
        } catch (java.nio.file.NoSuchFileException betweenPrograms) {
            return "";
        }
    }

    static String statusField(long pid, String field) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith(field + ":")).findFirst().orElseThrow()
                .substring(field.length() + 1).trim();
    }

    static long softNofile(long pid) throws IOException {
        String line = Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
    }

    @Test
    void noSignalIsBlockedInTheCommand() throws Exception {
        long pid = sleepInContainer();
        assertEquals("0000000000000000", statusField(pid, "SigBlk"), "SigBlk of the command");
    }

    @Test
    void onlyStdinStdoutAndStderrSurviveTheExec() throws Exception {
        long pid = sleepInContainer();
        List<String> fds;
        try (Stream<Path> list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            fds = list.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("0", "1", "2"), fds, "open fds of the command");
    }

    @Test
    void theCommandGetsTheCallersSoftFileLimit() throws Exception {
        long pid = sleepInContainer();
        assertEquals(CALLERS_SOFT_NOFILE, softNofile(pid), "soft RLIMIT_NOFILE of the command");
    }

    @Test
    void withoutMaxFdLimitOffTheJvmWouldLeakItsRaisedLimit() throws Exception {
        // The control experiment for the test above: HotSpot's default raises the soft limit.
        List<String> java = Command.javaLauncher().stream()
                .map(option -> option.equals("-XX:-MaxFDLimit") ? "-XX:+MaxFDLimit" : option).toList();
        long pid = sleepInContainer(java);
        long hard = Long.parseLong(Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow()
                .substring("Max open files".length()).trim().split("\\s+")[1]);
        assertEquals(hard, softNofile(pid), "HotSpot raised the soft limit to the hard one");
    }
}
