package jrunc.linux;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.spec.Spec;

/** cgroup v2: one directory under /sys/fs/cgroup; controllers enabled top-down. */
final class CgroupsV2 implements Cgroups {
    static final Path ROOT = Path.of("/sys/fs/cgroup");
    private final Path dir;
    private final String path;
    private final List<String> created;
    private final List<String> warnings = new ArrayList<>();

    CgroupsV2(String path, List<String> created) {
        this.path = path;
        this.dir = ROOT.resolve(path.substring(1));
        this.created = new ArrayList<>(created);
    }

    @Override
    public Path directory(String controller) {
        return dir;
    }

    @Override
    public List<String> missing() {
        return Cgroups.missingDirectories(dir, ROOT).stream().map(Path::toString).toList();
    }

    @Override
    public void create(Spec.Resources resources) {
        Cgroups.makeDirectories(dir, ROOT, created);
        enableControllers();
        if (resources != null) apply(resources);
        // tag::v2-devices[]
        // No devices controller on v2: an eBPF program attached to the cgroup decides.
        var rules = DeviceRules.forContainer(resources == null ? null : resources.devices());
        DeviceFilter.attach(DeviceRules.Policy.of(rules), dir);
        // end::v2-devices[]
    }

    /**
     * A child can only use a controller that its parent lists in cgroup.subtree_control, and
     * each ancestor must enable it for the next. (A cgroup that enables controllers for its
     * children may not hold processes itself: the container's own cgroup is a leaf.)
     */
    private void enableControllers() {
        List<Path> ancestors = new ArrayList<>();
        for (Path d = dir.getParent(); d != null && d.startsWith(ROOT); d = d.getParent()) {
            ancestors.add(0, d);
        }
        for (Path d : ancestors) {
            String available = Cgroups.read(d.resolve("cgroup.controllers"));
            StringBuilder enable = new StringBuilder();
            for (String c : List.of("cpu", "cpuset", "memory", "pids")) {
                if ((" " + available + " ").contains(" " + c + " ")) enable.append(" +").append(c);
            }
            if (enable.length() > 0) {
                Cgroups.write(d.resolve("cgroup.subtree_control"), enable.toString().trim(), null);
            }
        }
    }

    // tag::v2-limits[]
    /** Writes the limits that are set; 0 means "not set" (runc). */
    private void apply(Spec.Resources r) {
        if (r.memory() != null) {
            Spec.Memory m = r.memory();
            Long limit = CgroupsV1.given(m.limit()), swap = CgroupsV1.given(m.swap());
            set("memory.max", max(limit), "memory.limit");
            set("memory.low", CgroupsV1.given(m.reservation()), "memory.reservation");
            set("memory.swap.max", swapMax(limit, swap), "memory.swap");
            if (Boolean.TRUE.equals(m.disableOOMKiller())) {
                warnings.add("linux.resources.memory.disableOOMKiller is ignored: cgroup v2 has"
                        + " no switch for it");
            }
        }
        if (r.cpu() != null) {
            Spec.Cpu c = r.cpu();
            if (CgroupsV1.given(c.shares()) != null) {
                set("cpu.weight", weight(c.shares()), "cpu.shares");
            }
            Long quota = CgroupsV1.given(c.quota()), period = CgroupsV1.given(c.period());
            if (quota != null || period != null) {
                set("cpu.max", (quota == null || quota < 0 ? "max" : quota.toString()) + " "
                        + (period == null ? 100000 : period), "cpu.quota");
            }
            set("cpuset.cpus", c.cpus(), "cpu.cpus");
            set("cpuset.mems", c.mems(), "cpu.mems");
        }
        if (r.pids() != null && CgroupsV1.given(r.pids().limit()) != null) {
            set("pids.max", max(r.pids().limit()), "pids.limit");
        }
    }
    // end::v2-limits[]

    /** runc's conversion: shares 2..262144 onto weight 1..10000. */
    static long weight(long shares) {
        return 1 + ((shares - 2) * 9999) / 262142;
    }

    /** v1's swap counts memory+swap; v2's memory.swap.max counts swap alone. */
    static String swapMax(Long limit, Long swap) {
        if (swap == null) return null;
        if (swap == -1) return "max";
        if (limit == null || limit == -1) {
            throw new CgroupException("linux.resources.memory.swap: " + swap + " needs"
                    + " memory.limit too on cgroup v2 (memory.swap.max counts swap alone)");
        }
        return Long.toString(swap - limit);
    }

