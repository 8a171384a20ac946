package jrunc.spec;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jrunc.linux.Capabilities;
import jrunc.linux.MountOptions;
import jrunc.linux.Namespaces;
import jrunc.linux.Rlimits;

/**
 * Checks a parsed config.json before anything is created: a problem is reported with the
 * JSON field it is in. What jrunc does not implement is rejected by name, except for the
 * security labels and filters a caller commonly sends (seccomp, AppArmor, SELinux), which
 * are warned about by name so that podman's default configuration still runs.
 */
public final class SpecValidator {
    /**
     * The highest uid or gid: uid_t is unsigned 32-bit, and 4294967295 is (uid_t) -1, which
     * setresuid(2) and chown(2) read as "leave unchanged" (for the init: stay root).
     */
    public static final long MAX_ID = 0xfffffffeL;

    private final List<String> warnings = new ArrayList<>();

    /** Returns the warnings; throws {@link SpecException} on the first error. */
    public static List<String> validate(Spec spec) {
        SpecValidator v = new SpecValidator();
        v.check(spec);
        return v.warnings;
    }

    /** The same checks for an exec's process (--process FILE or config.json's, changed). */
    public static List<String> validateProcess(Spec.Process process) {
        SpecValidator v = new SpecValidator();
        v.checkProcess(process);
        return v.warnings;
    }

    private void check(Spec spec) {
        // ociVersion is required by the spec, but runc runs a config without it: so do we.
        require(spec.root() != null, "root: required field is missing");
        require(spec.root().path() != null && !spec.root().path().isEmpty(),
                "root.path: required field is missing");
        require(spec.process() != null, "process: required field is missing");
        unsupported(spec.solaris(), "solaris");
        unsupported(spec.windows(), "windows");
        unsupported(spec.vm(), "vm");
        checkProcess(spec.process());
        Set<String> namespaces = checkNamespaces(spec.linux());
        if (spec.hostname() != null && !spec.hostname().isEmpty()) {
            require(namespaces.contains("uts"), "hostname: setting it needs a new uts"
                    + " namespace (add {\"type\": \"uts\"} to linux.namespaces)");
        }
        if (spec.domainname() != null && !spec.domainname().isEmpty()) {
            require(namespaces.contains("uts"), "domainname: setting it needs a new uts"
                    + " namespace (add {\"type\": \"uts\"} to linux.namespaces)");
        }
        require(namespaces.contains("mount"), "linux.namespaces: jrunc needs a mount namespace"
                + " (add {\"type\": \"mount\"}): without one, pivot_root and the container's"
                + " mounts would change the caller's mount namespace and outlive the container");
        checkMounts(spec.mounts());
        checkHooks(spec.hooks());
        if (spec.linux() != null) checkLinux(spec.linux(), namespaces);
    }

