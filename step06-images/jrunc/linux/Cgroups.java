package jrunc.linux;

import com.sun.jna.Native;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.spec.Spec;

/**
 * A container's cgroup, on whichever cgroup version the host runs. The path is always taken
 * from the hierarchy root: a relative cgroupsPath is resolved there too, never under the
 * runtime's own cgroup (this machine's shells live in a cgroup that is not ours).
 */
public interface Cgroups {
    /** Where runc-less defaults put a container: /jrunc/ID under each hierarchy root. */
    String DEFAULT_PARENT = "/jrunc";

    /** Creates the cgroup directories that do not exist yet and applies the limits. */
    void create(Spec.Resources resources);

    /** "update": writes the limits that are set in changed (0 = unchanged); devices stay. */
    void update(Spec.Resources changed);

    /** "events --stats": cpu, memory, pids and blkio counters, in runc's field names. */
    Map<String, Object> stats();

    /** Moves a whole process into the cgroup (its cgroup.procs). */
    void join(int pid);

    /** PIDs in the cgroup, as the host sees them. */
    List<Integer> pids();

    void freeze(boolean frozen);

    boolean isFrozen();

    /** Removes the directories create() made (rmdir only, deepest first). */
    void destroy();

    /** The directories create() made, to be recorded in the container's state. */
    List<String> created();

    /** The directories create() would make now: recorded before it makes them. */
    List<String> missing();

    /** Warnings about limits this version cannot enforce. */
    List<String> warnings();

    /** Path of the v1 hierarchy (or the v2 cgroup) for the state's "cgroup" mount. */
    Path directory(String controller);

    /** cgroup2 mounted at /sys/fs/cgroup is a v2 host; anything else is v1 (or hybrid). */
    static boolean isV2() {
        return Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
    }

    /** The driver for cgroupsPath (null: /jrunc/ID); created lists dirs made earlier. */
    static Cgroups of(String cgroupsPath, String id, List<String> created) {
        String path = cgroupsPath == null || cgroupsPath.isEmpty()
                ? DEFAULT_PARENT + "/" + id : cgroupsPath;
        if (!path.startsWith("/")) path = "/" + path;
        if (path.contains(":")) {
            throw new IllegalArgumentException("linux.cgroupsPath " + path + ": the systemd"
                    + " form slice:prefix:name is not supported by jrunc (use a path)");
        }
        if (Path.of(path).normalize().toString().equals("/")
                || Path.of(path).normalize().startsWith("/..")) {
            throw new IllegalArgumentException("linux.cgroupsPath " + path + ": must name a"
                    + " cgroup below the hierarchy root");
        }
        path = Path.of(path).normalize().toString();
        return isV2() ? new CgroupsV2(path, created) : new CgroupsV1(path, created);
    }

    static String read(Path file) {
        try {
            return String.join("\n", Files.readAllLines(file)).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("read " + file + ": " + e.getMessage(), e);
        }
    }

    static void write(Path file, String value, String field) {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new CgroupException("write " + value + " to " + file
                    + (field == null ? "" : " (" + field + ")") + ": " + e.getMessage());
        }
    }

    /** The directories from below root down to dir that do not exist, topmost first. */
    static List<Path> missingDirectories(Path dir, Path root) {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && !d.equals(root) && !Files.isDirectory(d); d = d.getParent()) {
            missing.add(0, d);
        }
        return missing;
    }

    /** mkdir -p, remembering which directories we made (only those may be removed). */
    static void makeDirectories(Path dir, Path root, List<String> created) {
        for (Path d : missingDirectories(dir, root)) {
            try {
                Files.createDirectory(d);
                created.add(d.toString());
            } catch (IOException e) {
                throw new CgroupException("mkdir " + d + ": " + e.getMessage());
            }
        }
    }

    // tag::remove-cgroups[]
    /**
     * rmdir deepest first. The container's own directories (those with nothing of ours
     * below) are retried while their last processes exit. A parent is tried once: EBUSY
     * there means another container still uses it, and the last one out removes it.
     */
    static void removeDirectories(List<String> created, Set<String> alsoTry) {
        List<String> all = new ArrayList<>(created);
        for (String extra : alsoTry) if (!all.contains(extra)) all.add(extra);
        all.sort((a, b) -> b.length() - a.length());
        for (String dir : all) {
            boolean own = created.contains(dir)
                    && all.stream().noneMatch(d -> Path.of(d).startsWith(dir) && !d.equals(dir));
            int attempts = own ? 100 : 1;
            for (int i = 0; i < attempts && LibC.C.rmdir(dir) != 0
                    && Native.getLastError() == LibC.EBUSY; i++) {
                sleep(20);
            }
        }
    }
    // end::remove-cgroups[]

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The cgroup could not be made or limited; names the file and the value. */
    final class CgroupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public CgroupException(String message) {
            super(message);
        }
    }
}
