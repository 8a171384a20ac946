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

    static JruncTool jrunc(Path stateRoot) {
        List<String> argv = new ArrayList<>(Command.javaLauncher());
        argv.add("jrunc.cli.Jrunc");
        return new JruncTool(stateRoot, argv);
    }

    static JruncTool runc(Path stateRoot) {
        return new JruncTool(stateRoot, List.of("runc"));
    }

    Command.Result run(String... args) {
        return run(Duration.ofSeconds(60), args);
    }

    Command.Result run(Duration timeout, String... args) {
        List<String> argv = new ArrayList<>(launcher);
        argv.add("--root");
        argv.add(root.toString());
        argv.addAll(List.of(args));
        Command.Result r = exec(argv, timeout);
        // Failure messages show "jrunc ARGS", not the test's whole class path.
        List<String> shown = new ArrayList<>(List.of(launcher.size() > 1 ? "jrunc" : launcher.get(0)));
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
}
