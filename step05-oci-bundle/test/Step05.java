import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import workshop.testkit.Command;
import workshop.testkit.Rootfs;

/** What step05's tests share: commands, bundles, and the check that nothing leaks. */
final class Step05 {
    private Step05() {}

    /** The default --root, where the README's commands keep their state too. */
    static final Path ROOT = Path.of("/run/step05");

    /** The bundles tests made: a mount left below one of them would be a leak. */
    static final java.util.Set<Path> BUNDLES = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Every container id the tests use starts with this; the leak check looks for it. */
    static final String ID_PREFIX = "t5-";

    static Command step05(String... args) {
        return Command.javaMain("Run", args).timeout(Duration.ofMinutes(2));
    }

    /**
     * A command that leaves a process behind (create: the init) holds on to pipes given to
     * it; with files instead, the runtime's exit is the end of the command.
     */
    static Command.Result detached(Path scratch, List<String> argv) {
        try {
            Path out = Files.createTempFile(scratch, "out", ".txt");
            Path err = Files.createTempFile(scratch, "err", ".txt");
            Process process = new ProcessBuilder(argv).directory(workshop.testkit.Workshop.root().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("timed out: " + argv + "\n" + Files.readString(err));
            }
            return new Command.Result(process.exitValue(), Files.readString(out),
                    Files.readString(err), argv);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** `Run create ...` (java, the test's class path), output to files. */
    static Command.Result create(Path scratch, String... args) {
        List<String> argv = new ArrayList<>(Command.javaLauncher());
        argv.add("Run");
        argv.add("create");
        argv.addAll(List.of(args));
        return detached(scratch, argv);
    }

    /**
     * A bundle in DIR: `spec`'s default config.json, with root.path the workshop's rootfs
     * (read-only, so no copy is needed), and a host directory DIR/shared bound at /tmp (a
     * directory the rootfs has: nothing is created in it) where the container leaves what the
     * test looks for.
     */
    static ObjectNode defaultConfig(Path dir) {
        BUNDLES.add(dir);
        try {
            Files.deleteIfExists(dir.resolve("config.json"));
            Files.createDirectories(dir.resolve("shared"));
            // spec's root.path; replaced below, but spec checks that it exists.
            Files.createDirectories(dir.resolve("rootfs"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Run.spec(dir);
        ObjectNode config = (ObjectNode) read(dir.resolve("config.json"));
        ((ObjectNode) config.get("root")).put("path", Rootfs.workshopDefault().toString());
        ObjectNode shared = ((ArrayNode) config.get("mounts")).addObject();
        shared.put("destination", "/tmp").put("type", "bind")
                .put("source", dir.resolve("shared").toString());
        shared.putArray("options").add("rbind").add("rw");
        return config;
    }

    static void args(ObjectNode config, String... args) {
        ArrayNode array = ((ObjectNode) config.get("process")).putArray("args");
        for (String arg : args) array.add(arg);
    }

    static void write(Path dir, JsonNode config) {
        write(dir, config.toPrettyString());
    }

    static void write(Path dir, String configJson) {
        try {
            Files.writeString(dir.resolve("config.json"), configJson);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode read(Path file) {
        try {
            return Bundle.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The "status" that `state ID` prints. */
    static String status(String id) {
        var result = step05("state", id).run().assertExit(0);
        try {
            return Bundle.JSON.readTree(result.stdout()).get("status").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode state(String id) {
        try {
            return Bundle.JSON.readTree(step05("state", id).run().assertExit(0).stdout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void await(BooleanSupplier condition, String what) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!condition.getAsBoolean()) {
            assertTrue(Instant.now().isBefore(deadline), "waited 30 s for: " + what);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    static String readString(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cgroup directories of a container id, in every hierarchy that has one. */
    /** A pure cgroup v2 machine: /sys/fs/cgroup is the one hierarchy (not a folder of them). */
    static boolean pureV2() {
        return Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
    }

    /** The line of /proc/PID/cgroup that names a process's memory cgroup (v1) or its cgroup (v2). */
    static String memoryCgroupLine(String path) {
        return (pureV2() ? "0::" : ":memory:") + path + "\n";
    }

    static List<Path> cgroupsNamed(String relative) {
        List<Path> found = new ArrayList<>();
        if (pureV2()) {
            Path candidate = Path.of("/sys/fs/cgroup").resolve(relative);
            return Files.isDirectory(candidate) ? List.of(candidate) : List.of();
        }
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path hierarchy : (Iterable<Path>) hierarchies::iterator) {
                Path candidate = hierarchy.resolve(relative);
                if (Files.isDirectory(candidate)) found.add(candidate);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /**
     * Whatever a test class did: no state, no cgroup, no mount may remain. Other work on the
     * machine may mount and unmount meanwhile, so the mount check looks at new mount points
     * where a container's would be: in the rootfs, the state directory, and the bundles.
     */
    static final class NothingLeaks implements BeforeAllCallback, AfterAllCallback {
        List<String> mountsBefore;

        @Override
        public void beforeAll(ExtensionContext context) {
            if (!workshop.testkit.Workshop.isRoot()) return;
            mountsBefore = mountPoints();
            assertEquals(List.of(), leftovers(), "left by an earlier run: remove them first");
        }

        @Override
        public void afterAll(ExtensionContext context) {
            if (mountsBefore == null) return;
            // An init that was just killed may need a moment to be reaped and leave its cgroup.
            Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
            while (!leftovers().isEmpty() && Instant.now().isBefore(deadline)) {
                Cgroups.sleep(100);
            }
            assertEquals(List.of(), leftovers(), "state directories and cgroups left behind");
            List<Path> places = new ArrayList<>(BUNDLES);
            places.addAll(List.of(Rootfs.workshopDefault(), ROOT, Path.of("/tmp/step05-demo")));
            List<String> leaked = mountPoints().stream()
                    .filter(m -> !mountsBefore.contains(m))
                    .filter(m -> places.stream().anyMatch(p -> Path.of(m).startsWith(p)))
                    .toList();
            assertEquals(List.of(), leaked, "mounts left on the host");
        }

        static List<String> leftovers() {
            List<String> left = new ArrayList<>();
            cgroupsNamed(Bundle.CGROUP_PARENT).forEach(p -> left.add(p.toString()));
            if (Files.isDirectory(ROOT)) {
                try (Stream<Path> states = Files.list(ROOT)) {
                    states.filter(p -> p.getFileName().toString().startsWith(ID_PREFIX))
                            .forEach(p -> left.add(p.toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            // An init JVM of this module's (java -cp .../step05-oci-bundle/... Run init) that
            // is still alive; its command, once exec'd, is in a cgroup checked above.
            ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().orElse("").contains("step05-oci-bundle")
                            && p.info().arguments().map(a -> a.length > 0
                                    && a[a.length - 1].equals("init")).orElse(false))
                    .forEach(p -> left.add("process " + p.pid() + " " + p.info().commandLine()
                            .orElse("").replaceAll(" -cp \\S+", " -cp ...")));
            return left;
        }

        /** Field 5 of each line of /proc/self/mountinfo. */
        static List<String> mountPoints() {
            return readString(Path.of("/proc/self/mountinfo")).lines()
                    .map(line -> line.split(" ")[4]).toList();
        }
    }

    static void assertGone(String id) {
        assertFalse(Files.exists(ROOT.resolve(id)), "state directory of " + id);
        assertEquals(List.of(), cgroupsNamed(Bundle.CGROUP_PARENT + "/" + id), "cgroups of " + id);
    }
}
