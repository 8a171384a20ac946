import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One container's cgroups: a directory per container in a cgroup file system, whose files set
 * limits the kernel enforces for every process inside. Two drivers implement this, one per
 * kernel interface: {@link CgroupV1} (a hierarchy per controller) and {@link CgroupV2} (one
 * hierarchy). {@link #forContainer} looks at what the host mounted and picks one.
 *
 * <p>The order of use is the lifecycle: create, join, (the container runs), counters, remove.
 */
interface Cgroups {
    // tag::interface[]
    /** mkdir the container's cgroup(s), write the limits. */
    void create();

    /** Move a whole process, all its threads, inside. */
    void join(long pid);

    /** What the kernel counted: OOM kills, refused forks,
     *  throttled periods. */
    List<String> counters();

    /** Kill whatever is left inside, then rmdir. */
    void remove();
    // end::interface[]

    /**
     * For a later process (delete): take over the cgroups an
     * earlier create made, found again at {@link #paths()}.
     */
    void adopt();

    /** For --verbose: which driver, and where its cgroups live. */
    String describe();

    /** The cgroup directories this container uses (one per hierarchy). */
    List<Path> paths();

    /**
     * The limits a user asked for; null means "no limit". Each limit needs one controller, and
     * only the controllers of limits that were asked for are used.
     */
    record Limits(Long memoryBytes, Double cpus, Long pids) {
        static final Limits NONE = new Limits(null, null, null);

        /** The controllers these limits need, named as the kernel names them. */
        List<String> controllers() {
            List<String> names = new ArrayList<>();
            if (memoryBytes != null) names.add("memory");
            if (cpus != null) names.add("cpu");
            if (pids != null) names.add("pids");
            return names;
        }

        Limits withMemory(Long bytes) {
            return new Limits(bytes, cpus, pids);
        }

        Limits withCpus(Double fraction) {
            return new Limits(memoryBytes, fraction, pids);
        }

        Limits withPids(Long max) {
            return new Limits(memoryBytes, cpus, max);
        }
    }

    /** The CFS scheduler period every quota is a share of: 100 ms, the kernel's default. */
    long CPU_PERIOD_MICROS = 100_000;

    /** The kernel refuses quotas under 1 ms (EINVAL). */
    long CPU_MIN_QUOTA_MICROS = 1_000;

    /** Below this a JVM init cannot even finish its own last steps; docker says the same. */
    long MEMORY_MIN_BYTES = 6L << 20;

    // tag::parse-size[]
    /** Docker-style sizes: 4096, 512k, 64m, 1g (k = 1024). */
    static long parseSize(String option, String text) {
        Matcher m = Pattern.compile("([0-9]{1,15})([bkmg]?)")
                .matcher(text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " "
                    + text + ": not a size; use bytes or a"
                    + " number with k, m or g,"
                    + " e.g. 512k, 64m, 1g");
        }
        String unit = m.group(2).isEmpty() ? "b" : m.group(2);
        int shift = "bkmg".indexOf(unit) * 10;
        return Long.parseLong(m.group(1)) << shift;
    }
    // end::parse-size[]

    static long parseMemory(String text) {
        long bytes = parseSize("--memory", text);
        if (bytes < MEMORY_MIN_BYTES) {
            throw new IllegalArgumentException("--memory " + text + ": too small; at least 6m"
                    + " (the init JVM and the command must fit)");
        }
        return bytes;
    }

    /** A fraction of one CPU, 0.01 up to the number of CPUs of this machine. */
    static double parseCpus(String text) {
        double cpus;
        try {
            cpus = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            cpus = Double.NaN;
        }
        int online = Runtime.getRuntime().availableProcessors();
        if (!(cpus * CPU_PERIOD_MICROS >= CPU_MIN_QUOTA_MICROS) || cpus > online) {
            throw new IllegalArgumentException("--cpus " + text + ": not a CPU share; use a"
                    + " number from 0.01 (1 ms per 100 ms) to " + online
                    + " (all CPUs), e.g. 0.5 for half a CPU");
        }
        return cpus;
    }

    /** The most tasks (processes and threads) the container may hold at once. */
    static long parsePids(String text) {
        if (!text.matches("[1-9][0-9]{0,6}")) {
            throw new IllegalArgumentException("--pids " + text + ": not a number of"
                    + " processes; use a whole number from 1, e.g. 64");
        }
        return Long.parseLong(text);
    }

    /** The CFS quota for a share of a CPU: 0.5 is 50 ms per 100 ms period. */
    static long cpuQuotaMicros(double cpus) {
        return Math.round(cpus * CPU_PERIOD_MICROS);
    }

    // tag::layout[]
    /** How the host mounted its cgroups (see mountinfo). */
    enum Layout {
        /** Only v1: one hierarchy per controller. */
        V1,
        /** v1 controllers, plus an (almost empty) cgroup2. */
        HYBRID,
        /** Only cgroup2, one hierarchy for everything. */
        V2
    }
    // end::layout[]

    /** A cgroup file system mount: "cgroup" (v1, with its controllers) or "cgroup2". */
    record Mount(Path mountPoint, String type, Set<String> controllers) {}

    /**
     * The cgroup mounts in mountinfo. A line reads "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS
     * [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS"; a v1 hierarchy's controllers are among its
     * super options ("rw,memory" or "rw,cpu,cpuacct").
     */
    static List<Mount> cgroupMounts(String mountinfo) {
        List<Mount> mounts = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            String[] halves = line.split(" - ", 2);
            if (halves.length < 2) continue;
            String[] before = halves[0].split(" ");
            String[] after = halves[1].split(" ");
            if (before.length < 5 || after.length < 3) continue;
            if (!after[0].equals("cgroup") && !after[0].equals("cgroup2")) continue;
            Set<String> controllers = new java.util.TreeSet<>(List.of(after[2].split(",")));
            controllers.retainAll(Set.of("memory", "cpu", "cpuacct", "cpuset", "pids",
                    "blkio", "devices", "freezer", "hugetlb", "net_cls", "perf_event"));
            String mountPoint = before[4].replace("\\040", " ");
            mounts.add(new Mount(Path.of(mountPoint), after[0], controllers));
        }
        return mounts;
    }

    static Layout layout(List<Mount> mounts) {
        boolean v1 = mounts.stream().anyMatch(m -> m.type().equals("cgroup")
                && !m.controllers().isEmpty());
        boolean v2 = mounts.stream().anyMatch(m -> m.type().equals("cgroup2"));
        if (v1) return v2 ? Layout.HYBRID : Layout.V1;
        if (v2) return Layout.V2;
        throw new IllegalStateException("no cgroup file system is mounted (none in"
                + " /proc/self/mountinfo)\n  hint: mount -t cgroup2 none /sys/fs/cgroup");
    }

    // tag::choose-driver[]
    /** The driver that fits the host, for PARENT/ID. */
    static Cgroups forContainer(String parent, String id,
            Limits limits, Consumer<String> say) {
        List<Mount> mounts = cgroupMounts(
                read(Path.of("/proc/self/mountinfo")));
        Layout layout = layout(mounts);
        if (layout == Layout.V2) {
            Path root = mounts.stream()
                    .filter(m -> m.type().equals("cgroup2"))
                    .findFirst().orElseThrow().mountPoint();
            return new CgroupV2(root, parent, id, limits, say);
        }
        // Hybrid is v1: its cgroup2 has no controller we use.
        Map<String, Path> roots = new LinkedHashMap<>();
        for (Mount m : mounts) {
            if (!m.type().equals("cgroup")) continue;
            m.controllers().forEach(
                    c -> roots.put(c, m.mountPoint()));
        }
        return new CgroupV1(layout, roots, parent, id, limits,
                say);
    }
    // end::choose-driver[]

    // The file system calls both drivers make. They go through LibC so errors carry errno.

    /** Writes one setting; the kernel checks it at write(2) time and answers with errno. */
    static void write(Path file, String value, java.util.function.IntFunction<String> hint) {
        String path = file.toString();
        int fd = LibC.C.open(path, LibC.O_WRONLY | LibC.O_CLOEXEC);
        LibC.check(fd, "open", path, hint);
        try {
            byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
            LibC.check(LibC.C.write(fd, bytes, bytes.length), "write " + value + " to", path, hint);
        } finally {
            LibC.C.close(fd);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("read " + file, e);
        }
    }

    /** One "key value" line of a flat-keyed file such as memory.events or cpu.stat. */
    static long keyedValue(Path file, String key) {
        for (String line : read(file).split("\n")) {
            String[] kv = line.split(" ");
            if (kv.length == 2 && kv[0].equals(key)) return Long.parseLong(kv[1]);
        }
        return 0;
    }

    /** mkdir unless it exists; true when this call created it. */
    static boolean mkdir(Path dir) {
        if (LibC.C.mkdir(dir.toString(), 0755) == 0) return true;
        int errno = com.sun.jna.Native.getLastError();
        if (errno == LibC.EEXIST) return false;
        throw new LibC.SyscallException("mkdir", dir.toString(), errno,
                errno == LibC.ENOENT ? "its parent does not exist: is the cgroup file system"
                        + " mounted there?" : null);
    }

    /** The PIDs in a cgroup (cgroup.procs lists each process once, by its thread group). */
    static List<Integer> pids(Path cgroup) {
        List<Integer> pids = new ArrayList<>();
        for (String line : read(cgroup.resolve("cgroup.procs")).split("\n")) {
            if (!line.isBlank()) pids.add(Integer.parseInt(line.trim()));
        }
        return pids;
    }

    /**
     * rmdir, retrying EBUSY for a few seconds: a killed process leaves its cgroup only once the
     * kernel has finished tearing it down, which may take a moment after SIGKILL.
     */
    static void rmdir(Path dir) {
        for (int attempt = 0; ; attempt++) {
            if (LibC.C.rmdir(dir.toString()) == 0) return;
            int errno = com.sun.jna.Native.getLastError();
            if (errno == LibC.ENOENT) return;
            if (errno != LibC.EBUSY || attempt == 100) {
                throw new LibC.SyscallException("rmdir", dir.toString(), errno,
                        errno == LibC.EBUSY ? "processes or child cgroups are still inside: "
                                + pids(dir) : null);
            }
            sleep(50);
        }
    }

    /** rmdir a parent if nothing else lives in it; another container's cgroup keeps it. */
    static void rmdirIfEmpty(Path dir) {
        if (LibC.C.rmdir(dir.toString()) == 0) return;
        int errno = com.sun.jna.Native.getLastError();
        if (errno != LibC.ENOENT && errno != LibC.EBUSY && errno != LibC.ENOTEMPTY) {
            throw new LibC.SyscallException("rmdir", dir.toString(), errno, null);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
