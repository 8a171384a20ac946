import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * cgroup v2: one hierarchy (usually mounted at /sys/fs/cgroup) for every controller. A
 * container is one cgroup. Two rules shape the code:
 * <ul>
 * <li>a child may use a controller only if its parent lists it in cgroup.subtree_control, so
 *     controllers are enabled level by level, from the root down to the container's parent;
 * <li>no internal processes: a cgroup (other than the root) that enables controllers for its
 *     children may not hold processes itself, so processes only ever go in the leaf.
 * </ul>
 */
final class CgroupV2 implements Cgroups {
    private final Path root;
    private final Path cgroup;
    private final Limits limits;
    private final Consumer<String> say;
    private boolean created;

    CgroupV2(Path root, String parent, String id, Limits limits, Consumer<String> say) {
        this.root = root;
        // An absolute path under the hierarchy's root, never relative to our own cgroup.
        this.cgroup = root.resolve(parent).resolve(id);
        this.limits = limits;
        this.say = say;
    }

    @Override
    public String describe() {
        return "cgroup driver v2 (host layout v2): " + cgroup + " with controllers "
                + limits.controllers();
    }

    @Override
    public List<Path> paths() {
        return List.of(cgroup);
    }

    @Override
    public void create() {
        requireControllers();
        // tag::v2-subtree-control[]
        // Enable each controller in every ancestor's
        // subtree_control, from the root down. The parents
        // then may not hold processes (no internal processes).
        for (Path level = root; !level.equals(cgroup);
                level = level.resolve(cgroup.getName(
                        level.getNameCount()).toString())) {
            if (!level.equals(root)) Cgroups.mkdir(level);
            for (String controller : limits.controllers()) {
                enable(level, controller);
            }
        }
        // end::v2-subtree-control[]
        if (!Cgroups.mkdir(cgroup)) {
            throw new IllegalStateException("cgroup " + cgroup + " already exists"
                    + "\n  hint: a container with this id is running, or a crashed run"
                    + " left it: echo 1 > " + cgroup.resolve("cgroup.kill") + "; rmdir " + cgroup);
        }
        created = true;
        say.accept("mkdir " + cgroup);
        // tag::v2-limits[]
        if (limits.memoryBytes() != null) {
            set("memory.max", Long.toString(limits.memoryBytes()));
            // v2 counts swap apart from memory: 0 = no swap.
            if (Files.exists(cgroup.resolve("memory.swap.max"))) {
                set("memory.swap.max", "0");
            }
        }
        if (limits.cpus() != null) {
            // "$QUOTA $PERIOD": this much CPU time per period.
            set("cpu.max", Cgroups.cpuQuotaMicros(limits.cpus())
                    + " " + CPU_PERIOD_MICROS);
        }
        if (limits.pids() != null) {
            set("pids.max", Long.toString(limits.pids()));
        }
        // end::v2-limits[]
    }

    /** A missing controller is a host matter; say which one, before writing anything. */
    private void requireControllers() {
        Set<String> available = Set.of(Cgroups.read(root.resolve("cgroup.controllers"))
                .trim().split("\\s+"));
        for (String controller : limits.controllers()) {
            if (!available.contains(controller)) {
                throw new IllegalStateException("cgroup v2 controller " + controller
                        + " is not available in " + root + " (cgroup.controllers: "
                        + String.join(" ", available).trim() + ")"
                        + "\n  hint: the kernel lacks it, or it is still bound to a cgroup v1"
                        + " hierarchy (hybrid host); the --" + optionOf(controller)
                        + " limit needs it");
            }
        }
    }

    private static String optionOf(String controller) {
        return controller.equals("cpu") ? "cpus" : controller;
    }

    private void enable(Path level, String controller) {
        Path file = level.resolve("cgroup.subtree_control");
        if (Set.of(Cgroups.read(file).trim().split(" ")).contains(controller)) return;
        say.accept("echo +" + controller + " > " + file);
        Cgroups.write(file, "+" + controller, errno -> switch (errno) {
            case LibC.EBUSY -> level + " holds processes " + Cgroups.pids(level) + ", so it"
                    + " may not enable controllers for children (no internal processes rule)";
            case LibC.ENOENT -> "the parent of " + level + " has not enabled " + controller
                    + " in its cgroup.subtree_control";
            default -> null;
        });
    }

    private void set(String file, String value) {
        say.accept("echo " + value + " > " + cgroup.resolve(file));
        Cgroups.write(cgroup.resolve(file), value, errno -> errno == LibC.ENOENT
                ? "no " + file + " in " + cgroup + ": its controller is not enabled in the"
                        + " parent's cgroup.subtree_control" : null);
    }

    @Override
    public void join(long pid) {
        say.accept("echo " + pid + " > " + cgroup.resolve("cgroup.procs"));
        Cgroups.write(cgroup.resolve("cgroup.procs"), Long.toString(pid),
                errno -> switch (errno) {
                    case LibC.ESRCH -> "process " + pid + " has exited";
                    case LibC.EBUSY -> cgroup + " enables controllers for children, so it may"
                            + " not hold processes (no internal processes rule)";
                    default -> null;
                });
    }

    @Override
    public void adopt() {
        created = Files.isDirectory(cgroup);
    }

    @Override
    public List<String> counters() {
        List<String> counters = new ArrayList<>();
        if (!created) return counters;
        if (limits.memoryBytes() != null) {
            counters.add("memory.events oom_kill "
                    + Cgroups.keyedValue(cgroup.resolve("memory.events"), "oom_kill")
                    + " max " + Cgroups.keyedValue(cgroup.resolve("memory.events"), "max"));
        }
        if (limits.pids() != null) {
            counters.add("pids.events max "
                    + Cgroups.keyedValue(cgroup.resolve("pids.events"), "max"));
        }
        if (limits.cpus() != null) {
            Path stat = cgroup.resolve("cpu.stat");
            counters.add("cpu.stat nr_periods " + Cgroups.keyedValue(stat, "nr_periods")
                    + " nr_throttled " + Cgroups.keyedValue(stat, "nr_throttled"));
        }
        return counters;
    }

    @Override
    public synchronized void remove() {
        if (created) {
            removeContainerCgroup();
            created = false;
        }
        // The project's parents go too (also after a create() that failed half-way), unless
        // another container still uses them.
        for (Path level = cgroup.getParent(); !level.equals(root); level = level.getParent()) {
            Cgroups.rmdirIfEmpty(level);
        }
    }

    private void removeContainerCgroup() {
        // tag::v2-remove[]
        // cgroup.kill SIGKILLs everything inside, also what
        // forks meanwhile; "populated 0" in cgroup.events
        // says it is empty, and only an empty cgroup rmdirs.
        if (isPopulated()) {
            Path kill = cgroup.resolve("cgroup.kill");
            say.accept("echo 1 > " + kill);
            Cgroups.write(kill, "1", errno -> null);
            for (int i = 0; i < 250 && isPopulated(); i++) {
                Cgroups.sleep(20);
            }
        }
        say.accept("rmdir " + cgroup);
        Cgroups.rmdir(cgroup);
        // end::v2-remove[]
    }

    private boolean isPopulated() {
        return Cgroups.keyedValue(cgroup.resolve("cgroup.events"), "populated") == 1;
    }
}
