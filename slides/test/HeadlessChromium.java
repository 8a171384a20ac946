import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's chromium, headless, one page per run: the DOM after scripts ran, or a screenshot.
 * Each run gets a fresh profile in a temporary folder, is kept off the network, and leaves no
 * process and no file behind.
 */
final class HeadlessChromium {
    static final String INSTALL_HINT = "apt-get install -y --no-install-recommends chromium";
    /** Virtual time: the page's timers and transitions run to completion without real waiting. */
    static final int VIRTUAL_TIME_MS = 5_000;
    static final long TIMEOUT_SECONDS = 60;

    private HeadlessChromium() {}

    /** The DOM once reveal.js and highlight.js have run, as HTML. */
    static String dumpDom(URI page) {
        return run(page, List.of("--dump-dom")).stdout;
    }

    /** A 1280x720 screenshot of the page, written to png. */
    static void screenshot(URI page, Path png) {
        run(page, List.of("--screenshot=" + png.toAbsolutePath(), "--window-size=1280,720"));
        if (!Files.isRegularFile(png)) {
            fail("chromium exited 0 but wrote no screenshot " + png);
        }
    }

    private record Result(String stdout) {}

    private static Result run(URI page, List<String> what) {
        Path chromium = findChromium();
        Path scratch = createTempDirectory();
        try {
            List<String> command = new ArrayList<>(List.of(chromium.toString(),
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--disable-sync",
                    // Even with the flags above Chromium calls Google (accounts, updates): no
                    // name resolves, so neither it nor the page can reach any host.
                    "--host-resolver-rules=MAP * ~NOTFOUND",
                    "--user-data-dir=" + scratch.resolve("profile"),
                    "--virtual-time-budget=" + VIRTUAL_TIME_MS));
            command.addAll(what);
            command.add(page.toString());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(scratch.resolve("stdout").toFile())
                    .redirectError(scratch.resolve("stderr").toFile());
            // The crash reporter writes under $XDG_CONFIG_HOME: keep that in scratch too.
            builder.environment().put("XDG_CONFIG_HOME", scratch.resolve("config").toString());
            builder.environment().put("XDG_CACHE_HOME", scratch.resolve("cache").toString());
            Process process = builder.start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                fail("chromium did not finish " + page + " within " + TIMEOUT_SECONDS + " s"
                        + stderrTail(scratch));
            }
            if (process.exitValue() != 0) {
                fail("chromium exited " + process.exitValue() + " on " + page
                        + stderrTail(scratch));
            }
            return new Result(Files.readString(scratch.resolve("stdout"), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("run " + chromium, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while chromium ran", e);
        } finally {
            stopProcessesUsing(scratch);
            deleteRecursively(scratch);
        }
    }

    /** Chromium on PATH; without it the deck cannot be checked, which is a failure, not a skip. */
    static Path findChromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "chromium");
            if (Files.isExecutable(candidate)) return candidate;
        }
        return fail("no chromium on PATH: the deck is tested in a real browser."
                + " Install Debian's with: " + INSTALL_HINT);
    }

    /**
     * Chromium's helpers (zygotes, renderers, the crash handler) may outlive the main process
     * for a moment, reparented away from us; every one of them names the scratch folder in its
     * command line. Give them a moment to exit, then end the rest.
     */
    private static void stopProcessesUsing(Path scratch) {
        String marker = scratch.toString();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<ProcessHandle> left = processesNaming(marker);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            sleep(100);
            left = processesNaming(marker);
        }
        for (ProcessHandle process : left) {
            process.destroyForcibly();
            process.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> process).join();
        }
    }

    private static List<ProcessHandle> processesNaming(String marker) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments()
                        .map(args -> Arrays.stream(args).anyMatch(a -> a.contains(marker)))
                        .orElse(false))
                .toList();
    }

    private static String stderrTail(Path scratch) {
        try {
            List<String> lines = Files.readAllLines(scratch.resolve("stderr"));
            return "\n  chromium's last messages:\n    " + String.join("\n    ",
                    lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static Path createTempDirectory() {
        try {
            return Files.createTempDirectory("deck-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException("create a temporary folder for chromium", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("delete " + dir, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
