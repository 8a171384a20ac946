package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Workshop;

/**
 * What keeps bin/jrunc fast, asserted by structure, not by a clock (the timings are in
 * benchmarks/): a lifecycle call loads no picocli class (FastCli parses it), maps its classes
 * from the training run's archive (JDK 17) or AOT cache (JDK 25) instead of the jars, and
 * starts no program (JNA is given the library path, so it never forks "ldconfig -p").
 */
class StartupStructureTest {
    @TempDir
    static Path tmp;

    static Path root;

    @BeforeAll
    static void storedContainer() throws Exception {
        JruncTool.packageJarFromTheClassesUnderTest(tmp);
        Command.of(jrunc(), "--version").timeout(Duration.ofMinutes(5)).run().assertExit(0);
        root = Files.createDirectories(tmp.resolve("root"));
        Path dir = Files.createDirectories(root.resolve("c1"));
        Files.writeString(dir.resolve("state.json"), "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"pid\":0,"
                + "\"startTime\":0,\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":"
                + "\"2026-01-01T00:00:00Z\",\"owner\":\"root\",\"cgroupsCreated\":[]}");
    }

    static String jrunc() {
        return Workshop.root().resolve("bin/jrunc").toString();
    }

    /** The runtime JVM's -Xlog:class+load lines for one call. */
    static List<String> classesLoadedBy(String... args) throws Exception {
        Path log = tmp.resolve("classes-" + System.nanoTime() + ".log");
        List<String> argv = new java.util.ArrayList<>(List.of(jrunc(), "--root", root.toString()));
        argv.addAll(List.of(args));
        Command.of(argv).env("JRUNC_JAVA_OPTIONS", "-Xlog:class+load=info:file=" + log)
                .run().assertExit(0);
        return Files.readAllLines(log);
    }

    @Test
    void stateAndListLoadNoPicocliClass() throws Exception {
        for (String[] call : new String[][] {{"state", "c1"}, {"list"}, {"features"}}) {
            List<String> loaded = classesLoadedBy(call);
            assertTrue(loaded.stream().anyMatch(l -> l.contains(" jrunc.cli.FastCli ")), "FastCli ran");
            assertEquals(List.of(), loaded.stream().filter(l -> l.contains(" picocli.")).limit(3).toList(),
                    String.join(" ", call) + " loaded picocli classes");
        }
    }

    @Test
    void jruncsClassesComeFromTheArchive() throws Exception {
        List<String> loaded = classesLoadedBy("state", "c1");
        List<String> ours = loaded.stream().filter(l -> l.contains(" jrunc.")).toList();
        List<String> fromJars = ours.stream().filter(l -> !l.contains("shared objects file")).toList();
        assertFalse(ours.isEmpty(), "no jrunc class in the log");
        assertEquals(List.of(), fromJars, "jrunc classes read from the jar instead of the archive");
    }

    @Test
    void aLifecycleCallStartsNoProgram() throws Exception {
        Path trace = tmp.resolve("execve.trace");
        Command.of("strace", "-f", "-qq", "-e", "trace=execve", "-o", trace.toString(), jrunc(),
                "--root", root.toString(), "state", "c1").run().assertExit(0);
        List<String> programs = Files.readAllLines(trace).stream().filter(l -> l.contains("execve(\""))
                .map(l -> l.replaceAll(".*execve\\(\"([^\"]*)\".*", "$1")).distinct().toList();
        assertFalse(programs.stream().anyMatch(p -> p.contains("ldconfig")), "JNA forked ldconfig: " + programs);
        // bash for the launcher, java for jrunc: nothing else (readlink, find, stat, uname, ...).
        assertEquals(List.of(), programs.stream().filter(p -> !p.endsWith("/bash") && !p.endsWith("/java")
                && !p.endsWith("bin/jrunc") && !p.endsWith("/env")).toList(), "programs started");
    }
}
