package workshop.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a command inside a throw-away VM whose kernel has only cgroup v2 (Debian's kernel with
 * {@code cgroup_no_v1=all}, booted by qemu in software emulation), for tests whose subject is
 * cgroup v2 while the machine itself runs cgroup v1.
 *
 * <p>The guest sees the host's {@code /} read-only (with a tmpfs overlay: writes succeed and
 * vanish), so every host path is the same inside: the JDKs under {@code /usr/lib/jvm}, the
 * repository's {@code target/classes}, {@code ~/.m2}. Results come back through a shared host
 * folder, mounted read-write at its own path. {@code /proc}, {@code /sys}, {@code /dev} are the
 * guest's; cgroup2 is at {@code /sys/fs/cgroup}. The command runs as root in the root cgroup.
 *
 * <p>Boot time dominates (seconds under emulation): run one VM per test class and do all the
 * work of that class in it. This class is a thin wrapper around
 * {@code testkit/cgroup2-vm/run-in-vm}, which can also be used by hand.
 */
public final class Cgroup2Vm {
    private Cgroup2Vm() {}

    /** Exit status of run-in-vm when it killed the VM at the timeout. */
    public static final int TIMEOUT = 124;
    /** Exit status of run-in-vm when the VM failed before reporting the command's status. */
    public static final int VM_FAILURE = 125;

    /**
     * What a run produced.
     *
     * @param exitCode the command's exit status (128+N when signal N killed it), or
     *                 {@link #TIMEOUT}, or {@link #VM_FAILURE}
     * @param outcome  {@code completed}, {@code timeout} or {@code vm-failure}
     * @param stdout   the command's standard output
     * @param stderr   the command's standard error, plus run-in-vm's own messages
     * @param boot     from starting qemu to starting the command (null if it never started)
     * @param command  how long the command ran, measured in the guest (null if unknown)
     * @param total    from starting qemu to its end
     * @param console  the guest's serial console: kernel messages, OOM reports, init errors
     * @param workDir  the private host folder of this run (gone when run returns); qemu's command
     *                 line names it, so a test can check that no process outlived the run
     */
    public record Result(int exitCode, String outcome, String stdout, String stderr,
                         Duration boot, Duration command, Duration total, String console,
                         Path workDir) {
        public boolean timedOut() {
            return "timeout".equals(outcome);
        }

        /** Everything needed to understand a failed assertion, for assertion messages. */
        public String describe() {
            List<String> consoleLines = console.lines().toList();
            String consoleTail = String.join("\n",
                    consoleLines.subList(Math.max(0, consoleLines.size() - 30), consoleLines.size()));
            return "exit code " + exitCode + " (" + outcome + "), boot " + boot + ", command "
                    + command + ", total " + total
                    + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr
                    + "\n--- end of the serial console ---\n" + consoleTail;
        }
    }

    /** The shell entry point, {@code <repo>/testkit/cgroup2-vm/run-in-vm}. */
    public static Path script() {
        return Workshop.root().resolve("testkit/cgroup2-vm/run-in-vm");
    }

    /**
     * Installs qemu and busybox-static if missing, fetches the kernel and builds the initramfs.
     * The first call on a machine downloads about 100 MB and may take minutes; afterwards it
     * takes milliseconds. {@link #run} calls it, so that its timeout covers only the VM.
     */
    public static synchronized void prepare() {
        prepare(script().resolveSibling("prepare"));
    }

