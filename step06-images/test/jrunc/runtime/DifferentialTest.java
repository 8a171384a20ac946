package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * The same bundle under Debian's runc and under jrunc: a probe inside prints what a process
 * can observe, and both outputs must be equal. Each case starts from "runc spec" and
 * changes one part of config.json.
 */
class DifferentialTest {
    /** What a process can see of its container; busybox sh, run as the container's process. */
    static final String PROBE = """
            echo "hostname $(hostname) domainname $(cat /proc/sys/kernel/domainname)"
            echo "id $(id)"
            echo "umask $(umask) cwd $(pwd)"
            grep -E '^(Cap|NoNewPrivs)' /proc/self/status
            cat /proc/self/limits
            echo "oom_score_adj $(cat /proc/self/oom_score_adj)"
            env | grep -v '^PWD=' | sort
            echo "== mounts"
            awk '{ opt = ""; for (i = 7; $i != "-"; i++) { sub(/:[0-9]+/, "", $i); opt = opt " " $i }
                   print $5, $6, opt, $(i + 1), $(i + 2), $(i + 3) }' /proc/self/mountinfo
            echo "== masked and read-only"
            for p in /proc/kcore /proc/keys /proc/scsi /sys/firmware /proc/sys/kernel/hostname /etc/passwd; do
              if [ -d "$p" ]; then echo "$p dir $(ls -A "$p" 2>/dev/null | wc -l)"; else echo "$p $(head -c 8 "$p" 2>/dev/null | wc -c)"; fi
              (: >> "$p") 2>/dev/null && echo "$p writable" || echo "$p not writable"
            done
            echo "== namespaces"
            for n in cgroup ipc mnt net pid user uts; do echo "$n $(readlink /proc/self/ns/$n)"; done
            echo "uid_map $(cat /proc/self/uid_map) gid_map $(cat /proc/self/gid_map)"
            echo "owner of / $(stat -c '%u:%g' /) of /probe.sh $(stat -c '%u:%g' /probe.sh)"
            echo "== devices"
            ls -ln /dev | awk 'NR > 1 { print $1, $3, $4, $5, $6, $NF }'
            echo "== cgroup"
            for f in memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes pids/pids.max \\
                cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.shares; do
              echo "$f $(cat /sys/fs/cgroup/$f 2>&1)"
            done
            echo "== sysctl $(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/kernel/msgmax)"
            echo "== PID 1 $(ps -o pid,user,args | awk '$1 == 1 { $1 = ""; print }')"
            """;
    @TempDir
    static Path tmp;
    static Host before;

    @BeforeAll
    static void snapshot() throws IOException {
        Privileged.requireRoot();
        // The user namespace case runs as uid 100000 on the host: it must reach the bundles.
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        before = Host.snapshot(tmp);
    }

