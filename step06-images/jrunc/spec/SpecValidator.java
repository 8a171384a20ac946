package jrunc.spec;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.json.JsonValue;
import jrunc.json.JsonValue.JsonArray;
import jrunc.json.JsonValue.JsonBoolean;
import jrunc.json.JsonValue.JsonNull;
import jrunc.json.JsonValue.JsonNumber;
import jrunc.json.JsonValue.JsonObject;
import jrunc.json.JsonValue.JsonString;
import jrunc.linux.Capabilities;
import jrunc.linux.MountOptions;
import jrunc.linux.Namespaces;
import jrunc.linux.Rlimits;
import jrunc.linux.Seccomp;

/**
 * Checks a parsed config.json before anything is created: a problem is reported with the
 * JSON field it is in. What jrunc does not implement is rejected by name, except for the
 * AppArmor and SELinux labels on a host without that LSM (warned about by name, as runc
 * ignores them there, so that podman's default configuration still runs).
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
            // Fail closed where the label would mean something; elsewhere no runtime can apply it.
            require(!lsmEnabled("apparmor"), "process.apparmorProfile: AppArmor is enabled on this"
                    + " host and jrunc cannot apply the profile " + p.apparmorProfile()
                    + "; remove the field to run the process unconfined\n  hint: podman and"
                    + " docker leave it out with --security-opt apparmor=unconfined");
            warnings.add("process.apparmorProfile " + p.apparmorProfile() + " is ignored: AppArmor"
                    + " is not enabled on this host");
        }
        if (p.selinuxLabel() != null && !p.selinuxLabel().isEmpty()) {
            require(!lsmEnabled("selinux"), "process.selinuxLabel: SELinux is enabled on this host"
                    + " and jrunc cannot apply the label " + p.selinuxLabel()
                    + "; remove the field to run the process unlabelled\n  hint: podman and"
                    + " docker leave it out with --security-opt label=disable");
            warnings.add("process.selinuxLabel " + p.selinuxLabel() + " is ignored: SELinux is not"
                    + " enabled on this host");
        }
        if (p.consoleSize() != null && !(p.consoleSize() instanceof JsonNull) && !p.isTerminal()) {
            warnings.add("process.consoleSize is ignored without process.terminal");
        }
        if (p.user() != null) checkUser(p.user());
        if (p.capabilities() != null) {
            Spec.Capabilities c = p.capabilities();
            capabilities(c.bounding(), "bounding");
            capabilities(c.effective(), "effective");
            capabilities(c.inheritable(), "inheritable");
            capabilities(c.permitted(), "permitted");
            // An ambient one that is not also permitted and inheritable is skipped without a
            // word, as runc does: its own default spec lists three such (runc spec).
            capabilities(c.ambient(), "ambient");
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
            JsonValue value = field.equals("uidMappings") ? linux.uidMappings() : linux.gidMappings();
            String name = "linux." + field;
            List<JsonValue> maps = value instanceof JsonArray a ? a.elements() : List.of();
            require(!maps.isEmpty(), name + ": a new user"
                    + " namespace needs at least one mapping, e.g. [{\"containerID\": 0,"
                    + " \"hostID\": 100000, \"size\": 65536}]");
            boolean root = false;
            for (int i = 0; i < maps.size(); i++) {
                JsonObject m = maps.get(i) instanceof JsonObject o ? o : new JsonObject(Map.of());
                for (String key : List.of("containerID", "hostID", "size")) {
                    JsonValue v = m.get(key);
                    require(v instanceof JsonNumber n && n.isLong() && n.longValue() >= 0
                            && n.longValue() <= 0xffffffffL, name + "[" + i + "]."
                            + key + ": must be an integer from 0 to 4294967295, got " + v);
                }
                require(((JsonNumber) m.get("size")).longValue() > 0, name + "[" + i + "].size: must be above 0");
                long c = ((JsonNumber) m.get("containerID")).longValue();
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
        Map<String, JsonValue> clocks = linux.timeOffsets() instanceof JsonObject o ? o.members()
                : Map.of();
        clocks.forEach((clock, offset) -> {
            String field = "linux.timeOffsets." + clock;
            require(clock.equals("monotonic") || clock.equals("boottime"),
                    field + ": only monotonic and boottime clocks have offsets");
            JsonObject o = offset instanceof JsonObject object ? object : new JsonObject(Map.of());
            JsonValue secs = o.get("secs");
            require(secs instanceof JsonNumber n && n.isLong(),
                    field + ".secs: must be an integer, got " + (secs == null ? "nothing" : secs));
            JsonValue nanos = o.get("nanosecs");
            require(nanos == null || nanos instanceof JsonNumber n && n.isInteger() && n.isZero(),
                    field + ".nanosecs: jrunc sets whole seconds only (util-linux's unshare --"
                    + clock + " writes the offset); got " + nanos);
        });
    }

    private static boolean present(JsonValue node) {
        return node != null && !(node instanceof JsonNull);
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
        if (linux.seccomp() != null) checkSeccomp(linux.seccomp());
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

    /** What runc refuses is refused here by field; libseccomp itself checks the rest at load. */
    private void checkSeccomp(Spec.Seccomp s) {
        String field = "linux.seccomp";
        action(s.defaultAction(), field + ".defaultAction");
        errno(s.defaultErrnoRet(), field + ".defaultErrnoRet");
        require(s.listenerPath() == null || s.listenerPath().isEmpty(), field + ".listenerPath: "
                + "seccomp notification (SCMP_ACT_NOTIFY) is not supported by jrunc");
        if (s.architectures() != null) {
            for (int i = 0; i < s.architectures().size(); i++) {
                String arch = s.architectures().get(i);
                require(Seccomp.ARCHITECTURES.contains(arch), field + ".architectures[" + i
                        + "]: unknown architecture " + arch);
            }
        }
        if (s.flags() != null) {
            for (int i = 0; i < s.flags().size(); i++) {
                String flag = s.flags().get(i);
                require(Seccomp.FLAGS.containsKey(flag), field + ".flags[" + i + "]: " + flag
                        + " is not supported by jrunc (known: "
                        + String.join(", ", new java.util.TreeSet<>(Seccomp.FLAGS.keySet())) + ")");
            }
        }
        if (s.syscalls() == null) return;
        for (int i = 0; i < s.syscalls().size(); i++) {
            Spec.Syscall call = s.syscalls().get(i);
            String rule = field + ".syscalls[" + i + "]";
            require(call.names() != null && !call.names().isEmpty(), rule + ".names: must name"
                    + " at least one system call");
            action(call.action(), rule + ".action");
            errno(call.errnoRet(), rule + ".errnoRet");
            if (call.args() == null) continue;
            for (int j = 0; j < call.args().size(); j++) {
                Spec.SyscallArg arg = call.args().get(j);
                String a = rule + ".args[" + j + "]";
                require(arg.index() != null && arg.index() >= 0 && arg.index() <= 5, a + ".index: "
                        + arg.index() + " is not an argument index (a system call has 6: 0..5)");
                require(arg.op() != null && Seccomp.OPERATORS.containsKey(arg.op()), a + ".op: "
                        + "unknown operator " + arg.op() + " (known: "
                        + String.join(", ", new java.util.TreeSet<>(Seccomp.OPERATORS.keySet())) + ")");
                uint64(arg.value(), a + ".value");
                uint64(arg.valueTwo(), a + ".valueTwo");
            }
        }
    }

    /** The kernel's list of active LSMs, or (securityfs not mounted) each module's own sign. */
    public static boolean lsmEnabled(String name) {
        try {
            Path lsm = Path.of("/sys/kernel/security/lsm");
            if (Files.exists(lsm)) return List.of(Files.readString(lsm).trim().split(",")).contains(name);
            return name.equals("apparmor")
                    ? Files.readString(Path.of("/sys/module/apparmor/parameters/enabled")).startsWith("Y")
                    : Files.exists(Path.of("/sys/fs/selinux/enforce"));
        } catch (java.io.IOException notThere) {
            return false;
        }
    }

    private static void action(String name, String field) {
        require(name != null && !name.isEmpty(), field + ": required field is missing");
        require(!name.equals("SCMP_ACT_NOTIFY"), field + ": SCMP_ACT_NOTIFY (seccomp notification"
                + " to listenerPath) is not supported by jrunc");
        require(Seccomp.ACTIONS.containsKey(name), field + ": unknown action " + name + " (known: "
                + String.join(", ", new java.util.TreeSet<>(Seccomp.ACTIONS.keySet())) + ")");
    }

    private static void errno(Long errno, String field) {
        require(errno == null || errno >= 0 && errno <= 0xffff, field + ": " + errno
                + " is not an errno (0..65535)");
    }

    private static void uint64(BigInteger value, String field) {
        require(value == null || value.signum() >= 0 && value.bitLength() <= 64,
                field + ": " + value + " is not a uint64");
    }

    /**
     * An "update" request: what jrunc cannot change is refused by field; kernel memory is
     * only warned about (runc ignores it too). Devices are not updated, as by runc.
     */
    public static List<String> validateUpdate(Spec.Resources r) {
        unsupported(r.blockIO(), "linux.resources.blockIO");
        unsupported(r.hugepageLimits(), "linux.resources.hugepageLimits");
        unsupported(r.network(), "linux.resources.network");
        unsupported(r.rdma(), "linux.resources.rdma");
        unsupported(r.unified(), "linux.resources.unified");
        if (r.cpu() != null) {
            unsupported(r.cpu().realtimeRuntime(), "linux.resources.cpu.realtimeRuntime");
            unsupported(r.cpu().realtimePeriod(), "linux.resources.cpu.realtimePeriod");
            unsupported(r.cpu().idle(), "linux.resources.cpu.idle");
        }
        Spec.Memory m = r.memory();
        boolean kernel = m != null && (m.kernel() != null && m.kernel() != 0
                || m.kernelTCP() != null && m.kernelTCP() != 0);
        return kernel ? List.of("linux.resources.memory.kernel and kernelTCP are ignored (the"
                + " kernel no longer limits kernel memory)") : List.of();
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

    /**
     * A field present but zero or empty is "not set", as runc reads it (Docker writes
     * "blockIO": {"weight": 0} into every config.json); anything else is refused, naming the
     * innermost field that has a value ("linux.resources.blockIO.weight").
     */
    private static void unsupported(Object value, String field) {
        if (value == null) return;
        if (value instanceof JsonValue node) {
            String set = firstSet(node, field);
            if (set != null) throw new SpecException(set + ": not supported by jrunc");
            return;
        }
        if (value instanceof Long n && n == 0) return;
        throw new SpecException(field + ": not supported by jrunc");
    }

    /** The first field below node that is not null, 0, false, "" or empty; null if none. */
    private static String firstSet(JsonValue node, String field) {
        if (node instanceof JsonObject o) {
            for (Map.Entry<String, JsonValue> e : o.members().entrySet()) {
                String set = firstSet(e.getValue(), field + "." + e.getKey());
                if (set != null) return set;
            }
            return null;
        }
        if (node instanceof JsonArray a) {
            for (int i = 0; i < a.elements().size(); i++) {
                String set = firstSet(a.elements().get(i), field + "[" + i + "]");
                if (set != null) return set;
            }
            return null;
        }
        boolean unset = node instanceof JsonNull || node instanceof JsonNumber n && n.isZero()
                || node instanceof JsonBoolean b && !b.value()
                || node instanceof JsonString s && s.value().isEmpty();
        return unset ? null : field;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new SpecException(message);
    }
}