    private static String max(Long value) {
        return value == null ? null : value <= 0 ? "max" : value.toString();
    }

    private void set(String file, Object value, String field) {
        if (value == null || value instanceof String s && s.isEmpty()) return;
        if (!Files.exists(dir.resolve(file))) {
            throw new CgroupException("linux.resources." + field + ": " + dir.resolve(file)
                    + " does not exist (is its controller enabled in the parent's"
                    + " cgroup.subtree_control?)");
        }
        Cgroups.write(dir.resolve(file), value.toString(), "linux.resources." + field);
    }

    @Override
    public void update(Spec.Resources changed) {
        apply(changed);
    }

    /** runc's "events --stats" data from the v2 files (times in nanoseconds). */
    @Override
    public Map<String, Object> stats() {
        Map<String, Long> cpuStat = CgroupStats.keyed(dir.resolve("cpu.stat"));
        Map<String, Object> cpu = CgroupStats.object(
                "usage", CgroupStats.object("total?", cpuStat.getOrDefault("usage_usec", 0L) * 1000,
                        "kernel", cpuStat.getOrDefault("system_usec", 0L) * 1000,
                        "user", cpuStat.getOrDefault("user_usec", 0L) * 1000),
                "throttling", CgroupStats.throttling(cpuStat));
        long usage = CgroupStats.number(dir.resolve("memory.current"));
        Map<String, Long> events = CgroupStats.keyed(dir.resolve("memory.events"));
        Map<String, Long> raw = CgroupStats.keyed(dir.resolve("memory.stat"));
        Map<String, Object> memory = CgroupStats.object("cache?", raw.getOrDefault("file", 0L),
                "usage", CgroupStats.object("limit", limit("memory.max"), "usage?", usage,
                        "max?", CgroupStats.number(dir.resolve("memory.peak")),
                        "failcnt", events.getOrDefault("max", 0L)),
                // As runc: v1's memsw counted memory plus swap, so swap usage adds them up.
                "swap", CgroupStats.object("limit", limit("memory.swap.max"),
                        "usage?", usage + CgroupStats.number(dir.resolve("memory.swap.current")),
                        "failcnt", 0L),
                "raw", raw);
        Map<String, Object> pids = CgroupStats.object(
                "current?", CgroupStats.number(dir.resolve("pids.current")),
                "limit?", CgroupStats.number(dir.resolve("pids.max")));
        return CgroupStats.object("cpu", cpu, "memory", memory, "pids", pids, "blkio", Map.of());
    }

    /** A limit file; "max" is printed as the largest uint64, as runc prints it. */
    private Object limit(String file) {
        Path f = dir.resolve(file);
        return Files.exists(f) && Cgroups.read(f).equals("max")
                ? new java.math.BigInteger("18446744073709551615") : CgroupStats.number(f);
    }

    @Override
    public void join(int pid) {
        Cgroups.write(dir.resolve("cgroup.procs"), Integer.toString(pid), null);
    }

    @Override
    public List<Integer> pids() {
        List<Integer> pids = new ArrayList<>();
        if (!Files.exists(dir)) return pids;
        for (String line : Cgroups.read(dir.resolve("cgroup.procs")).split("\n")) {
            if (!line.isBlank()) pids.add(Integer.parseInt(line.trim()));
        }
        return pids;
    }

    @Override
    public void freeze(boolean frozen) {
        Cgroups.write(dir.resolve("cgroup.freeze"), frozen ? "1" : "0", null);
        for (int i = 0; i < 500 && isFrozen() != frozen; i++) Cgroups.sleep(2);
    }

    @Override
    public boolean isFrozen() {
        if (!Files.exists(dir.resolve("cgroup.events"))) return false;
        return Cgroups.read(dir.resolve("cgroup.events")).contains("frozen 1");
    }

    @Override
    public void destroy() {
        Set<String> defaultParent = path.startsWith(DEFAULT_PARENT + "/")
                ? Set.of(ROOT.resolve(DEFAULT_PARENT.substring(1)).toString()) : Set.of();
        Cgroups.removeDirectories(created, defaultParent);
    }

    @Override
    public List<String> created() {
        return List.copyOf(created);
    }

    @Override
    public List<String> warnings() {
        return warnings;
    }
}
