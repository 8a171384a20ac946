package jrunc.linux;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    private void apply(Spec.Resources r) {
        if (r.memory() != null) {
            Spec.Memory m = r.memory();
            set("memory.max", max(m.limit()), "memory.limit");
            set("memory.low", m.reservation(), "memory.reservation");
            if (m.swap() != null && m.limit() != null && m.swap() > 0) {
                // v1's swap counts memory+swap; v2's memory.swap.max counts swap alone.
                set("memory.swap.max", m.swap() - m.limit(), "memory.swap");
            } else if (m.swap() != null) {
                set("memory.swap.max", max(m.swap()), "memory.swap");
            }
            if (Boolean.TRUE.equals(m.disableOOMKiller())) {
                warnings.add("linux.resources.memory.disableOOMKiller is ignored: cgroup v2 has"
                        + " no switch for it");
            }
        }
        if (r.cpu() != null) {
            Spec.Cpu c = r.cpu();
            if (c.shares() != null && c.shares() > 0) {
                // runc's conversion: shares 2..262144 onto weight 1..10000.
                set("cpu.weight", 1 + ((c.shares() - 2) * 9999) / 262142, "cpu.shares");
            }
            if (c.quota() != null || c.period() != null) {
                long period = c.period() == null || c.period() == 0 ? 100000 : c.period();
                String quota = c.quota() == null || c.quota() <= 0 ? "max" : c.quota().toString();
                set("cpu.max", quota + " " + period, "cpu.quota");
            }
            set("cpuset.cpus", c.cpus(), "cpu.cpus");
            set("cpuset.mems", c.mems(), "cpu.mems");
        }
        if (r.pids() != null && r.pids().limit() != null) {
            set("pids.max", max(r.pids().limit()), "pids.limit");
        }
    }
    // end::v2-limits[]

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
