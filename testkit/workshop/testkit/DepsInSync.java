package workshop.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * jbang reads a step's {@code //DEPS} lines, Maven its pom: both must pick the same versions.
 * The proof is the test's own class path, which is what Maven actually resolved.
 */
public final class DepsInSync {
    private static final Pattern DEPS = Pattern.compile("^//DEPS\\s+(\\S+)", Pattern.MULTILINE);

    private DepsInSync() {}

    /** Every //DEPS group:artifact:version in the step's sources is on Maven's class path. */
    public static void assertStep(Path stepDir) {
        List<String> deps = depsOf(stepDir);
        assertTrue(!deps.isEmpty(), "no //DEPS line found in " + stepDir);
        String classPath = System.getProperty("java.class.path");
        for (String dep : deps) {
            String[] gav = dep.split(":");
            if (gav.length != 3) fail("//DEPS " + dep + " in " + stepDir + " is not group:artifact:version");
            String jar = gav[0].replace('.', '/') + "/" + gav[1] + "/" + gav[2] + "/" + gav[1] + "-" + gav[2] + ".jar";
            assertTrue(classPath.contains(jar), "//DEPS " + dep + " in " + stepDir
                    + " differs from the version Maven resolved; class path: " + classPath);
        }
    }

    static List<String> depsOf(Path stepDir) {
        List<String> deps = new ArrayList<>();
        try (Stream<Path> files = Files.walk(stepDir)) {
            for (Path file : (Iterable<Path>) files.filter(f -> isStepSource(stepDir.relativize(f)))::iterator) {
                Matcher m = DEPS.matcher(Files.readString(file));
                while (m.find()) deps.add(m.group(1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return deps;
    }

    private static boolean isStepSource(Path file) {
        return file.toString().endsWith(".java")
                && !file.startsWith("test") && !file.startsWith("target");
    }
}
