package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import jrunc.linux.DeviceFilter;
import jrunc.linux.DeviceRules;
import jrunc.spec.Spec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Workshop;

/**
 * A container granted CAP_MKNOD makes device nodes for a loop device, fuse, a disk and
 * /dev/mem in its own /tmp and tries to open them (read-only, nothing is ever written): the
 * device rules must refuse them (EPERM) as runc does, with or without linux.resources.devices,
 * while the standard devices stay usable. The same probe runs under the cgroup v2 eBPF
 * program on this host's cgroup2 hierarchy, and in the v2 VM (CgroupV2VmTest).
 */
class DeviceRulesTest {
    /** busybox sh; $1 is where the nodes are made. Prints one line per device. */
    static final String PROBE = """
            dir=$1
            for node in "loop0 b 7 0" "fuse c 10 229" "sda b 8 0" "mem c 1 1"; do
              set -- $node
              mknod "$dir/$1" $2 $3 $4 2>/dev/null && echo "mknod $1 ok" || echo "mknod $1 failed"
            done
            for d in $dir/loop0 $dir/fuse $dir/sda $dir/mem /dev/null /dev/zero /dev/full /dev/urandom /dev/tty /dev/ptmx; do
              if err=$( (exec 3<"$d") 2>&1 ); then echo "open ${d##*/} ok"; else echo "open ${d##*/} ${err##*: }"; fi
            done
            """;
    static final String EPERM = "Operation not permitted";

    @TempDir
    static Path tmp;
    static Host before;

    @BeforeAll
    static void snapshot() {
        if (Workshop.isRoot()) before = Host.snapshot(tmp);
    }

