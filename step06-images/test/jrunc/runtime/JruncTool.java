package jrunc.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import workshop.testkit.Workshop;
import workshop.testkit.Command;

/**
 * Runs jrunc (a fresh JVM with the test's class path) or Debian's runc with a private state
 * root. Output goes to files, not pipes: a created container keeps its stdio open, and a pipe
 * would make the caller wait for the container instead of the command.
 */
final class JruncTool {
    final Path root;
    final List<String> launcher;

    private JruncTool(Path root, List<String> launcher) {
        this.root = root;
        this.launcher = launcher;
    }

    /**
     * The JIT and GC options bin/jrunc gives jrunc's JVM (a short life: C1 only, the serial GC,
     * no perf-data file): a "jrunc run" took a sixth less time with them on a quiet machine,
     * 40% less on a busy one (no C2 compiler threads competing for the cores).
     */
    static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-XX:-UsePerfData");

    static JruncTool jrunc(Path stateRoot) {
        List<String> argv = new ArrayList<>(Command.javaLauncher());
        for (String option : JVM_OPTIONS) {
            if (!argv.contains(option)) argv.add(1, option);
        }
        argv.add("jrunc.cli.Jrunc");
        return new JruncTool(stateRoot, argv);
    }

    static JruncTool runc(Path stateRoot) {
        return new JruncTool(stateRoot, List.of("runc"));
    }

    /** jrunc or runc started by another command line (EscapeTest: copies, a private mount namespace). */
    static JruncTool launchedBy(Path stateRoot, List<String> launcher) {
        return new JruncTool(stateRoot, List.copyOf(launcher));
    }

    /**
     * How long one call may take: a minute here, five in a VM (workshop.jvm.options is set
     * there), where under arm64 emulation an exec (two JVMs) took more than a minute.
     */
    static final Duration TIMEOUT = System.getProperty(Command.JVM_OPTIONS, "").isBlank()
            ? Duration.ofSeconds(60) : Duration.ofMinutes(5);

    Command.Result run(String... args) {
        return run(TIMEOUT, args);
    }

    Command.Result run(Duration timeout, String... args) {
        List<String> argv = new ArrayList<>(launcher);
        argv.add("--root");
        argv.add(root.toString());
        argv.addAll(List.of(args));
        Command.Result r = exec(argv, timeout);
        // Failure messages show "jrunc ARGS", not the test's whole class path.
        String program = launcher.get(launcher.size() - 1);
        List<String> shown = new ArrayList<>(List.of(program.endsWith("Jrunc") ? "jrunc" : program));
        shown.addAll(argv.subList(launcher.size(), argv.size()));
        return new Command.Result(r.exitCode(), r.stdout(), r.stderr(), shown);
    }

    static Command.Result exec(List<String> argv, Duration timeout) {
        try {
            Path out = Files.createTempFile("jrunc-test", ".out");
            Path err = Files.createTempFile("jrunc-test", ".err");
            try {
                Process p = new ProcessBuilder(argv).redirectOutput(out.toFile())
                        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor();
                    throw new AssertionError("timed out after " + timeout + ": " + argv
                            + "\nstdout: " + Files.readString(out) + "\nstderr: " + Files.readString(err));
                }
                return new Command.Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8), argv);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * bin/jrunc runs target/jrunc.jar and would rebuild it with Maven if it were older than
     * the sources; a nested Maven would recompile the classes this test run is using. So the
     * jar is made here from exactly the classes under test, with the libraries beside it.
     */
    static void packageJarFromTheClassesUnderTest(Path tmp) throws Exception {
        Path target = Workshop.root().resolve("step06-images/target");
        Path lib = Files.createDirectories(target.resolve("lib"));
        List<String> classPath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path jar = Path.of(entry);
            if (!entry.endsWith(".jar") || entry.contains("junit") || entry.contains("surefire")
                    || entry.contains("opentest4j") || entry.contains("apiguardian")
                    || entry.contains("testkit")) {
                continue;
            }
            Files.copy(jar, lib.resolve(jar.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            classPath.add("lib/" + jar.getFileName());
        }
        Path manifest = tmp.resolve("MANIFEST.MF");
        // One entry per manifest line: a continuation line starts with a space.
        Files.writeString(manifest, "Manifest-Version: 1.0\nMain-Class: jrunc.cli.Jrunc\n"
                + "Class-Path: " + String.join("\n  ", classPath) + "\n");
        Path jar = tmp.resolve("jrunc.jar");
        int rc = java.util.spi.ToolProvider.findFirst("jar").orElseThrow().run(System.out, System.err,
                "--create", "--file", jar.toString(), "--manifest", manifest.toString(),
                "-C", target.resolve("classes").toString(), ".");
        if (rc != 0) throw new AssertionError("jar --create failed: " + rc);
        Files.move(jar, target.resolve("jrunc.jar"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