    @AfterAll
    static void nothingLeft() {
        if (before == null) return;
        Bundles.removeTree(tmp.resolve("bundles"));
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    static Arguments feature(String name, Consumer<ObjectNode> edit) {
        return Arguments.of(name, edit);
    }

    static ObjectNode process(ObjectNode c) {
        return (ObjectNode) c.get("process");
    }

    static ObjectNode linux(ObjectNode c) {
        return (ObjectNode) c.get("linux");
    }

    static ArrayNode strings(ObjectNode parent, String field, String... values) {
        ArrayNode array = parent.putArray(field);
        for (String v : values) array.add(v);
        return array;
    }

    static Stream<Arguments> features() {
        return Stream.of(
                feature("runc spec defaults", c -> {}),
                feature("user, groups, umask, cwd and env", c -> {
                    ObjectNode user = process(c).putObject("user");
                    user.put("uid", 1000).put("gid", 1000).put("umask", 63);
                    user.putArray("additionalGids").add(10).add(20);
                    process(c).put("cwd", "/tmp");
                    ((ArrayNode) process(c).get("env")).add("GREETING=hello world");
                }),
                feature("capabilities and no noNewPrivileges", c -> {
                    ObjectNode caps = process(c).putObject("capabilities");
                    for (String set : List.of("bounding", "effective", "permitted", "inheritable", "ambient")) {
                        strings(caps, set, "CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_KILL");
                    }
                    strings(caps, "bounding", "CAP_CHOWN", "CAP_NET_RAW", "CAP_SYS_ADMIN", "CAP_KILL",
                            "CAP_SETUID", "CAP_MKNOD");
                    process(c).put("noNewPrivileges", false);
                }),
                feature("rlimits and oomScoreAdj", c -> {
                    ArrayNode limits = process(c).putArray("rlimits");
                    limits.addObject().put("type", "RLIMIT_NOFILE").put("soft", 512).put("hard", 1024);
                    limits.addObject().put("type", "RLIMIT_NPROC").put("soft", 100).put("hard", 200);
                    limits.addObject().put("type", "RLIMIT_CORE").put("soft", 0).put("hard", 4096);
                    process(c).put("oomScoreAdj", 500);
                }),
                feature("hostname", c -> c.put("hostname", "probe")),
                feature("mounts: tmpfs, read-only bind, propagation, writable root", c -> {
                    ArrayNode mounts = (ArrayNode) c.get("mounts");
                    ObjectNode scratch = mounts.addObject().put("destination", "/scratch")
                            .put("type", "tmpfs").put("source", "tmpfs");
                    strings(scratch, "options", "nosuid", "nodev", "noexec", "mode=700", "size=1m");
                    ObjectNode bind = mounts.addObject().put("destination", "/shared")
                            .put("type", "bind").put("source", tmp.resolve("bundles/shared").toString());
                    strings(bind, "options", "rbind", "ro", "nosuid", "rprivate");
                    ObjectNode file = mounts.addObject().put("destination", "/etc/motd")
                            .put("type", "bind").put("source", tmp.resolve("bundles/shared/motd").toString());
                    strings(file, "options", "bind", "rw");
                    ((ObjectNode) c.get("root")).put("readonly", false);
                }),
                feature("resources: memory, pids, cpu", c -> {
                    ObjectNode r = (ObjectNode) linux(c).get("resources");
                    r.putObject("memory").put("limit", 64L << 20).put("reservation", 32L << 20);
                    r.putObject("pids").put("limit", 64);
                    r.putObject("cpu").put("quota", 20000).put("period", 100000).put("shares", 512);
                }),
                feature("sysctl", c -> linux(c).putObject("sysctl").put("net.ipv4.ip_forward", "1")
                        .put("kernel.msgmax", "4096")),
                feature("maskedPaths and readonlyPaths", c -> {
                    strings(linux(c), "maskedPaths", "/proc/keys", "/proc/scsi", "/etc/passwd");
                    strings(linux(c), "readonlyPaths", "/proc/sys", "/etc");
                }),
                feature("host network and ipc namespaces", c -> {
                    ArrayNode ns = (ArrayNode) linux(c).get("namespaces");
                    for (int i = ns.size() - 1; i >= 0; i--) {
                        String type = ns.get(i).get("type").asText();
                        if (type.equals("network") || type.equals("ipc")) ns.remove(i);
                    }
                    ((ObjectNode) c).remove("sysctl");
                }),
                feature("devices", c -> {
                    ObjectNode fuse = linux(c).putArray("devices").addObject().put("path", "/dev/fuse")
                            .put("type", "c").put("major", 10).put("minor", 229).put("fileMode", 0600)
                            .put("uid", 0).put("gid", 0);
                    ((ArrayNode) ((ObjectNode) linux(c).get("resources")).get("devices")).addObject()
                            .put("allow", true).put("type", "c").put("major", 10).put("minor", 229)
                            .put("access", "rwm");
                    assertEquals("/dev/fuse", fuse.get("path").asText());
                }),
                feature("rootfsPropagation private", c -> linux(c).put("rootfsPropagation", "private")),
                feature("user namespace with uid and gid mappings", c -> {
                    ((ArrayNode) linux(c).get("namespaces")).addObject().put("type", "user");
                    linux(c).putArray("uidMappings").addObject().put("containerID", 0)
                            .put("hostID", 100000).put("size", 65536);
                    linux(c).putArray("gidMappings").addObject().put("containerID", 0)
                            .put("hostID", 200000).put("size", 65536);
                    ObjectNode user = process(c).putObject("user");
                    user.put("uid", 1000).put("gid", 1000);
                    user.putArray("additionalGids").add(10);
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("features")
    void observesTheSameAsRunc(String name, Consumer<ObjectNode> edit) throws IOException {
        Path shared = tmp.resolve("bundles/shared");
        Files.createDirectories(shared);
        Files.writeString(shared.resolve("motd"), "hello\n");
        String slug = name.replaceAll("[^a-zA-Z]+", "-");
        // A cgroup at the top: runc would leave a parent directory behind.
        Path bundle = Bundles.create(tmp.resolve("bundles/" + slug), "/jrunc-diff-" + slug + LifecycleTest.RUN,
                List.of("sh", "/probe.sh"), edit);
        Files.writeString(bundle.resolve("rootfs/probe.sh"), PROBE);
        Command.Result runc = JruncTool.runc(tmp.resolve("runc-state"))
                .run("run", "--bundle", bundle.toString(), "diff-runc").assertExit(0);
        Command.Result jrunc = JruncTool.jrunc(tmp.resolve("jrunc-state"))
                .run("run", "--bundle", bundle.toString(), "diff-jrunc").assertExit(0);
        String expected = runc.stdout();
        if (name.startsWith("user namespace")) {
            // One known difference: runc mounts /dev/mqueue before it takes the container's
            // gid, so the kernel makes its root owned by the unmapped gid (shown as 65534).
            // jrunc's init is the container's root (0:0) before it mounts anything.
            String fixed = expected.replaceAll("(?m)^(d\\S+ 0) 65534 (.* mqueue)$", "$1 0 $2");
            assertNotEquals(expected, fixed, "runc's /dev/mqueue is no longer owned by gid 65534: drop this exception");
            expected = fixed;
        }
        assertEquals(normalise(expected), normalise(jrunc.stdout()),
                name + ": what the process sees differs (expected: runc, actual: jrunc)");
    }

    /** Namespace inodes become "host" or "new"; nothing else differs between two runs. */
    static String normalise(String probe) throws IOException {
        StringBuilder out = new StringBuilder();
        for (String line : probe.split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 2 && f[1].matches("[a-z]+:\\[\\d+\\]")) {
                String host = Files.readSymbolicLink(Path.of("/proc/self/ns/" + f[0])).toString();
                line = f[0] + (f[1].equals(host) ? " host" : " new");
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }
}
