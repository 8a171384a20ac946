package jrunc.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.spec.Spec;

/** cgroup v1: one directory per hierarchy (/sys/fs/cgroup/memory/PATH, .../pids/PATH, …). */
final class CgroupsV1 implements Cgroups {
    private final String path;
    private final List<String> created;
    private final List<String> warnings = new ArrayList<>();
    /** hierarchy name (mount point's last part, e.g. "memory") → its root directory. */
    private final Map<String, Path> hierarchies = hierarchies();

    CgroupsV1(String path, List<String> created) {
        this.path = path;
        this.created = new ArrayList<>(created);
    }

    /** The v1 hierarchies mounted on the host, from mountinfo (cgroup2 "unified" is skipped). */
    static Map<String, Path> hierarchies() {
        Map<String, Path> found = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] halves = line.split(" - ", 2);
                String[] fields = halves[0].split(" ");
                String[] after = halves[1].split(" ");
                if (after[0].equals("cgroup") && fields[3].equals("/")) {
                    Path mountPoint = Path.of(fields[4]);
                    found.putIfAbsent(mountPoint.getFileName().toString(), mountPoint);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    /** The hierarchy's directory of this cgroup; "cpu" is found in a "cpu,cpuacct" mount too. */
    @Override
    public Path directory(String hierarchy) {
        Path root = hierarchies.get(hierarchy);
        for (var h : hierarchies.entrySet()) {
            if (root == null && List.of(h.getKey().split(",")).contains(hierarchy)) root = h.getValue();
        }
        return root == null ? null : root.resolve(path.substring(1));
    }

    @Override
    public List<String> missing() {
        List<String> missing = new ArrayList<>();
        for (Path root : hierarchies.values()) {
            Cgroups.missingDirectories(root.resolve(path.substring(1)), root)
                    .forEach(d -> missing.add(d.toString()));
        }
        return missing;
    }

    @Override
    public void create(Spec.Resources resources) {
        for (var h : hierarchies.entrySet()) {
            Path dir = h.getValue().resolve(path.substring(1));
            Cgroups.makeDirectories(dir, h.getValue(), created);
            if (h.getKey().equals("cpuset")) inheritCpuset(dir, h.getValue());
        }
        if (resources != null) apply(resources);
        applyDevices(resources == null ? null : resources.devices());
    }

    /** A new cpuset starts with no CPUs and no memory nodes: nothing could join it. */
    private static void inheritCpuset(Path dir, Path root) {
        List<Path> chain = new ArrayList<>();
        for (Path d = dir; !d.equals(root); d = d.getParent()) chain.add(0, d);
        for (Path d : chain) {
            for (String file : List.of("cpuset.cpus", "cpuset.mems")) {
                if (Cgroups.read(d.resolve(file)).isEmpty()) {
                    Cgroups.write(d.resolve(file), Cgroups.read(d.getParent().resolve(file)), null);
                }
            }
        }
    }

    // tag::v1-limits[]
    /** Writes the limits that are set; 0 means "not set" (runc), except for swappiness. */
    private void apply(Spec.Resources r) {
        if (r.memory() != null) {
            Spec.Memory m = r.memory();
            setMemoryAndSwap(given(m.limit()), given(m.swap()));
            set("memory", "memory.soft_limit_in_bytes", given(m.reservation()), "memory.reservation");
            set("memory", "memory.swappiness", m.swappiness(), "memory.swappiness");
            if (Boolean.TRUE.equals(m.disableOOMKiller())) {
                set("memory", "memory.oom_control", 1L, "memory.disableOOMKiller");
            }
        }
        if (r.cpu() != null) {
            Spec.Cpu c = r.cpu();
            set("cpu", "cpu.shares", given(c.shares()), "cpu.shares");
            set("cpu", "cpu.cfs_period_us", given(c.period()), "cpu.period");
            set("cpu", "cpu.cfs_quota_us", given(c.quota()), "cpu.quota");
            set("cpuset", "cpuset.cpus", c.cpus(), "cpu.cpus");
            set("cpuset", "cpuset.mems", c.mems(), "cpu.mems");
        }
        if (r.pids() != null && given(r.pids().limit()) != null) {
            long limit = r.pids().limit();
            set("pids", "pids.max", limit > 0 ? Long.toString(limit) : "max", "pids.limit");
        }
    }
    // end::v1-limits[]

    static Long given(Long value) {
        return value == null || value == 0 ? null : value;
    }

    /**
     * The kernel keeps memory.limit_in_bytes at most memory.memsw.limit_in_bytes at every
     * moment, so raising both writes the swap limit first. -1 for memory alone lifts swap too.
     */
    private void setMemoryAndSwap(Long limit, Long swap) {
        Path dir = directory("memory");
        boolean hasSwap = dir != null && Files.exists(dir.resolve("memory.memsw.limit_in_bytes"));
        if (limit != null && limit == -1 && swap == null && hasSwap) swap = -1L;
        boolean swapFirst = limit != null && swap != null && (swap == -1
                || Long.parseLong(Cgroups.read(dir.resolve("memory.limit_in_bytes"))) < swap);
        if (swapFirst) set("memory", "memory.memsw.limit_in_bytes", swap, "memory.swap");
        set("memory", "memory.limit_in_bytes", limit, "memory.limit");
        if (!swapFirst) set("memory", "memory.memsw.limit_in_bytes", swap, "memory.swap");
    }

    private void set(String hierarchy, String file, Object value, String field) {
        if (value == null || value instanceof String s && s.isEmpty()) return;
        Path dir = directory(hierarchy);
        if (dir == null) {
            throw new CgroupException("linux.resources." + field + ": the " + hierarchy
                    + " controller is not mounted on this host");
        }
        String text = value instanceof Long n && n == -1 ? "-1" : value.toString();
        Cgroups.write(dir.resolve(file), text, "linux.resources." + field);
    }

    @Override
    public void update(Spec.Resources changed) {
        apply(changed);
    }

    /** runc's "events --stats" data from the v1 files (times in nanoseconds). */
    @Override
    public Map<String, Object> stats() {
        Map<String, Object> cpu = new LinkedHashMap<>();
        Path acct = directory("cpuacct");
        if (acct != null) {
            Map<String, Long> ticks = CgroupStats.keyed(acct.resolve("cpuacct.stat"));
            cpu.put("usage", CgroupStats.object("total?", CgroupStats.number(acct.resolve("cpuacct.usage")),
                    "percpu?", CgroupStats.numbers(acct.resolve("cpuacct.usage_percpu")),
                    "kernel", ticks.getOrDefault("system", 0L) * CgroupStats.NANOS_PER_TICK,
                    "user", ticks.getOrDefault("user", 0L) * CgroupStats.NANOS_PER_TICK));
        }
        if (directory("cpu") != null) {
            cpu.put("throttling", CgroupStats.throttling(CgroupStats.keyed(directory("cpu").resolve("cpu.stat"))));
        }
        Path mem = directory("memory");
        Map<String, Long> raw = mem == null ? Map.of() : CgroupStats.keyed(mem.resolve("memory.stat"));
        Map<String, Object> memory = mem == null ? Map.of() : CgroupStats.object(
                "cache?", raw.getOrDefault("cache", 0L), "usage", memoryEntry(mem, "memory."),
                "swap", memoryEntry(mem, "memory.memsw."), "raw", raw);
        Path pids = directory("pids");
        Map<String, Object> pidStats = pids == null ? Map.of() : CgroupStats.object(
                "current?", CgroupStats.number(pids.resolve("pids.current")),
                "limit?", CgroupStats.number(pids.resolve("pids.max")));
        Path blkio = directory("blkio");
        Map<String, Object> io = blkio == null ? Map.of() : CgroupStats.object("ioServiceBytesRecursive?",
                CgroupStats.blkioEntries(blkio.resolve("blkio.throttle.io_service_bytes_recursive")),
                "ioServicedRecursive?",
                CgroupStats.blkioEntries(blkio.resolve("blkio.throttle.io_serviced_recursive")));
        return CgroupStats.object("cpu", cpu, "memory", memory, "pids", pidStats, "blkio", io);
    }

    private static Map<String, Object> memoryEntry(Path dir, String prefix) {
        return CgroupStats.object("limit", CgroupStats.number(dir.resolve(prefix + "limit_in_bytes")),
                "usage?", CgroupStats.number(dir.resolve(prefix + "usage_in_bytes")),
                "max?", CgroupStats.number(dir.resolve(prefix + "max_usage_in_bytes")),
                "failcnt", CgroupStats.number(dir.resolve(prefix + "failcnt")));
    }

    // tag::v1-devices[]
    /**
     * The devices controller: "a" in devices.deny first (a new cgroup allows everything), then
     * each rule into devices.allow or devices.deny; the kernel keeps the resulting list.
     */
    private void applyDevices(List<Spec.DeviceRule> fromSpec) {
        Path dir = directory("devices");
        if (dir == null) {
            throw new CgroupException("linux.resources.devices: the devices controller is not"
                    + " mounted on this host, and jrunc does not run a container without"
                    + " device rules");
        }
        Cgroups.write(dir.resolve("devices.deny"), "a", "linux.resources.devices");
        for (DeviceRules.Rule rule : DeviceRules.forContainer(fromSpec)) {
            String file = rule.allow() ? "devices.allow" : "devices.deny";
            Cgroups.write(dir.resolve(file), rule.cgroupV1(), "linux.resources.devices");
        }
    }
    // end::v1-devices[]

    @Override
    public void join(int pid) {
        for (String hierarchy : hierarchies.keySet()) {
            Cgroups.write(directory(hierarchy).resolve("cgroup.procs"), Integer.toString(pid), null);
        }
    }

    @Override
    public List<Integer> pids() {
        Path procs = directory("pids") != null ? directory("pids") : directory("memory");
        List<Integer> pids = new ArrayList<>();
        if (procs == null || !Files.exists(procs)) return pids;
        for (String line : Cgroups.read(procs.resolve("cgroup.procs")).split("\n")) {
            if (!line.isBlank()) pids.add(Integer.parseInt(line.trim()));
        }
        return pids;
    }

    @Override
    public void freeze(boolean frozen) {
        Path dir = directory("freezer");
        if (dir == null) throw new CgroupException("pause: no freezer hierarchy on this host");
        Cgroups.write(dir.resolve("freezer.state"), frozen ? "FROZEN" : "THAWED", null);
        for (int i = 0; i < 500 && isFrozen() != frozen; i++) Cgroups.sleep(2);
    }

    @Override
    public boolean isFrozen() {
        Path dir = directory("freezer");
        return dir != null && Files.exists(dir)
                && Cgroups.read(dir.resolve("freezer.state")).equals("FROZEN");
    }

    @Override
    public void destroy() {
        Set<String> defaultParents = new java.util.HashSet<>();
        if (path.startsWith(DEFAULT_PARENT + "/")) {
            for (Path root : hierarchies.values()) {
                defaultParents.add(root.resolve(DEFAULT_PARENT.substring(1)).toString());
            }
        }
        Cgroups.removeDirectories(created, defaultParents);
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