    /** Runs a prepare script (this VM's, or {@link Arm64Vm}'s) and fails with its output. */
    static void prepare(Path prepare) {
        Path log = null;
        try {
            log = Files.createTempFile("cgroup2-vm-prepare", ".log");
            Process p = new ProcessBuilder(prepare.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            boolean done = p.waitFor(20, TimeUnit.MINUTES);
            if (!done) {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
                throw new IllegalStateException(prepare + " took longer than 20 minutes:\n"
                        + readIfExists(log));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(prepare + " failed (exit " + p.exitValue() + "):\n"
                        + readIfExists(log));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + prepare, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing the VM", e);
        } finally {
            if (log != null) log.toFile().delete();
        }
    }

    /**
     * Options for every JVM in the guest. Under emulation a JVM's own work costs most: C2's
     * compiler threads (C1 alone: about a third less time for a container run of step04) and
     * G1's. They are the options the runtimes already give their init JVMs.
     */
    public static final List<String> JVM_OPTIONS = List.of(
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData");

    /**
     * {@link Command#javaLauncher()} with {@link #JVM_OPTIONS}, also for the JVMs it starts
     * through {@code Command}: for a test JVM (e.g. a JUnit launcher) that runs in the guest.
     */
    public static List<String> javaLauncher() {
        return new ArrayList<>(Command.javaLauncher(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), JVM_OPTIONS,
                System.getProperty("java.class.path")));
    }

    /**
     * The command that runs {@code mainClass} in the guest with this JVM's own JDK and class path
     * (surefire's: target/classes, target/test-classes, the jars in ~/.m2), which are at the same
     * paths inside. For a test that needs a main class of its step run on cgroup v2.
     */
    public static List<String> javaCommand(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    /** {@link #run(List, Path, Path, Map, Duration)} without a share, in the current directory. */
    public static Result run(List<String> command, Duration timeout) {
        return run(command, null, null, Map.of(), timeout);
    }

    /**
     * Boots a VM, runs {@code command} in it as root and powers it off.
     *
     * @param command the program and its arguments, looked up on the guest's PATH
     *                ({@code /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin})
     * @param share   an existing host folder the guest may write to (same path inside), or null
     * @param cwd     the command's working directory (a host path; null: this JVM's)
     * @param env     added to the command's environment, which otherwise holds only PATH, HOME,
     *                USER and LOGNAME (the host's environment is not passed on)
     * @param timeout the VM is killed after running this long; the result is then {@link #TIMEOUT}
     */
    public static Result run(List<String> command, Path share, Path cwd, Map<String, String> env,
                             Duration timeout) {
        if (command.isEmpty()) throw new IllegalArgumentException("no command");
        prepare();
        return run(List.of(), command, share, cwd, env, timeout);
    }

    /**
     * run-in-vm with {@code vmOptions} before the others (e.g. {@code --arch arm64},
     * {@code --overlay DIR}); the caller has prepared the VM.
     */
    static Result run(List<String> vmOptions, List<String> command, Path share, Path cwd,
                      Map<String, String> env, Duration timeout) {
        long timeoutSeconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        Path work = null;
        try {
            work = Files.createTempDirectory("cgroup2-vm-java");
            Path report = work.resolve("report");
            Path console = work.resolve("console.log");
            Path stdout = work.resolve("stdout");
            Path stderr = work.resolve("stderr");
            List<String> args = new ArrayList<>(List.of(script().toString()));
            args.addAll(vmOptions);
            args.addAll(List.of("--timeout", Long.toString(timeoutSeconds),
                    "--report", report.toString(), "--console", console.toString()));
            if (share != null) args.addAll(List.of("--share", share.toAbsolutePath().toString()));
            if (cwd != null) args.addAll(List.of("--cwd", cwd.toAbsolutePath().toString()));
            env.forEach((k, v) -> args.addAll(List.of("--env", k + "=" + v)));
            args.add("--");
            args.addAll(command);

            ProcessBuilder pb = new ProcessBuilder(args)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            // run-in-vm keeps its control folder under TMPDIR: inside this run's own folder.
            pb.environment().put("TMPDIR", work.toString());
            Process p = pb.start();
            // run-in-vm enforces the timeout itself; this is only the backstop should it hang.
            boolean hung = !p.waitFor(timeoutSeconds + 60, TimeUnit.SECONDS);
            if (hung) {
                List<ProcessHandle> tree = p.descendants().toList();
                p.destroy(); // SIGTERM: run-in-vm stops qemu and cleans up
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly();
                tree.forEach(ProcessHandle::destroyForcibly);
                p.waitFor();
            }
            Map<String, String> values = hung ? Map.of() : readReport(report);
            int exitCode = hung ? TIMEOUT : values.containsKey("exit_status")
                    ? Integer.parseInt(values.get("exit_status")) : p.exitValue();
            return new Result(exitCode,
                    hung ? "timeout" : values.getOrDefault("outcome", "vm-failure"),
                    readIfExists(stdout), readIfExists(stderr),
                    seconds(values.get("boot_seconds")), seconds(values.get("command_seconds")),
                    seconds(values.get("total_seconds")), readIfExists(console), work);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + script(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running the VM", e);
        } finally {
            if (work != null) deleteRecursively(work);
        }
    }

    private static Map<String, String> readReport(Path report) throws IOException {
        Map<String, String> values = new HashMap<>();
        if (!Files.exists(report)) return values;
        for (String line : Files.readAllLines(report)) {
            int eq = line.indexOf('=');
            if (eq > 0) values.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return values;
    }

    private static Duration seconds(String value) {
        if (value == null || value.isBlank()) return null;
        return Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
    }

    private static String readIfExists(Path file) throws IOException {
        // The guest may write anything; never fail on bytes that are not UTF-8.
        return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover temporary folder is not worth failing a test for
        }
    }
}