    @AfterAll
    static void nothingLeft() {
        if (before == null) return;
        Bundles.removeTree(tmp.resolve("bundles"));
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    /** CAP_MKNOD in every set, and a tmpfs /tmp that allows device nodes (the root is read-only). */
    static void mknodAllowed(ObjectNode config) {
        ObjectNode caps = (ObjectNode) config.get("process").get("capabilities");
        for (String set : List.of("bounding", "effective", "permitted", "inheritable", "ambient")) {
            ArrayNode list = caps.has(set) ? (ArrayNode) caps.get(set) : caps.putArray(set);
            list.add("CAP_MKNOD");
        }
        ObjectNode tmpfs = ((ArrayNode) config.get("mounts")).addObject()
                .put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs");
        tmpfs.putArray("options").add("nosuid").add("mode=1777");
    }

    static Stream<Arguments> configs() {
        return Stream.of(
                Arguments.of("no linux.resources", (Consumer<ObjectNode>) c ->
                        ((ObjectNode) c.get("linux")).remove("resources")),
                Arguments.of("resources without devices", (Consumer<ObjectNode>) c ->
                        ((ObjectNode) c.get("linux")).putObject("resources").putObject("pids")
                                .put("limit", 100)),
                Arguments.of("deny all, then an allow for fuse", (Consumer<ObjectNode>) c ->
                        ((ArrayNode) c.get("linux").get("resources").get("devices")).addObject()
                                .put("allow", true).put("type", "c").put("major", 10)
                                .put("minor", 229).put("access", "r")),
                // runc denies everything first, also when the config's list does not.
                Arguments.of("only an allow for fuse, no deny all", (Consumer<ObjectNode>) c ->
                        ((ObjectNode) c.get("linux").get("resources")).putArray("devices").addObject()
                                .put("allow", true).put("type", "c").put("major", 10)
                                .put("minor", 229).put("access", "r")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void disallowedDevicesAreRefusedAsUnderRunc(String name, Consumer<ObjectNode> edit) throws IOException {
        Privileged.requireRoot();
        String slug = name.replaceAll("[^a-zA-Z]+", "-");
        Path bundle = Bundles.create(tmp.resolve("bundles/" + slug), "/jrunc-devices-" + slug
                        + LifecycleTest.RUN, List.of("sh", "-c", "sh /probe.sh /tmp;"
                        + " echo '== devices.list'; sort /sys/fs/cgroup/devices/devices.list"),
                c -> {
                    mknodAllowed(c);
                    edit.accept(c);
                });
        Files.writeString(bundle.resolve("rootfs/probe.sh"), PROBE);
        String runc = JruncTool.runc(tmp.resolve("runc-state"))
                .run("run", "--bundle", bundle.toString(), "devices-runc").assertExit(0).stdout();
        String jrunc = JruncTool.jrunc(tmp.resolve("jrunc-state"))
                .run("run", "--bundle", bundle.toString(), "devices-jrunc").assertExit(0).stdout();
        assertEquals(runc, jrunc, name + ": what the container can open (expected: runc, actual: jrunc)");
        boolean fuseAllowed = name.contains("for fuse");
        assertEquals(expected(fuseAllowed), opens(jrunc), name + ": " + jrunc);
        assertTrue(jrunc.contains("\nc 1:3 rwm\n"), "the standard list in devices.list: " + jrunc);
        assertFalse(jrunc.contains("a *:* rwm"), "no allow-all left in devices.list: " + jrunc);
    }

    /** What the probe must print: nodes can be made, only the standard ones (and fuse if allowed) opened. */
    static Map<String, String> expected(boolean fuseAllowed) {
        Map<String, String> open = new LinkedHashMap<>();
        for (String node : List.of("loop0", "fuse", "sda", "mem")) open.put("mknod " + node, "ok");
        open.put("open loop0", EPERM);
        open.put("open fuse", fuseAllowed ? "ok" : EPERM);
        open.put("open sda", EPERM);
        open.put("open mem", EPERM);
        for (String dev : List.of("null", "zero", "full", "urandom")) open.put("open " + dev, "ok");
        // No controlling terminal: the device rules allow /dev/tty, the tty driver refuses.
        open.put("open tty", "No such device or address");
        open.put("open ptmx", "ok");
        return open;
    }

    static Map<String, String> opens(String probe) {
        Map<String, String> found = new LinkedHashMap<>();
        for (String line : probe.lines().toList()) {
            if (line.startsWith("== ")) break;
            String[] words = line.split(" ", 3);
            found.put(words[0] + " " + words[1], words[2]);
        }
        return found;
    }

    static Stream<Arguments> policies() {
        return Stream.of(
                Arguments.of("the standard list", List.of(), false),
                // Allow-by-default with deny exceptions: a deny matches any access it names.
                Arguments.of("allow all, deny reading block devices, deny c 1:1 rw", List.of(
                        new Spec.DeviceRule(true, "a", null, null, "rwm"),
                        new Spec.DeviceRule(false, "b", null, null, "r"),
                        new Spec.DeviceRule(false, "c", 1L, 1L, "rw")), true));
    }

    /**
     * cgroup v2's eBPF program from the same rules, attached to a cgroup of this host's cgroup2
     * hierarchy (hybrid hosts have one too): a shell that moves itself in gets the answers the
     * v1 devices controller gives.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void theEbpfProgramGivesTheSameAnswersOnCgroupV2(String name, List<Spec.DeviceRule> rules,
            boolean fuseAllowed) throws IOException {
        Privileged.requireRoot();
        Path unified = Files.exists(Path.of("/sys/fs/cgroup/unified/cgroup.procs"))
                ? Path.of("/sys/fs/cgroup/unified") : Path.of("/sys/fs/cgroup");
        Path cgroup = unified.resolve("jrunc-devices-ebpf" + LifecycleTest.RUN);
        Path nodes = Files.createDirectories(tmp.resolve("ebpf-nodes"));
        Path probe = Files.writeString(tmp.resolve("probe.sh"), PROBE);
        Files.createDirectory(cgroup);
        try {
            DeviceFilter.attach(DeviceRules.Policy.of(DeviceRules.forContainer(rules)), cgroup);
            Command.Result r = Command.of("setsid", "sh", "-c", "echo $$ > " + cgroup
                    + "/cgroup.procs && exec sh " + probe + " " + nodes).run().assertExit(0);
            assertEquals(expected(fuseAllowed), opens(r.stdout()), name + ": " + r.stdout());
        } finally {
            Bundles.removeTree(nodes);
            Command.of("rmdir", cgroup.toString()).run().assertExit(0);
        }
    }

    /**
     * A kernel that refuses the program (here: root without capabilities, so bpf(2) answers
     * EPERM) makes create fail with a message naming the field and the errno; nothing is
     * attached, so nothing could run unprotected.
     */
    @Test
    void aRefusedProgramIsAnErrorThatNamesTheFieldAndTheErrno() throws IOException {
        Privileged.requireRoot();
        Path unified = Files.exists(Path.of("/sys/fs/cgroup/unified/cgroup.procs"))
                ? Path.of("/sys/fs/cgroup/unified") : Path.of("/sys/fs/cgroup");
        Path cgroup = unified.resolve("jrunc-devices-refused" + LifecycleTest.RUN);
        Files.createDirectory(cgroup);
        try {
            Command.Result r = Command.javaMain(AttachProgram.class.getName(), cgroup.toString())
                    .wrappedIn("setpriv", "--bounding-set=-all", "--inh-caps=-all").run();
            assertEquals(3, r.exitCode(), r.stdout() + r.stderr());
            assertTrue(r.stderr().startsWith("linux.resources.devices: cgroup v2 enforces device"
                    + " rules with an eBPF program, and bpf(BPF_PROG_LOAD) failed: EPERM"
                    + " (Operation not permitted)\n  hint: loading an eBPF program needs"
                    + " CAP_SYS_ADMIN"), r.stderr());
        } finally {
            Command.of("rmdir", cgroup.toString()).run().assertExit(0);
        }
    }

    /** Attaches the standard rules' program to the cgroup named by args[0]; exit 3 on refusal. */
    static final class AttachProgram {
        public static void main(String[] args) {
            try {
                DeviceFilter.attach(DeviceRules.Policy.of(DeviceRules.forContainer(null)), Path.of(args[0]));
            } catch (jrunc.linux.Cgroups.CgroupException e) {
                System.err.print(e.getMessage());
                System.exit(3);
            }
        }
    }

    /** How the rules combine, as the v1 devices controller combines the same lines. */
    @Test
    void rulesCombineAsTheDevicesControllerCombinesThem() {
        var standard = DeviceRules.Policy.of(DeviceRules.forContainer(null));
        assertFalse(standard.defaultAllow());
        assertEquals(List.of("c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm",
                        "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm"),
                standard.exceptions().stream().map(DeviceRules.Rule::cgroupV1).toList());

        // A privileged container's "allow a": nothing is left to check.
        var all = DeviceRules.Policy.of(DeviceRules.forContainer(List.of(
                new Spec.DeviceRule(true, "a", null, null, "rwm"))));
        assertTrue(all.defaultAllow());
        assertEquals(List.of(), all.exceptions());

        // runc appends its list after config.json's: a config cannot take /dev/null away, but
        // an access it adds to a standard device merges with it.
        var merged = DeviceRules.Policy.of(DeviceRules.forContainer(List.of(
                new Spec.DeviceRule(false, "c", 1L, 3L, "rwm"),
                new Spec.DeviceRule(true, "c", 10L, 229L, "r"),
                new Spec.DeviceRule(true, "c", 10L, 229L, "w"))));
        assertTrue(merged.exceptions().stream().map(DeviceRules.Rule::cgroupV1).toList()
                .containsAll(List.of("c 1:3 rwm", "c 10:229 rw")), merged.toString());
    }
}
