import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An OCI bundle, read and checked: a directory holding config.json (runtime-spec 1.x) and a
 * root filesystem. Each field step05 handles becomes what steps 02-04 built by hand: a flag
 * for unshare(2), a mount(2) call, a hostname, a cgroup limit. A field that would change what
 * the container does, but that step05 does not implement, is refused by name (jrunc, in
 * step06, implements it); a field nobody knows is ignored with a warning.
 */
record Bundle(Path dir, Path rootfs, boolean readonly, String hostname, List<String> args,
        List<String> env, String cwd, List<Mount> mounts, int namespaces,
        Cgroups.Limits limits, String cgroupsPath, Map<String, String> annotations,
        List<String> warnings) {

    /** One mount(2) call: runc's mounts[] entry with its options turned into flags + data. */
    record Mount(String source, String destination, String type, long flags, String data) {}

    /** A mistake in config.json, naming the field; the runtime exits 1, as runc does. */
    static final class ConfigException extends RuntimeException {
        ConfigException(String message) {
            super(message);
        }
    }

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** The namespace types of steps 02-04, and the clone flag each one is. */
    // tag::namespaces[]
    static final Map<String, Integer> NAMESPACES = Map.of(
            "mount", LibC.CLONE_NEWNS,
            "uts", LibC.CLONE_NEWUTS,
            "ipc", LibC.CLONE_NEWIPC,
            "pid", LibC.CLONE_NEWPID,
            "network", LibC.CLONE_NEWNET);
    // end::namespaces[]

    /** Valid in the runtime-spec, but not handled here. */
    static final Set<String> OTHER_NAMESPACES = Set.of("user", "cgroup", "time");

    /** Each one would change the container's behaviour; jrunc handles them. */
    static final List<String> TOP_NOT_HANDLED = List.of("hooks", "domainname");
    static final List<String> PROCESS_NOT_HANDLED = List.of("capabilities", "rlimits",
            "apparmorProfile", "selinuxLabel", "oomScoreAdj", "commandLine", "ioPriority",
            "scheduler", "execCPUAffinity");
    static final List<String> LINUX_NOT_HANDLED = List.of("uidMappings", "gidMappings",
            "timeOffsets", "devices", "netDevices", "sysctl", "seccomp", "rootfsPropagation",
            "maskedPaths", "readonlyPaths", "mountLabel", "intelRdt", "personality",
            "memoryPolicy");
    static final List<String> RESOURCES_NOT_HANDLED = List.of("devices", "blockIO",
            "hugepageLimits", "network", "rdma", "unified");

    /** The default parent of every container's cgroup, at each hierarchy's root. */
    static final String CGROUP_PARENT = "workshop-step05";

    /** Reads DIR/config.json; every problem names its field (process.args, mounts[2].type). */
    static Bundle read(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": no such file\n  hint: write a default one"
                    + " with: ./jbang step05-oci-bundle/Run.java spec --bundle " + dir);
        }
        JsonNode json;
        try {
            json = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new ConfigException(file + ": invalid JSON at line " + at.getLineNr()
                    + ", column " + at.getColumnNr() + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        if (json == null) throw new ConfigException(file + ": empty, not a JSON object");
        return new Reader(dir).bundle(new Node(json, ""));
    }

    /** Walks the JSON tree, collecting warnings. */
    private static final class Reader {
        final Path dir;
        final List<String> warnings = new ArrayList<>();

        Reader(Path dir) {
            this.dir = dir;
        }

        Bundle bundle(Node config) {
            String version = config.string("ociVersion", true);
            if (!version.startsWith("1.")) {
                throw new ConfigException("ociVersion \"" + version + "\": step05 reads"
                        + " runtime-spec 1.x");
            }
            config.refuse(TOP_NOT_HANDLED);
            Node process = config.object("process", true);
            Node root = config.object("root", true);
            Node linux = config.object("linux", false);
            if (linux == null) {
                throw new ConfigException("linux: missing; step05 needs linux.namespaces"
                        + " with at least a mount namespace");
            }
            // tag::process[]
            List<String> args = process.strings("args", true);
            if (args.isEmpty()) {
                throw new ConfigException("process.args: empty;"
                        + " it needs at least the program");
            }
            List<String> env = process.strings("env", false);
            for (String variable : env) {
                if (!variable.contains("=")) {
                    throw new ConfigException("process.env \""
                            + variable + "\": not NAME=VALUE");
                }
            }
            String cwd = absolute(process.string("cwd", true),
                    "process.cwd");
            // end::process[]
            if (process.bool("terminal")) {
                throw new ConfigException("process.terminal true: not handled by step05, which"
                        + " has no console (jrunc handles it with --console-socket)");
            }
            checkUser(process.object("user", false));
            if (process.bool("noNewPrivileges")) {
                throw notHandled("process.noNewPrivileges true");
            }
            process.refuse(PROCESS_NOT_HANDLED);
            process.warnUnknown(warnings);

            Path rootfs = rootfs(root);
            boolean readonly = root.bool("readonly");
            root.warnUnknown(warnings);

            int namespaces = namespaces(linux);
            String hostname = config.string("hostname", false);
            if (hostname != null && (namespaces & LibC.CLONE_NEWUTS) == 0) {
                throw new ConfigException("hostname \"" + hostname + "\": setting it needs a"
                        + " uts namespace in linux.namespaces (else it would rename the host)");
            }
            List<Mount> mounts = mounts(config.array("mounts"));
            Cgroups.Limits limits = resources(linux.object("resources", false));
            String cgroupsPath = cgroupsPath(linux.string("cgroupsPath", false));
            linux.refuse(LINUX_NOT_HANDLED);
            linux.warnUnknown(warnings);
            Map<String, String> annotations = annotations(config.object("annotations", false));
            config.warnUnknown(warnings);
            return new Bundle(dir, rootfs, readonly, hostname, args, env, cwd, mounts,
                    namespaces, limits, cgroupsPath, annotations, List.copyOf(warnings));
        }

        /** Only root (uid 0, gid 0) is the same as no process.user at all. */
        void checkUser(Node user) {
            if (user == null) return;
            for (String id : List.of("uid", "gid")) {
                Long value = user.integer(id);
                if (value != null && value != 0) {
                    throw notHandled("process.user." + id + " " + value);
                }
            }
            user.refuse(List.of("additionalGids", "umask", "username"));
            user.warnUnknown(warnings);
        }

        Path rootfs(Node root) {
            // tag::root[]
            // root.path is relative to the bundle, or absolute.
            Path rootfs = dir.resolve(root.string("path", true))
                    .toAbsolutePath().normalize();
            if (!Files.isDirectory(rootfs)) {
                throw new ConfigException("root.path " + rootfs
                        + ": not a directory (ENOENT)\n  hint: copy the"
                        + " workshop's rootfs there: cp -a rootfs "
                        + rootfs);
            }
            // end::root[]
            return rootfs;
        }

        int namespaces(Node linux) {
            int flags = 0;
            List<Node> entries = linux.array("namespaces");
            for (Node entry : entries) {
                String type = entry.string("type", true);
                String name = entry.path() + ".type \"" + type + "\"";
                if (entry.string("path", false) != null) {
                    throw new ConfigException(entry.path() + ".path: joining an existing"
                            + " namespace is not supported in step05, see jrunc");
                }
                entry.warnUnknown(warnings);
                // tag::unshare-flags[]
                Integer flag = NAMESPACES.get(type);
                if (flag == null && OTHER_NAMESPACES.contains(type)) {
                    throw notHandled(name);
                } else if (flag == null) {
                    throw new ConfigException(name + ": not a"
                            + " namespace type (mount, uts, ipc, pid,"
                            + " network, user, cgroup, time)");
                } else if ((flags & flag) != 0) {
                    throw new ConfigException(name + ": twice");
                }
                flags |= flag;
                // end::unshare-flags[]
            }
            if ((flags & LibC.CLONE_NEWNS) == 0) {
                throw new ConfigException("linux.namespaces: no \"mount\" namespace; step05"
                        + " needs one (it pivots the root, which must not happen on the host)");
            }
            return flags;
        }

        List<Mount> mounts(List<Node> entries) {
            List<Mount> mounts = new ArrayList<>();
            boolean proc = false;
            for (Node entry : entries) {
                Mount mount = mount(entry);
                entry.refuse(List.of("uidMappings", "gidMappings"));
                entry.warnUnknown(warnings);
                proc |= mount.type().equals("proc") && mount.destination().equals("/proc");
                mounts.add(mount);
            }
            if (!proc) {
                throw new ConfigException("mounts: no proc mount at /proc; step05 needs one"
                        + " (the init reopens exec.fifo through /proc/self/fd)");
            }
            return mounts;
        }

        Mount mount(Node entry) {
            String where = entry.path();
            String destination = absolute(entry.string("destination", true),
                    where + ".destination");
            String type = entry.string("type", false);
            String source = entry.string("source", false);
            long flags = 0;
            List<String> data = new ArrayList<>();
            for (String option : entry.strings("options", false)) {
                if (PROPAGATION.contains(option)) {
                    throw notHandled(where + ".options \"" + option + "\" (propagation)");
                }
                Long set = SET_FLAGS.get(option), clear = CLEAR_FLAGS.get(option);
                if (set != null) flags |= set;
                else if (clear != null) flags &= ~clear;
                else data.add(option);
            }
            if (type == null || type.equals("none")) {
                type = (flags & LibC.MS_BIND) != 0 ? "bind" : null;
            }
            if (type == null) throw new ConfigException(where + ".type: missing");
            if (!MOUNT_TYPES.contains(type)) throw notHandled(where + ".type " + type);
            if (type.equals("bind")) {
                // tag::bind-source[]
                if (source == null) {
                    throw new ConfigException(where + ".source: missing");
                }
                flags |= LibC.MS_BIND;
                Path from = dir.resolve(source).toAbsolutePath().normalize();
                if (!Files.exists(from)) {
                    throw new ConfigException(where + ".source " + from
                            + ": no such file or directory (ENOENT)");
                }
                source = from.toString();
                // end::bind-source[]
            }
            return new Mount(source == null ? type : source, destination, type, flags,
                    data.isEmpty() ? null : String.join(",", data));
        }

        Cgroups.Limits resources(Node resources) {
            Cgroups.Limits limits = Cgroups.Limits.NONE;
            if (resources == null) return limits;
            resources.refuse(RESOURCES_NOT_HANDLED);
            Node memory = resources.object("memory", false);
            Node cpu = resources.object("cpu", false);
            Node pids = resources.object("pids", false);
            // tag::resources[]
            if (memory != null) {
                limits = limits.withMemory(
                        memoryLimit(memory.integer("limit")));
            }
            if (cpu != null && cpu.integer("quota") != null) {
                Long period = cpu.integer("period");
                limits = limits.withCpus(cpus(cpu.integer("quota"),
                        period == null ? 100_000 : period));
            }
            if (pids != null) {
                limits = limits.withPids(pids.integer("limit"));
            }
            // end::resources[]
            if (pids != null && limits.pids() != null && limits.pids() < 1) {
                throw new ConfigException("linux.resources.pids.limit " + limits.pids()
                        + ": at least 1");
            }
            for (Node limited : new Node[] {memory, cpu, pids}) {
                if (limited == null) continue;
                limited.refuseAllBut(limited == memory ? Set.of("limit")
                        : limited == cpu ? Set.of("quota", "period") : Set.of("limit"));
            }
            resources.warnUnknown(warnings);
            return limits;
        }

        static Long memoryLimit(Long bytes) {
            if (bytes != null && bytes < Cgroups.MEMORY_MIN_BYTES) {
                throw new ConfigException("linux.resources.memory.limit " + bytes + ": too"
                        + " small; at least 6291456 (6 MiB: the init JVM must fit)");
            }
            return bytes;
        }

        /** step04's drivers take a share of one CPU; quota/period is that share. */
        static double cpus(long quota, long period) {
            if (period < 1_000 || period > 1_000_000) {
                throw new ConfigException("linux.resources.cpu.period " + period
                        + ": from 1000 to 1000000 microseconds");
            }
            double cpus = (double) quota / period;
            try {
                return Cgroups.parseCpus(Double.toString(cpus));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("linux.resources.cpu.quota " + quota + " per period "
                        + period + ": a share of " + cpus + " CPUs; from 0.01 to "
                        + Runtime.getRuntime().availableProcessors());
            }
        }

        /** "/PARENT/NAME", or "PARENT/NAME": both under each hierarchy's ROOT. */
        static String cgroupsPath(String path) {
            if (path == null) return null;
            String relative = path.startsWith("/") ? path.substring(1) : path;
            String[] parts = relative.split("/", -1);
            if (parts.length != 2 || List.of(parts).stream().anyMatch(p -> p.isEmpty()
                    || p.equals(".") || p.equals(".."))) {
                throw new ConfigException("linux.cgroupsPath \"" + path + "\": step05 takes"
                        + " /PARENT/NAME, under the root of each cgroup hierarchy (jrunc takes"
                        + " any depth)");
            }
            return "/" + relative;
        }

        Map<String, String> annotations(Node annotations) {
            Map<String, String> map = new LinkedHashMap<>();
            if (annotations == null) return map;
            for (Iterator<String> names = annotations.json().fieldNames(); names.hasNext(); ) {
                String name = names.next();
                map.put(name, annotations.string(name, true));
            }
            return map;
        }
    }

    static ConfigException notHandled(String what) {
        return new ConfigException(what + ": not handled by step05 (jrunc handles it)");
    }

    static String absolute(String path, String field) {
        if (!path.startsWith("/") || List.of(path.split("/")).contains("..")) {
            throw new ConfigException(field + " \"" + path + "\": must be an absolute path"
                    + " without \"..\"");
        }
        return Path.of(path).normalize().toString();
    }

    static final Set<String> MOUNT_TYPES = Set.of("proc", "tmpfs", "sysfs", "devpts",
            "mqueue", "bind");

    static final Set<String> PROPAGATION = Set.of("private", "rprivate", "shared", "rshared",
            "slave", "rslave", "unbindable", "runbindable");

    // tag::mount-options[]
    /** Options that are mount(2) flags; the rest is data. */
    static final Map<String, Long> SET_FLAGS = Map.of(
            "ro", LibC.MS_RDONLY, "nosuid", LibC.MS_NOSUID,
            "nodev", LibC.MS_NODEV, "noexec", LibC.MS_NOEXEC,
            "bind", LibC.MS_BIND,
            "rbind", LibC.MS_BIND | LibC.MS_REC,
            "noatime", LibC.MS_NOATIME,
            "relatime", LibC.MS_RELATIME,
            "strictatime", LibC.MS_STRICTATIME,
            "sync", LibC.MS_SYNCHRONOUS);
    // end::mount-options[]

    /** For --verbose: flags by the kernel's names. */
    static final Map<Long, String> NAMESPACE_FLAGS = Map.of(
            (long) LibC.CLONE_NEWNS, "CLONE_NEWNS", (long) LibC.CLONE_NEWUTS, "CLONE_NEWUTS",
            (long) LibC.CLONE_NEWIPC, "CLONE_NEWIPC", (long) LibC.CLONE_NEWPID, "CLONE_NEWPID",
            (long) LibC.CLONE_NEWNET, "CLONE_NEWNET");
    static final Map<Long, String> MOUNT_FLAGS = Map.of(LibC.MS_RDONLY, "MS_RDONLY",
            LibC.MS_NOSUID, "MS_NOSUID", LibC.MS_NODEV, "MS_NODEV", LibC.MS_NOEXEC, "MS_NOEXEC",
            LibC.MS_SYNCHRONOUS, "MS_SYNCHRONOUS", LibC.MS_NOATIME, "MS_NOATIME",
            LibC.MS_BIND, "MS_BIND", LibC.MS_REC, "MS_REC", LibC.MS_RELATIME, "MS_RELATIME",
            LibC.MS_STRICTATIME, "MS_STRICTATIME");

    static String flagNames(long flags, Map<Long, String> names) {
        List<String> set = new ArrayList<>();
        names.forEach((flag, name) -> {
            if ((flags & flag) != 0) set.add(name);
        });
        java.util.Collections.sort(set);
        return set.isEmpty() ? "0" : String.join("|", set);
    }

    static final Map<String, Long> CLEAR_FLAGS = Map.of("rw", LibC.MS_RDONLY,
            "suid", LibC.MS_NOSUID, "dev", LibC.MS_NODEV, "exec", LibC.MS_NOEXEC,
            "atime", LibC.MS_NOATIME, "norelatime", LibC.MS_RELATIME,
            "async", LibC.MS_SYNCHRONOUS);

    /**
     * A JSON object at a known path (process, linux.namespaces[2]): typed getters that name
     * the field when it is missing or of the wrong type, and a record of which fields were
     * read, so that the others can be refused or warned about.
     */
    record Node(JsonNode json, String path, Set<String> read) {
        Node(JsonNode json, String path) {
            this(json, path, new HashSet<>());
            if (!json.isObject()) throw wrongType(path.isEmpty() ? "config.json" : path,
                    "an object", json);
        }

        String field(String name) {
            return path.isEmpty() ? name : path + "." + name;
        }

        JsonNode get(String name, boolean required) {
            read.add(name);
            JsonNode value = json.get(name);
            if (value != null && !value.isNull()) return value;
            if (required) throw new ConfigException(field(name) + ": missing (required)");
            return null;
        }

        String string(String name, boolean required) {
            JsonNode value = get(name, required);
            if (value == null) return null;
            if (!value.isTextual()) throw wrongType(field(name), "a string", value);
            return value.textValue();
        }

        boolean bool(String name) {
            JsonNode value = get(name, false);
            if (value == null) return false;
            if (!value.isBoolean()) throw wrongType(field(name), "true or false", value);
            return value.booleanValue();
        }

        Long integer(String name) {
            JsonNode value = get(name, false);
            if (value == null) return null;
            if (!value.isIntegralNumber() || !value.canConvertToLong()) {
                throw wrongType(field(name), "an integer", value);
            }
            return value.longValue();
        }

        Node object(String name, boolean required) {
            JsonNode value = get(name, required);
            return value == null ? null : new Node(value, field(name));
        }

        List<Node> array(String name) {
            JsonNode value = get(name, false);
            List<Node> nodes = new ArrayList<>();
            if (value == null) return nodes;
            if (!value.isArray()) throw wrongType(field(name), "an array", value);
            for (int i = 0; i < value.size(); i++) {
                nodes.add(new Node(value.get(i), field(name) + "[" + i + "]"));
            }
            return nodes;
        }

        List<String> strings(String name, boolean required) {
            JsonNode value = get(name, required);
            List<String> strings = new ArrayList<>();
            if (value == null) return strings;
            if (!value.isArray()) throw wrongType(field(name), "an array of strings", value);
            for (int i = 0; i < value.size(); i++) {
                if (!value.get(i).isTextual()) {
                    throw wrongType(field(name) + "[" + i + "]", "a string", value.get(i));
                }
                strings.add(value.get(i).textValue());
            }
            return strings;
        }

        /** Fields that would change behaviour, and that step05 does not implement. */
        void refuse(List<String> names) {
            for (String name : names) {
                if (json.has(name)) throw notHandled(field(name));
            }
        }

        void refuseAllBut(Set<String> handled) {
            for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!handled.contains(name)) throw notHandled(field(name));
            }
        }

        void warnUnknown(List<String> warnings) {
            for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!read.contains(name)) warnings.add(field(name) + ": unknown to step05, ignored");
            }
        }
    }

    static ConfigException wrongType(String field, String expected, JsonNode value) {
        return new ConfigException(field + ": expected " + expected + ", got "
                + value.getNodeType().name().toLowerCase() + " " + abbreviate(value.toString()));
    }

    static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
