import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * cgroup v1: every controller is its own hierarchy, mounted at its own directory
 * (/sys/fs/cgroup/memory, /sys/fs/cgroup/cpu, ...; some hosts mount cpu and cpuacct together
 * at /sys/fs/cgroup/cpu,cpuacct). A container therefore has one cgroup per controller, all with
 * the same relative path, and a process is placed in each of them separately.
 */
final class CgroupV1 implements Cgroups {
    private final Cgroups.Layout layout;
    private final Limits limits;
    private final Consumer<String> say;
    /** controller -> the container's cgroup directory in that controller's hierarchy. */
    private final Map<String, Path> cgroups = new LinkedHashMap<>();
    /** Memory plus swap; missing when the kernel does not account swap (swapaccount=0). */
    static final String MEMSW = "memory.memsw.limit_in_bytes";

    /** The cgroups this run created, in order. */
    private final List<Path> created = new ArrayList<>();

    CgroupV1(Cgroups.Layout layout, Map<String, Path> hierarchyRoots, String parent, String id,
            Limits limits, Consumer<String> say) {
        this.layout = layout;
        this.limits = limits;
        this.say = say;
        for (String controller : limits.controllers()) {
            Path root = hierarchyRoots.get(controller);
            if (root == null) {
                throw new IllegalStateException("cgroup v1 controller " + controller
                        + " is not mounted (mounted: " + hierarchyRoots.keySet() + ")"
                        + "\n  hint: its limit needs it; mount it with: mkdir -p"
                        + " /sys/fs/cgroup/" + controller + " && mount -t cgroup -o "
                        + controller + " cgroup /sys/fs/cgroup/" + controller);
            }
            // An absolute path under the hierarchy's root, never relative to our own cgroup.
            cgroups.put(controller, root.resolve(parent).resolve(id));
        }
    }

    @Override
    public String describe() {
        return "cgroup driver v1 (host layout " + layout.name().toLowerCase() + "): "
                + (cgroups.isEmpty() ? "no limits, no cgroups" : cgroups.values());
    }

    @Override
    public List<Path> paths() {
        return List.copyOf(cgroups.values());
    }

    @Override
    public void create() {
        for (Path cgroup : cgroups.values()) {
            if (created.contains(cgroup)) continue; // cpu and cpuacct may share a hierarchy
            Cgroups.mkdir(cgroup.getParent());
            if (!Cgroups.mkdir(cgroup)) {
                throw new IllegalStateException("cgroup " + cgroup + " already exists"
                        + "\n  hint: a container with this id is running, or a crashed run"
                        + " left it: rmdir " + cgroup);
            }
            created.add(cgroup);
            say.accept("mkdir " + cgroup);
        }
        // tag::v1-memory[]
        if (limits.memoryBytes() != null) {
            Path memory = cgroups.get("memory");
            String bytes = limits.memoryBytes().toString();
            set(memory, "memory.limit_in_bytes", bytes);
            // memsw = memory + swap: the same number means
            // "no swap on top", so a hog cannot escape to swap.
            if (Files.exists(memory.resolve(MEMSW))) {
                set(memory, MEMSW, bytes);
            } else {
                set(memory, "memory.swappiness", "0");
            }
        }
        // end::v1-memory[]
        // tag::v1-cpu-pids[]
        if (limits.cpus() != null) {
            Path cpu = cgroups.get("cpu");
            long quota = Cgroups.cpuQuotaMicros(limits.cpus());
            set(cpu, "cpu.cfs_period_us",
                    Long.toString(CPU_PERIOD_MICROS));
            set(cpu, "cpu.cfs_quota_us", Long.toString(quota));
        }
        if (limits.pids() != null) {
            set(cgroups.get("pids"), "pids.max",
                    limits.pids().toString());
        }
        // end::v1-cpu-pids[]
    }

    private void set(Path cgroup, String file, String value) {
        say.accept("echo " + value + " > " + cgroup.resolve(file));
        Cgroups.write(cgroup.resolve(file), value, errno -> errno == LibC.ENOENT
                ? "no " + file + " in " + cgroup + ": this kernel lacks the feature (for"
                        + " memsw: boot with swapaccount=1)" : null);
    }

    @Override
    public void adopt() {
        for (Path cgroup : cgroups.values()) {
            if (Files.isDirectory(cgroup) && !created.contains(cgroup)) created.add(cgroup);
        }
    }

    @Override
    public void join(long pid) {
        // tag::v1-join[]
        // cgroup.procs moves the whole process, every thread;
        // "tasks" would move only the one thread named.
        for (Path cgroup : created) {
            Path procs = cgroup.resolve("cgroup.procs");
            say.accept("echo " + pid + " > " + procs);
            Cgroups.write(procs, Long.toString(pid), errno ->
                    errno == LibC.ESRCH ? "process " + pid
                            + " has exited" : null);
        }
        // end::v1-join[]
    }

    @Override
    public List<String> counters() {
        List<String> counters = new ArrayList<>();
        Path memory = cgroups.get("memory");
        if (memory != null && created.contains(memory)) {
            counters.add("memory.oom_control oom_kill "
                    + Cgroups.keyedValue(memory.resolve("memory.oom_control"), "oom_kill"));
            counters.add("memory.failcnt " + Cgroups.read(memory.resolve("memory.failcnt")).trim());
        }
        Path pids = cgroups.get("pids");
        if (pids != null && created.contains(pids)) {
            counters.add("pids.events max " + Cgroups.keyedValue(pids.resolve("pids.events"), "max"));
        }
        Path cpu = cgroups.get("cpu");
        if (cpu != null && created.contains(cpu)) {
            Path stat = cpu.resolve("cpu.stat");
            counters.add("cpu.stat nr_periods " + Cgroups.keyedValue(stat, "nr_periods")
                    + " nr_throttled " + Cgroups.keyedValue(stat, "nr_throttled"));
        }
        return counters;
    }

    @Override
    public synchronized void remove() {
        // v1 has no cgroup.kill: kill what is left by PID (only processes we placed here, or
        // their children), until the cgroup is empty, then rmdir.
        while (!created.isEmpty()) {
            Path cgroup = created.get(created.size() - 1);
            for (int round = 0; round < 100; round++) {
                List<Integer> left = Cgroups.pids(cgroup);
                if (left.isEmpty()) break;
                say.accept("kill -KILL " + left + " (left in " + cgroup + ")");
                left.forEach(pid -> LibC.C.kill(pid, LibC.SIGKILL));
                Cgroups.sleep(20);
            }
            say.accept("rmdir " + cgroup);
            Cgroups.rmdir(cgroup);
            created.remove(cgroup);
            // The project's parent goes too, unless another container still uses it.
            Cgroups.rmdirIfEmpty(cgroup.getParent());
        }
    }
}
