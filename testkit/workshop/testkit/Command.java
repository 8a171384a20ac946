package workshop.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A command a test runs as a learner would type it, with its output and exit status. */
public final class Command {
    private final List<String> argv = new ArrayList<>();
    private Path directory = Workshop.root();
    private String stdin = "";
    private Duration timeout = Duration.ofSeconds(60);
    private final Map<String, String> environment = new java.util.HashMap<>();

    private Command(List<String> argv) {
        this.argv.addAll(argv);
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv));
    }

    public static Command of(List<String> argv) {
        return new Command(argv);
    }

    /**
     * A step's program in a fresh JVM: the test's own java and class path (so the classes Maven
     * just compiled), and the JVM options the step's //JAVA_OPTIONS line asks jbang for.
     */
    public static Command javaMain(String mainClass, String... args) {
        List<String> argv = new ArrayList<>(javaLauncher());
        argv.add(mainClass);
        argv.addAll(List.of(args));
        return new Command(argv);
    }

    /**
     * {@code java -XX:-MaxFDLimit --enable-native-access=ALL-UNNAMED -cp <test class path>}, plus
     * the options in the system property {@value #JVM_OPTIONS} if this JVM has it (passed on, so
     * that the JVMs those start get them too): Cgroup2Vm's options for JVMs under emulation.
     */
    public static List<String> javaLauncher() {
        String extra = System.getProperty(JVM_OPTIONS, "").trim();
        return javaLauncher(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                extra.isEmpty() ? List.of() : List.of(extra.split("\\s+")),
                System.getProperty("java.class.path"));
    }

    /**
     * {@code java -XX:-MaxFDLimit --enable-native-access=ALL-UNNAMED OPTIONS -cp CLASSPATH}, the
     * options also in {@value #JVM_OPTIONS} so that the JVMs it starts get them too: this JVM's
     * launcher, or a VM guest's with its own java and options.
     */
    static List<String> javaLauncher(String java, List<String> options, String classPath) {
        List<String> argv = new ArrayList<>(List.of(java, "-XX:-MaxFDLimit",
                "--enable-native-access=ALL-UNNAMED"));
        if (!options.isEmpty()) {
            argv.addAll(options);
            argv.add("-D" + JVM_OPTIONS + "=" + String.join(" ", options));
        }
        argv.addAll(List.of("-cp", classPath));
        return List.copyOf(argv);
    }

    /** The system property with more JVM options for {@link #javaLauncher()}, space-separated. */
    public static final String JVM_OPTIONS = "workshop.jvm.options";

    /** Puts {@code prefix} (e.g. {@code unshare --mount}) in front of the command. */
    public Command wrappedIn(String... prefix) {
        argv.addAll(0, List.of(prefix));
        return this;
    }

    public Command in(Path dir) {
        this.directory = dir;
        return this;
    }

    public Command stdin(String text) {
        this.stdin = text;
        return this;
    }

    public Command env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    public Command timeout(Duration limit) {
        this.timeout = limit;
        return this;
    }

    public List<String> argv() {
        return List.copyOf(argv);
    }

    /** Starts the command; the caller owns the process and must end it. */
    public Process start() {
        ProcessBuilder builder = new ProcessBuilder(argv).directory(directory.toFile());
        builder.environment().putAll(environment);
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + argv, e);
        }
    }

    /** Runs to completion (killing it after the timeout) and returns what it printed. */
    public Result run() {
        Process process = start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread outReader = pump(process.getInputStream(), out);
        Thread errReader = pump(process.getErrorStream(), err);
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // The command may exit without reading its input; that is its business.
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
                throw new AssertionError("timed out after " + timeout + ": " + argv
                        + "\nstdout: " + out + "\nstderr: " + err);
            }
            outReader.join();
            errReader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new Result(process.exitValue(), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8), argv);
    }

    private static Thread pump(InputStream from, ByteArrayOutputStream to) {
        Thread thread = new Thread(() -> {
            try (from) {
                from.transferTo(to);
            } catch (IOException ignored) {
                // The stream closes when the process ends.
            }
        });
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** What a command printed, and how it ended. */
    public record Result(int exitCode, String stdout, String stderr, List<String> argv) {
        /** Fails with the whole transcript unless the command exited with {@code expected}. */
        public Result assertExit(int expected) {
            if (exitCode != expected) {
                throw new AssertionError("expected exit " + expected + " but got " + exitCode
                        + " from " + argv + "\nstdout: " + stdout + "\nstderr: " + stderr);
            }
            return this;
        }
    }
}
