package jrunc.runtime;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jrunc.json.JsonBinder;
import jrunc.json.JsonException;
import jrunc.json.JsonWriter;
import jrunc.linux.Cgroups;
import jrunc.linux.LibC;
import jrunc.spec.Spec;
import jrunc.spec.SpecLoader;

/**
 * A container as the state directory ROOT/ID records it. Its status is never stored: it is
 * read from the kernel each time (is the init alive, is exec.fifo still there, is the
 * cgroup frozen), so a container whose init died says "stopped".
 */
public final class Container {
    public static final String ID_PATTERN = "[\\w+\\-.]+";
    final Path dir;
    private State state;
    /** The process "create" spawned (the init, or nsenter/unshare before it), or -1. */
    int child = -1;
    /** create's end of the socket the init sends the pty master over when run relays it, or -1. */
    int consoleReceiver = -1;

    Container(Path dir, State state) {
        this.dir = dir;
        this.state = state;
    }

    public static Path directory(Path root, String id) {
        if (!id.matches(ID_PATTERN) || id.equals(".") || id.equals("..")) {
            throw new JruncException("invalid container id " + id + ": use letters, digits"
                    + " and + - . _ only");
        }
        return root.resolve(id);
    }

    // tag::reserve[]
    /**
     * Makes ROOT/ID with its first state.json, both under an exclusive flock on ROOT: a
     * reader that takes the shared lock sees both or neither, so a directory without
     * state.json is one whose creator was killed between the two.
     */
    static Container reserve(Path root, State first) {
        Path dir = directory(root, first.id());
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new JruncException("create state root " + root + ": " + e.getMessage());
        }
        return underLock(root, LibC.LOCK_EX, () -> {
            try {
                Files.createDirectory(dir);
            } catch (FileAlreadyExistsException e) {
                throw new JruncException("container " + first.id() + " already exists (" + dir
                        + ")\n  hint: jrunc state " + first.id() + " tells what it is; a stopped"
                        + " one (a killed create leaves one) goes with jrunc delete " + first.id());
            } catch (IOException e) {
                throw new JruncException("create state directory " + dir + ": " + e.getMessage());
            }
            save(dir, first);
            return new Container(dir, first);
        });
    }
    // end::reserve[]

    public static Container load(Path root, String id) {
        Path dir = directory(root, id);
        State state = read(dir);
        if (state == null && Files.isDirectory(dir)) {
            state = underLock(root, LibC.LOCK_SH, () -> read(dir));
            if (state == null && Files.isDirectory(dir)) state = State.unrecorded(id);
        }
        if (state == null) {
            throw new JruncException("container " + id + " does not exist (no " + dir
                    + "/state.json)");
        }
        return new Container(dir, state);
    }

    /** state.json, or null if there is none. */
    private static State read(Path dir) {
        try {
            return JsonBinder.read(Files.readString(dir.resolve("state.json")), State.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | JsonException e) {
            throw new JruncException("read " + dir + "/state.json: " + e.getMessage());
        }
    }

    private static <T> T underLock(Path root, int operation, java.util.function.Supplier<T> action) {
        int fd = (int) LibC.check(LibC.C.open(root.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0),
                "open", root.toString());
        try {
            LibC.check(LibC.C.flock(fd, operation), "flock", root.toString());
            return action.get();
        } finally {
            LibC.C.close(fd); // releases the lock
        }
    }

    /** Ids of every container under root (every state directory), sorted. */
    public static List<String> ids(Path root) {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString())
                    .filter(id -> id.matches(ID_PATTERN) && !id.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new JruncException("list " + root + ": " + e.getMessage());
        }
    }

    /** The cgroups create is about to make, then those it made. */
    void recordCgroups(List<String> dirs) {
        record(state.withCgroups(dirs));
    }

    /** Before the init is told "go": from then on "delete" finds it. */
    void recordInit(int pid) {
        record(state.withInit(pid));
    }

    void recordCreated() {
        record(state.createdAt(java.time.Instant.now().toString()));
    }

    private void record(State next) {
        save(dir, next);
        state = next;
    }

    /** The state directory and everything in it. */
    void remove() {
        removeDirectory(dir);
    }

    public State state() {
        return state;
    }

    public String id() {
        return state.id();
    }

    public Path fifo() {
        return dir.resolve("exec.fifo");
    }

    // tag::status[]
    public String status() {
        if (state.isCreating()) {
            return Processes.isAlive(state.creatorPid(), state.creatorStartTime())
                    ? "creating" : "stopped"; // a killed create: its init exits on its own
        }
        if (!Processes.isAlive(state.pid(), state.startTime())) return "stopped";
        if (Files.exists(fifo())) return "created";
        return cgroups().isFrozen() ? "paused" : "running";
    }
    // end::status[]

    public Cgroups cgroups() {
        return Cgroups.of(state.cgroupsPath(), state.id(), state.cgroupsCreated());
    }

    /** The limits the cgroup has: the last update's, else config.json's (null: none). */
    public Spec.Resources resources() {
        if (state.resources() != null) return state.resources();
        Spec.Linux linux = spec().linux();
        return linux == null ? null : linux.resources();
    }

    void recordResources(Spec.Resources resources) {
        record(state.withResources(resources));
    }

    public Spec spec() {
        return SpecLoader.load(Path.of(state.bundle(), "config.json"));
    }

    /** The runtime-spec state JSON ("state ID" and hooks' stdin). */
    public String stateJson(String status) {
        return JsonWriter.compact(stateFields(status));
    }

    /** The same as fields, for "state" to add its own and print them pretty. */
    public Map<String, Object> stateFields(String status) {
        return stateFields(state.ociVersion(), state.id(), status.equals("stopped") ? 0 : state.pid(),
                status, state.bundle(), state.annotations());
    }

    static String stateJson(String ociVersion, String id, int pid, String status, String bundle,
            Map<String, String> annotations) {
        return JsonWriter.compact(stateFields(ociVersion, id, pid, status, bundle, annotations));
    }

    /** runtime-spec's state, in the key order runc writes it. */
    static Map<String, Object> stateFields(String ociVersion, String id, int pid, String status,
            String bundle, Map<String, String> annotations) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ociVersion", ociVersion == null ? "" : ociVersion);
        json.put("id", id);
        json.put("status", status);
        json.put("pid", pid);
        json.put("bundle", bundle);
        if (annotations != null && !annotations.isEmpty()) json.put("annotations", annotations);
        return json;
    }

    /** Writes state.json atomically: a reader never sees half of it. */
    private static void save(Path dir, State state) {
        try {
            Path tmp = dir.resolve("state.json.tmp");
            Files.writeString(tmp, JsonWriter.compact(state));
            Files.move(tmp, dir.resolve("state.json"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JruncException("write " + dir + "/state.json: " + e.getMessage());
        }
    }

    /**
     * SIGKILL to the creator of an unfinished create (its init and user namespace holder
     * then see EOF and exit), to the init and to everything left in the cgroup, then wait.
     */
    public void killAll() {
        if (state.isCreating() && Processes.isAlive(state.creatorPid(), state.creatorStartTime())) {
            LibC.C.kill(state.creatorPid(), LibC.SIGKILL);
        }
        Cgroups cgroups = cgroups();
        if (cgroups.isFrozen()) cgroups.freeze(false);
        if (Processes.isAlive(state.pid(), state.startTime())) LibC.C.kill(state.pid(), LibC.SIGKILL);
        for (int pid : cgroups.pids()) LibC.C.kill(pid, LibC.SIGKILL);
        for (int i = 0; i < 500 && Processes.isAlive(state.pid(), state.startTime()); i++) {
            sleep(10);
        }
        for (int i = 0; i < 500 && !cgroups.pids().isEmpty(); i++) {
            for (int pid : cgroups.pids()) LibC.C.kill(pid, LibC.SIGKILL);
            sleep(10);
        }
    }

    /**
     * Removes the cgroup, runs poststop hooks (of a container that was created), and removes
     * the state directory.
     */
    public void destroy(boolean runPoststop) {
        cgroups().destroy();
        RuntimeException unreadable = null;
        if (runPoststop && !state.isCreating() && state.bundle() != null) {
            try {
                Spec spec = spec();
                Hooks.runAllLoggingFailures(spec.hooks() == null ? null : spec.hooks().poststop(),
                        "poststop", stateJson("stopped"));
            } catch (RuntimeException e) {
                unreadable = e; // the container is gone either way; report after cleaning up
            }
        }
        removeDirectory(dir);
        if (unreadable != null) Log.warn(unreadable.getMessage());
    }

    static void removeDirectory(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // already gone
        } catch (DirectoryNotEmptyException e) {
            throw new JruncException("remove " + dir + ": not empty: " + e.getMessage());
        } catch (IOException e) {
            throw new JruncException("remove " + dir + ": " + e.getMessage());
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