    private void checkProcess(Spec.Process p) {
        require(p.args() != null && !p.args().isEmpty(), "process.args: must name a program");
        require(p.cwd() != null && !p.cwd().isEmpty(), "process.cwd: required field is missing");
        require(p.cwd().startsWith("/"), "process.cwd: must be an absolute path, got " + p.cwd());
        if (p.env() != null) {
            for (int i = 0; i < p.env().size(); i++) {
                String e = p.env().get(i);
                require(e != null && e.indexOf('=') > 0, "process.env[" + i + "]: " + e
                        + " is not NAME=VALUE (a name and '=' are required)");
            }
        }
        unsupported(p.commandLine(), "process.commandLine");
        unsupported(p.scheduler(), "process.scheduler");
        unsupported(p.ioPriority(), "process.ioPriority");
        unsupported(p.execCPUAffinity(), "process.execCPUAffinity");
        if (p.apparmorProfile() != null && !p.apparmorProfile().isEmpty()) {
            warnings.add("process.apparmorProfile is not supported: the process runs without"
                    + " the AppArmor profile " + p.apparmorProfile());
        }
        if (p.selinuxLabel() != null && !p.selinuxLabel().isEmpty()) {
            warnings.add("process.selinuxLabel is not supported: the process runs unlabelled");
        }
        if (p.consoleSize() != null && !p.consoleSize().isNull() && !p.isTerminal()) {
            warnings.add("process.consoleSize is ignored without process.terminal");
        }
        if (p.user() != null) checkUser(p.user());
        if (p.capabilities() != null) {
            Spec.Capabilities c = p.capabilities();
            capabilities(c.bounding(), "bounding");
            capabilities(c.effective(), "effective");
            capabilities(c.inheritable(), "inheritable");
            capabilities(c.permitted(), "permitted");
            capabilities(c.ambient(), "ambient");
            if (c.ambient() != null) {
                for (String name : c.ambient()) {
                    if (!Capabilities.isAmbientPossible(name, c.permitted(), c.inheritable())) {
                        warnings.add("process.capabilities.ambient: " + name + " is not raised:"
                                + " the kernel needs it in permitted and inheritable too");
                    }
                }
            }
        }
        if (p.rlimits() != null) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < p.rlimits().size(); i++) {
                Spec.Rlimit r = p.rlimits().get(i);
                String field = "process.rlimits[" + i + "]";
                require(r.type() != null && Rlimits.NUMBERS.containsKey(r.type()),
                        field + ".type: unknown rlimit " + r.type());
                require(seen.add(r.type()), field + ".type: " + r.type() + " given twice");
                require(r.soft() != null && r.hard() != null, field + ": soft and hard are required");
                require(r.soft().compareTo(r.hard()) <= 0, field + ": soft " + r.soft()
                        + " is above hard " + r.hard());
                require(r.hard().signum() >= 0 && r.hard().bitLength() <= 64,
                        field + ".hard: not a uint64");
                require(r.soft().signum() >= 0, field + ".soft: not a uint64");
            }
        }
    }

    private void checkUser(Spec.User u) {
        id(u.uid(), "process.user.uid", "uid");
        id(u.gid(), "process.user.gid", "gid");
        if (u.additionalGids() != null) {
            for (int i = 0; i < u.additionalGids().size(); i++) {
                id(u.additionalGids().get(i), "process.user.additionalGids[" + i + "]", "gid");
            }
        }
        require(u.umask() == null || u.umask() >= 0 && u.umask() <= 0777, "process.user.umask: "
                + u.umask() + " is not a valid umask (0..511, octal 0777)");
        unsupported(u.username(), "process.user.username");
    }

    /** "process.user.uid: -1 is not a valid uid (0..4294967294)". */
    private static void id(Long value, String field, String what) {
        require(value == null || value >= 0 && value <= MAX_ID, field + ": " + value
                + " is not a valid " + what + " (0.." + MAX_ID + ")");
    }

    private void capabilities(List<String> names, String set) {
        if (names == null) return;
        for (String name : names) {
            require(Capabilities.NUMBERS.containsKey(name), "process.capabilities." + set
                    + ": unknown capability " + name);
        }
    }

    private Set<String> checkNamespaces(Spec.Linux linux) {
        Set<String> types = new HashSet<>();
        if (linux == null || linux.namespaces() == null) return types;
        for (int i = 0; i < linux.namespaces().size(); i++) {
            Spec.Namespace ns = linux.namespaces().get(i);
            String field = "linux.namespaces[" + i + "]";
            require(ns.type() != null, field + ".type: required field is missing");
            require(Namespaces.FLAGS.containsKey(ns.type()), field + ".type: unknown namespace"
                    + " type " + ns.type() + " (known: " + String.join(", ", Namespaces.FLAGS.keySet()) + ")");
            require(types.add(ns.type()), field + ".type: namespace " + ns.type() + " given twice");
            if (ns.path() != null && !ns.path().isEmpty()) {
                require(Files.exists(Path.of(ns.path())), field + ".path: " + ns.path()
                        + " does not exist (ENOENT)");
            }
        }
        return types;
    }

    /**
     * A new user namespace needs both maps, and both must map the container's root: jrunc's
     * init starts as that root. A joined one (path) already has its maps.
     */
    private void checkUserNamespace(Spec.Linux linux) {
        Spec.Namespace user = Namespaces.find(linux, "user");
        boolean hasMaps = present(linux.uidMappings()) || present(linux.gidMappings());
        if (user == null) {
            require(!hasMaps, "linux.uidMappings: mappings need a new user namespace"
                    + " (add {\"type\": \"user\"} to linux.namespaces)");
            return;
        }
        if (Namespaces.hasPath(user)) {
            require(!hasMaps, "linux.uidMappings: a joined user namespace (path "
                    + user.path() + ") already has its mappings; remove them");
            return;
        }
        for (String field : List.of("uidMappings", "gidMappings")) {
            JsonNode maps = field.equals("uidMappings") ? linux.uidMappings() : linux.gidMappings();
            String name = "linux." + field;
            require(present(maps) && maps.isArray() && maps.size() > 0, name + ": a new user"
                    + " namespace needs at least one mapping, e.g. [{\"containerID\": 0,"
                    + " \"hostID\": 100000, \"size\": 65536}]");
            boolean root = false;
            for (int i = 0; i < maps.size(); i++) {
                JsonNode m = maps.get(i);
                for (String key : List.of("containerID", "hostID", "size")) {
                    JsonNode v = m.get(key);
                    // canConvertToLong() alone takes 0.5, which asLong() reads as 0.
                    require(v != null && v.isIntegralNumber() && v.canConvertToLong()
                            && v.asLong() >= 0 && v.asLong() <= 0xffffffffL, name + "[" + i + "]."
                            + key + ": must be an integer from 0 to 4294967295, got " + v);
                }
                require(m.get("size").asLong() > 0, name + "[" + i + "].size: must be above 0");
                long c = m.get("containerID").asLong();
                root |= c == 0;
            }
            require(root, name + ": nothing maps the container's root (containerID 0);"
                    + " jrunc's init runs as that root");
        }
    }

    private void checkTimeOffsets(Spec.Linux linux) {
        if (!present(linux.timeOffsets())) return;
        Spec.Namespace time = Namespaces.find(linux, "time");
        require(time != null && !Namespaces.hasPath(time), "linux.timeOffsets: offsets need a"
                + " new time namespace (add {\"type\": \"time\"} to linux.namespaces)");
        linux.timeOffsets().fields().forEachRemaining(e -> {
            String field = "linux.timeOffsets." + e.getKey();
            require(e.getKey().equals("monotonic") || e.getKey().equals("boottime"),
                    field + ": only monotonic and boottime clocks have offsets");
            JsonNode secs = e.getValue().path("secs");
            require(secs.isIntegralNumber() && secs.canConvertToLong(),
                    field + ".secs: must be an integer, got " + secs);
            JsonNode nanos = e.getValue().path("nanosecs");
            require(nanos.isMissingNode() || nanos.isIntegralNumber() && nanos.asLong() == 0,
                    field + ".nanosecs: jrunc sets whole seconds only (util-linux's unshare --"
                    + e.getKey() + " writes the offset); got " + nanos);
        });
    }

    private static boolean present(JsonNode node) {
        return node != null && !node.isNull();
    }

    private void checkMounts(List<Spec.Mount> mounts) {
        if (mounts == null) return;
        for (int i = 0; i < mounts.size(); i++) {
            Spec.Mount m = mounts.get(i);
            String field = "mounts[" + i + "]";
            require(m.destination() != null, field + ".destination: required field is missing");
            require(m.destination().startsWith("/"), field + ".destination: must be an absolute"
                    + " path, got " + m.destination());
            unsupported(m.uidMappings(), field + ".uidMappings");
            unsupported(m.gidMappings(), field + ".gidMappings");
            MountOptions options;
            try {
                options = MountOptions.parse(m.options());
            } catch (IllegalArgumentException e) {
                throw new SpecException(field + ".options: " + e.getMessage());
            }
            if (options.isBind()) {
                require(m.source() != null && Files.exists(Path.of(m.source())), field
                        + ".source: bind mount source " + m.source() + " does not exist (ENOENT)");
            } else {
                require(m.type() != null && !m.type().isEmpty(), field + ".type: required for a"
                        + " mount that is not a bind mount");
            }
        }
    }

    private void checkHooks(Spec.Hooks hooks) {
        if (hooks == null) return;
        hookList(hooks.prestart(), "prestart");
        hookList(hooks.createRuntime(), "createRuntime");
        hookList(hooks.createContainer(), "createContainer");
        hookList(hooks.startContainer(), "startContainer");
        hookList(hooks.poststart(), "poststart");
        hookList(hooks.poststop(), "poststop");
    }

    private void hookList(List<Spec.Hook> hooks, String name) {
        if (hooks == null) return;
        for (int i = 0; i < hooks.size(); i++) {
            Spec.Hook h = hooks.get(i);
            String field = "hooks." + name + "[" + i + "]";
            require(h.path() != null && h.path().startsWith("/"), field + ".path: must be an"
                    + " absolute path, got " + h.path());
            require(h.timeout() == null || h.timeout() > 0, field + ".timeout: must be positive");
        }
    }

    private void checkLinux(Spec.Linux linux, Set<String> namespaces) {
        checkUserNamespace(linux);
        checkTimeOffsets(linux);
        unsupported(linux.intelRdt(), "linux.intelRdt");
        unsupported(linux.personality(), "linux.personality");
        if (linux.seccomp() != null && !linux.seccomp().isNull()) {
            warnings.add("linux.seccomp is not supported: the process runs without a seccomp"
                    + " filter");
        }
        if (linux.mountLabel() != null && !linux.mountLabel().isEmpty()) {
            warnings.add("linux.mountLabel is not supported: mounts are not SELinux-labelled");
        }
        if (linux.rootfsPropagation() != null && !linux.rootfsPropagation().isEmpty()) {
            require(List.of("private", "rprivate", "slave", "rslave", "shared", "rshared",
                    "unbindable", "runbindable").contains(linux.rootfsPropagation()),
                    "linux.rootfsPropagation: unknown propagation " + linux.rootfsPropagation());
        }
        if (linux.devices() != null) {
            for (int i = 0; i < linux.devices().size(); i++) {
                Spec.Device d = linux.devices().get(i);
                String field = "linux.devices[" + i + "]";
                require(d.path() != null && d.path().startsWith("/dev/"), field
                        + ".path: must be a path under /dev, got " + d.path());
                require(d.type() != null && List.of("c", "b", "u", "p").contains(d.type()),
                        field + ".type: must be c, b, u or p, got " + d.type());
                require(d.type().equals("p") || d.major() != null && d.minor() != null,
                        field + ": major and minor are required for type " + d.type());
                id(d.uid(), field + ".uid", "uid");
                id(d.gid(), field + ".gid", "gid");
            }
        }
        if (linux.sysctl() != null) {
            for (String key : linux.sysctl().keySet()) {
                String field = "linux.sysctl." + key;
                if (key.startsWith("net.")) {
                    require(namespaces.contains("network"), field + ": needs a new network namespace");
                } else if (key.startsWith("kernel.msg") || key.startsWith("kernel.sem")
                        || key.startsWith("kernel.shm") || key.startsWith("fs.mqueue.")) {
                    require(namespaces.contains("ipc"), field + ": needs a new ipc namespace");
                } else if (key.equals("kernel.hostname") || key.equals("kernel.domainname")) {
                    require(namespaces.contains("uts"), field + ": needs a new uts namespace");
                } else {
                    throw new SpecException(field + ": not namespaced, so a container may not"
                            + " set it");
                }
            }
        }
        if (linux.resources() != null) checkResources(linux.resources());
    }

    private void checkResources(Spec.Resources r) {
        unsupported(r.blockIO(), "linux.resources.blockIO");
        unsupported(r.hugepageLimits(), "linux.resources.hugepageLimits");
        unsupported(r.network(), "linux.resources.network");
        unsupported(r.rdma(), "linux.resources.rdma");
        unsupported(r.unified(), "linux.resources.unified");
        if (r.memory() != null) {
            Spec.Memory m = r.memory();
            // Kernel memory accounting has no limit of its own since Linux 5.4 (as runc, warn).
            if (m.kernel() != null || m.kernelTCP() != null) {
                warnings.add("linux.resources.memory.kernel and kernelTCP are ignored: current"
                        + " kernels have no separate kernel memory limit");
            }
            require(m.swap() == null || m.limit() == null || m.swap() < 0 || m.swap() >= m.limit(),
                    "linux.resources.memory.swap: must be at least memory.limit (it counts"
                            + " memory plus swap)");
        }
        if (r.cpu() != null) {
            unsupported(r.cpu().realtimeRuntime(), "linux.resources.cpu.realtimeRuntime");
            unsupported(r.cpu().realtimePeriod(), "linux.resources.cpu.realtimePeriod");
            unsupported(r.cpu().idle(), "linux.resources.cpu.idle");
        }
        if (r.devices() != null) {
            for (int i = 0; i < r.devices().size(); i++) {
                Spec.DeviceRule d = r.devices().get(i);
                String field = "linux.resources.devices[" + i + "]";
                require(d.allow() != null, field + ".allow: required field is missing");
                require(d.type() == null || List.of("a", "b", "c").contains(d.type()),
                        field + ".type: must be a, b or c, got " + d.type());
                require(d.access() == null || d.access().matches("[rwm]+"),
                        field + ".access: must be letters of rwm, got " + d.access());
                // The kernel's device numbers are 32-bit; a negative one means "any" (runc).
                require(d.major() == null || d.major() <= 0xffffffffL,
                        field + ".major: must be at most 4294967295 (or -1 for any), got " + d.major());
                require(d.minor() == null || d.minor() <= 0xffffffffL,
                        field + ".minor: must be at most 4294967295 (or -1 for any), got " + d.minor());
            }
        }
    }

    private static void unsupported(Object value, String field) {
        if (value == null) return;
        if (value instanceof JsonNode node && (node.isNull() || node.isEmpty() && node.isContainerNode())) return;
        if (value instanceof Long n && n == 0) return;
        throw new SpecException(field + ": not supported by jrunc");
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new SpecException(message);
    }
}
