package workshop.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository is, and whether the tests run with the privileges the steps need. */
public final class Workshop {
    private Workshop() {}

    /** The repository root: surefire sets {@code workshop.root}; otherwise walk up to {@code mvnw}. */
    public static Path root() {
        String fromBuild = System.getProperty("workshop.root");
        if (fromBuild != null && Files.isRegularFile(Path.of(fromBuild, "mvnw"))) {
            return Path.of(fromBuild).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("mvnw"))) return dir;
        }
        throw new IllegalStateException("cannot find the repository root (no mvnw above "
                + Path.of("").toAbsolutePath() + ")");
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name")) || uid() == 0;
    }

    private static long uid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) return Long.parseLong(line.split("\\s+")[2]);
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
