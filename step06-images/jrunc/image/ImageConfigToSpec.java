package jrunc.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns an image's config (what its author wanted: Entrypoint, Cmd, Env, WorkingDir, User)
 * plus the user's {@code run} options into an OCI runtime-spec config.json, the way docker
 * combines them: the arguments after the image name replace Cmd, never Entrypoint; {@code -e}
 * overrides Env by name; {@code -w} overrides WorkingDir.
 */
public final class ImageConfigToSpec {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    static final List<String> DEFAULT_CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID",
            "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP",
            "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    /**
     * What {@code run} lets the user change. Nulls and empty lists mean "as the image says".
     *
     * @param entrypoint replaces the image's Entrypoint (and then its Cmd too, as docker does)
     * @param memoryBytes cgroup memory limit, null for none
     * @param cpus        a fraction of CPUs (1.5 = one and a half), null for none
     * @param pids        the most processes, null for none
     */
    public record Overrides(List<String> command, List<String> entrypoint, List<String> env, String workdir,
            String user, String hostname, boolean terminal, Long memoryBytes, Double cpus, Long pids) {
        public static Overrides none() {
            return new Overrides(List.of(), null, List.of(), null, null, null, false, null, null, null);
        }
    }

    private ImageConfigToSpec() {}

    /**
     * @param imageConfig the image's config blob (with its {@code config} section)
     * @param rootfsPath  root.path of the spec, relative to the bundle or absolute
     * @param files       reads /etc/passwd and /etc/group of the image for named users
     */
    public static ObjectNode toSpec(JsonNode imageConfig, Overrides o, String rootfsPath, ImageFiles files) throws IOException {
        JsonNode c = imageConfig.path("config");
        ObjectNode spec = JSON.createObjectNode();
        spec.put("ociVersion", "1.0.2");

        ObjectNode process = spec.putObject("process");
        process.put("terminal", o.terminal());
        ObjectNode user = process.putObject("user");
        int[] ids = resolveUser(o.user() != null ? o.user() : c.path("User").asText(""), files);
        user.put("uid", ids[0]);
        user.put("gid", ids[1]);
        process.set("args", strings(args(c, o)));
        process.set("env", strings(env(c, o)));
        process.put("cwd", cwd(c, o));
        ObjectNode caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) caps.set(set, strings(DEFAULT_CAPABILITIES));
        ObjectNode nofile = process.putArray("rlimits").addObject();
        nofile.put("type", "RLIMIT_NOFILE").put("hard", 1024).put("soft", 1024);
        process.put("noNewPrivileges", true);

        spec.putObject("root").put("path", rootfsPath).put("readonly", false);
        spec.put("hostname", o.hostname() != null ? o.hostname() : "jrunc");
        spec.set("mounts", defaultMounts());
        spec.set("linux", linux(o));
        return spec;
    }

    /** Entrypoint + Cmd; run's arguments replace Cmd; a new Entrypoint drops the image's Cmd. */
    static List<String> args(JsonNode c, Overrides o) {
        // tag::args[]
        List<String> entrypoint = o.entrypoint() != null
                ? o.entrypoint() : list(c.path("Entrypoint"));
        List<String> cmd;
        if (!o.command().isEmpty()) cmd = o.command();
        else if (o.entrypoint() != null) cmd = List.of();
        else cmd = list(c.path("Cmd"));
        List<String> args = new ArrayList<>(entrypoint);
        args.addAll(cmd);
        // end::args[]
        if (args.isEmpty()) {
            throw new IllegalArgumentException("the image has no Entrypoint or Cmd:"
                    + " name the command after the image, e.g. run IMAGE /bin/sh");
        }
        return args;
    }

    static List<String> env(JsonNode c, Overrides o) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : list(c.path("Env"))) put(env, kv);
        env.putIfAbsent("PATH", DEFAULT_PATH.substring("PATH=".length()));
        if (o.terminal()) env.putIfAbsent("TERM", "xterm");
        for (String kv : o.env()) put(env, kv);
        List<String> out = new ArrayList<>();
        env.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    private static void put(Map<String, String> env, String kv) {
        int eq = kv.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("invalid environment variable '" + kv + "': expected NAME=VALUE");
        env.put(kv.substring(0, eq), kv.substring(eq + 1));
    }

    static String cwd(JsonNode c, Overrides o) {
        String cwd = o.workdir() != null ? o.workdir() : c.path("WorkingDir").asText("");
        if (cwd.isEmpty()) return "/";
        if (!cwd.startsWith("/")) throw new IllegalArgumentException("working directory '" + cwd + "' is not absolute");
        return cwd;
    }

    /** "", "uid", "uid:gid", "name" or "name:group", names looked up in the image's files. */
    static int[] resolveUser(String spec, ImageFiles files) throws IOException {
        if (spec.isEmpty()) return new int[] {0, 0};
        String[] parts = spec.split(":", 2);
        String[] passwd = lookup(files, "etc/passwd", parts[0]);
        int uid = number(parts[0]).orElseGet(() -> passwd == null ? -1 : Integer.parseInt(passwd[2]));
        if (uid < 0) throw new IllegalArgumentException("user '" + parts[0] + "' not found in the image's /etc/passwd");
        if (parts.length == 1) return new int[] {uid, passwd != null ? Integer.parseInt(passwd[3]) : 0};
        String[] group = lookup(files, "etc/group", parts[1]);
        int gid = number(parts[1]).orElseGet(() -> group == null ? -1 : Integer.parseInt(group[2]));
        if (gid < 0) throw new IllegalArgumentException("group '" + parts[1] + "' not found in the image's /etc/group");
        return new int[] {uid, gid};
    }

    private static String[] lookup(ImageFiles files, String file, String name) throws IOException {
        Optional<String> content = files.read(file);
        if (content.isEmpty()) return null;
        for (String line : content.get().split("\n")) {
            String[] fields = line.split(":", -1);
            if (fields.length >= 3 && (fields[0].equals(name) || fields[2].equals(name))) return fields;
        }
        return null;
    }

    private static Optional<Integer> number(String s) {
        return s.matches("[0-9]+") ? Optional.of(Integer.parseInt(s)) : Optional.empty();
    }

    private static List<String> list(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array.isArray()) array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode a = JSON.createArrayNode();
        values.forEach(a::add);
        return a;
    }

    private static ArrayNode defaultMounts() {
        ArrayNode mounts = JSON.createArrayNode();
        mount(mounts, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        return mounts;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", destination).put("type", type).put("source", source);
        m.set("options", strings(List.of(options)));
    }

    private static ObjectNode linux(Overrides o) {
        ObjectNode linux = JSON.createObjectNode();
        ArrayNode namespaces = linux.putArray("namespaces");
        for (String ns : List.of("pid", "network", "ipc", "uts", "mount")) namespaces.addObject().put("type", ns);
        ObjectNode resources = linux.putObject("resources");
        if (o.memoryBytes() != null) resources.putObject("memory").put("limit", o.memoryBytes());
        if (o.cpus() != null) {
            long period = 100_000;
            resources.putObject("cpu").put("quota", Math.round(o.cpus() * period)).put("period", period);
        }
        if (o.pids() != null) resources.putObject("pids").put("limit", o.pids());
        linux.set("maskedPaths", strings(List.of("/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi")));
        linux.set("readonlyPaths", strings(List.of("/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
                "/proc/sys", "/proc/sysrq-trigger")));
        return linux;
    }
}
