import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.jna.Memory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What the runtime remembers about one container between its commands: a directory
 * ROOT/ID holding state.json and, until start, exec.fifo. Every command is a new process;
 * this directory is all that links create, start, state, kill and delete.
 *
 * <p>The first six fields are the runtime-spec's state; the rest is step05's own: the init's
 * start time (to recognise the init, not a later process that got its PID), the cgroups path
 * and limits (so that delete can find and remove the cgroups create made).
 */
@JsonPropertyOrder({"ociVersion", "id", "status", "pid", "bundle", "annotations"})
@JsonInclude(JsonInclude.Include.NON_NULL)
// tag::state-record[]
record State(String ociVersion, String id,
        String status, int pid, String bundle,
        Map<String, String> annotations,
        // step05's own:
        String rootfs, String created, long startTime,
        String cgroupsPath, Long memory, Double cpus,
        Long pids) {
// end::state-record[]

    static final String CREATED = "created", RUNNING = "running", STOPPED = "stopped";

    /** The runtime-spec version this state (and step05's config.json) follows. */
    static final String OCI_VERSION = "1.0.2";

    /** The directory of container ID under ROOT. */
    static Path dir(Path root, String id) {
        return root.resolve(id);
    }

    static Path fifo(Path dir) {
        return dir.resolve("exec.fifo");
    }

    /** The state create wrote, or a clear error for an id nobody created. */
    static State load(Path root, String id) {
        Path file = dir(root, id).resolve("state.json");
        if (!Files.isRegularFile(file)) {
            throw new Run.CommandException(1, "container " + id + " does not exist (no "
                    + file + ")");
        }
        try {
            return Bundle.JSON.readValue(file.toFile(), State.class);
        } catch (IOException e) {
            throw new Run.CommandException(1, file + ": unreadable: " + e.getMessage());
        }
    }

    /** Written to a new file, then renamed: a reader never sees half a state. */
    void save(Path root) {
        Path dir = dir(root, id);
        try {
            Path temporary = dir.resolve("state.json.new");
            Files.write(temporary, Bundle.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(this));
            Files.move(temporary, dir.resolve("state.json"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("write " + dir.resolve("state.json"), e);
        }
    }

    /** Once the init exists: its PID, and its start time. */
    State withInit(int initPid) {
        ProcStat stat = ProcStat.of(initPid);
        if (stat == null) {
            throw new IllegalStateException("the init, PID " + initPid + ", has exited");
        }
        return new State(ociVersion, id, status, initPid, bundle, annotations, rootfs,
                created, stat.startTime(), cgroupsPath, memory, cpus, pids);
    }

    State withStatus(String newStatus) {
        return new State(ociVersion, id, newStatus, pid, bundle, annotations, rootfs, created,
                startTime, cgroupsPath, memory, cpus, pids);
    }

    // tag::live-status[]
    /**
     * The init gone, another process with its PID, or exited
     * (a zombie): stopped. exec.fifo still there: created
     * (start removes it). Else running.
     */
    String liveStatus(Path root) {
        ProcStat stat = ProcStat.of(pid);
        if (stat == null || stat.startTime() != startTime
                || stat.isZombie() && exited(pid)) {
            return STOPPED;
        }
        boolean waiting = Files.exists(fifo(dir(root, id)));
        return waiting ? CREATED : RUNNING;
    }
    // end::live-status[]

    /**
     * A zombie PID is not always a dead process: while a JVM execs from a thread that is not
     * its first (Java's main thread is not), the first thread is a zombie until the exec'ing
     * thread takes over its PID. A pidfd polls readable only once the whole process has
     * exited.
     */
    static boolean exited(int pid) {
        int pidfd = (int) LibC.C.syscall(LibC.Syscall.pidfd_open.number(), pid, 0, null, 0);
        if (pidfd == -1) return true;
        try {
            return hasExited(pidfd, 0);
        } finally {
            LibC.C.close(pidfd);
        }
    }

    /** poll(2) a pidfd, waiting up to timeoutMillis: readable once the process exited. */
    static boolean hasExited(int pidfd, int timeoutMillis) {
        Memory pollfd = new Memory(LibC.POLLFD_BYTES);
        pollfd.clear();
        pollfd.setInt(0, pidfd);
        pollfd.setShort(4, LibC.POLLIN);
        return LibC.C.poll(pollfd, 1, timeoutMillis) == 1;
    }

    /** The runtime-spec's state document, as `state` prints it (pid 0 once stopped). */
    String toJson(String liveStatus) {
        try {
            var node = Bundle.JSON.createObjectNode();
            node.put("ociVersion", ociVersion).put("id", id).put("status", liveStatus)
                    .put("pid", liveStatus.equals(STOPPED) ? 0 : pid).put("bundle", bundle)
                    .put("rootfs", rootfs).put("created", created);
            node.set("annotations", Bundle.JSON.valueToTree(annotations));
            return Bundle.JSON.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes ROOT/ID and what it holds (state.json, exec.fifo): a few plain files. */
    static void removeDir(Path root, String id) {
        Path dir = dir(root, id);
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("remove " + dir, e);
        }
    }

    // tag::proc-stat[]
    /** Two fields of /proc/PID/stat: 3 (state) and 22 (start time). */
    record ProcStat(char state, long startTime) {
        boolean isZombie() {
            return state == 'Z' || state == 'X';
        }

        static ProcStat of(int pid) {
            String stat;
            try {
                stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            } catch (IOException gone) {
                return null;
            }
            // "PID (COMM) S ...": COMM may hold spaces and ")".
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2)
                    .split(" ");
            return new ProcStat(fields[0].charAt(0),
                    Long.parseLong(fields[22 - 3]));
        }
    }
    // end::proc-stat[]
}
