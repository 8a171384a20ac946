package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import jrunc.json.JsonBinder;
import jrunc.linux.MountOptions;
import jrunc.spec.DefaultSpec;
import jrunc.spec.SpecException;
import jrunc.spec.SpecLoader;
import jrunc.spec.SpecValidator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * The commands engines call besides the lifecycle (update, events, features) and the spec
 * details they depend on (zero fields as "not set", tmpcopyup, warnings kept out of the
 * container's stdio). One container per runtime where runc is the reference.
 */
class EngineCommandsTest {
    static final List<String> CGROUP_FILES = List.of("memory/memory.limit_in_bytes",
            "memory/memory.memsw.limit_in_bytes", "memory/memory.soft_limit_in_bytes",
            "cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us", "cpu/cpu.shares", "pids/pids.max",
            "cpuset/cpuset.cpus");
    @TempDir
    static Path tmp;
    static Host before;

    @BeforeAll
    static void snapshot() {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
    }

    @AfterAll
    static void nothingLeft() {
        if (before == null) return;
        Bundles.removeTree(tmp.resolve("bundles"));
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    /** runc spec's defaults, three processes, Docker's zero and empty resource fields. */
    static Path limitedBundle(String name, String cgroup) {
        return Bundles.create(tmp.resolve("bundles/" + name), cgroup,
                List.of("sh", "-c", "sleep 600 & sleep 600 & wait"), c -> {
                    ObjectNode r = ((ObjectNode) c.get("linux")).putObject("resources");
                    r.putObject("memory").put("limit", 64L << 20).put("swap", 128L << 20);
                    r.putObject("cpu").put("shares", 512).put("quota", 0).put("cpus", "");
                    r.putObject("pids").put("limit", 50);
                    r.putObject("blockIO").put("weight", 0);
                    r.putArray("hugepageLimits");
                    r.putObject("network");
                    r.putArray("devices").addObject().put("allow", false).put("access", "rwm");
                    ((ObjectNode) c.get("linux")).putArray("devices");
                });
    }

    @Test
    void updateWritesWhatRuncWritesAndEventsReadsTheCgroup() throws Exception {
        String cgroupJ = "/jrunc-ec-jrunc" + LifecycleTest.RUN, cgroupR = "/jrunc-ec-runc" + LifecycleTest.RUN;
        JruncTool jrunc = JruncTool.jrunc(tmp.resolve("jrunc-state"));
        JruncTool runc = JruncTool.runc(tmp.resolve("runc-state"));
        Command.Result created = jrunc.run("run", "-d", "--bundle",
                limitedBundle("jrunc", cgroupJ).toString(), "upd").assertExit(0);
        assertEquals("", created.stderr(), "runc spec's defaults and zero fields: no warning");
        runc.run("run", "-d", "--bundle", limitedBundle("runc", cgroupR).toString(), "upd").assertExit(0);
        try {
            String[] flags = {"update", "--memory", "48m", "--memory-swap", "96m",
                    "--memory-reservation", "16m", "--cpu-quota", "50000", "--cpu-period", "200000",
                    "--cpu-share", "256", "--cpuset-cpus", "0", "--pids-limit", "20", "upd"};
            jrunc.run(flags).assertExit(0);
            runc.run(flags).assertExit(0);
            // As containerd's shim sends it: JSON on stdin; quota alone keeps the period.
            String json = "{\"memory\": {\"limit\": 41943040}, \"cpu\": {\"quota\": 30000},"
                    + " \"pids\": {\"limit\": 30}, \"blockIO\": {\"weight\": 0}}";
            withStdin(jrunc, json, "update", "--resources", "-", "upd").assertExit(0);
            withStdin(runc, json, "update", "--resources", "-", "upd").assertExit(0);
            Map<String, String> jruncFiles = cgroupFiles(cgroupJ);
            assertEquals(cgroupFiles(cgroupR), jruncFiles, "cgroup files after two updates"
                    + " (expected: runc, actual: jrunc)");
            assertEquals(List.of("41943040", "100663296", "16777216", "30000", "200000", "256", "30", "0"),
                    List.copyOf(jruncFiles.values()), "the values asked for");

            Command.Result badSize = jrunc.run("update", "--memory", "12x", "upd").assertExit(1);
            runc.run("update", "--memory", "12x", "upd").assertExit(1);
            assertTrue(badSize.stderr().contains("invalid value for --memory: 12x"), badSize.stderr());
            var blkio = assertThrows(SpecException.class, () -> SpecValidator.validateUpdate(
                    JsonBinder.read("{\"blockIO\": {\"weight\": 500}}", jrunc.spec.Spec.Resources.class)));
            assertEquals("linux.resources.blockIO.weight: not supported by jrunc", blkio.getMessage());
            Path log = tmp.resolve("update-log.json");
            Command.Result kernel = jrunc.run("--log", log.toString(), "--log-format", "json",
                    "update", "--kernel-memory", "8m", "upd").assertExit(0);
            runc.run("update", "--kernel-memory", "8m", "upd").assertExit(0);
            assertEquals("", kernel.stderr(), "with --log, the warning goes to the log only");
            assertTrue(Files.readString(log).matches("\\{\"level\":\"warning\",\"msg\":\"linux.resources"
                    + ".memory.kernel and kernelTCP are ignored[^\"]*\",\"time\":\"[0-9T:Z-]+\"}\n"),
                    Files.readString(log));

            // events --stats: the cgroup's own counters, in runc's field names.
            JsonNode stats = Bundles.JSON.readTree(jrunc.run("events", "--stats", "upd").assertExit(0).stdout());
            assertEquals("stats", stats.path("type").asText());
            assertEquals("upd", stats.path("id").asText());
            JsonNode data = stats.path("data");
            assertEquals(3, data.path("pids").path("current").asLong(), "sh and its two sleeps: " + data);
            assertEquals(read(cgroupJ, "pids/pids.current"), data.path("pids").path("current").asText());
            assertEquals(30, data.path("pids").path("limit").asLong());
            assertEquals(41943040, data.path("memory").path("usage").path("limit").asLong());
            assertTrue(data.path("memory").path("usage").path("usage").asLong() > 0, data.toString());
            assertTrue(data.path("cpu").path("usage").path("total").asLong() > 0, data.toString());
            JsonNode runcStats = Bundles.JSON.readTree(runc.run("events", "--stats", "upd").assertExit(0).stdout());
            TreeSet<String> extra = fieldPaths(stats, "");
            extra.removeAll(fieldPaths(runcStats, ""));
            extra.removeIf(p -> p.startsWith(".data.memory.raw."));
            assertEquals(new TreeSet<>(), extra, "fields runc does not print");

            // The stream: a line every --interval, and the end of it when the container stops.
            List<String> argv = new ArrayList<>(jrunc.launcher);
            argv.addAll(List.of("--root", jrunc.root.toString(), "events", "--interval", "200ms", "upd"));
            Process events = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(events.getInputStream()))) {
                for (int i = 0; i < 2; i++) {
                    JsonNode event = Bundles.JSON.readTree(lines.readLine());
                    assertEquals(30, event.path("data").path("pids").path("limit").asLong(), event.toString());
                }
                jrunc.run("kill", "upd", "KILL").assertExit(0);
                assertTrue(events.waitFor(20, TimeUnit.SECONDS), "events still runs after the container stopped");
                assertEquals(0, events.exitValue());
            } finally {
                events.destroyForcibly();
            }
            Command.Result stopped = jrunc.run("update", "--memory", "32m", "upd").assertExit(1);
            assertTrue(stopped.stderr().contains("cannot update container upd: it is stopped"), stopped.stderr());
        } finally {
            jrunc.run("delete", "--force", "upd");
            runc.run("delete", "--force", "upd");
        }
    }

    static Command.Result withStdin(JruncTool tool, String input, String... args) {
        List<String> argv = new ArrayList<>(tool.launcher);
        argv.addAll(List.of("--root", tool.root.toString()));
        argv.addAll(List.of(args));
        return Command.of(argv).stdin(input).timeout(Duration.ofSeconds(60)).run();
    }

    static Map<String, String> cgroupFiles(String cgroup) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String file : CGROUP_FILES) values.put(file, read(cgroup, file));
        return values;
    }

    static String read(String cgroup, String file) {
        String controller = file.substring(0, file.indexOf('/'));
        try {
            return Files.readString(Path.of("/sys/fs/cgroup", controller, cgroup,
                    file.substring(controller.length() + 1))).trim();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static TreeSet<String> fieldPaths(JsonNode node, String prefix) {
        TreeSet<String> paths = new TreeSet<>();
        node.fields().forEachRemaining(e -> {
            paths.add(prefix + "." + e.getKey());
            if (e.getValue().isObject()) paths.addAll(fieldPaths(e.getValue(), prefix + "." + e.getKey()));
        });
        return paths;
    }

    @Test
    void tmpcopyupShowsTheRootfsFilesAndWarningsStayOutOfTheContainersStderr() throws Exception {
        String probe = "ls /etc | wc -l; stat -c '%a %u:%g %s %F' /etc /etc/passwd;"
                + " echo more >> /etc/passwd && tail -1 /etc/passwd; echo to-stderr >&2";
        Path bundle = Bundles.create(tmp.resolve("bundles/copyup"), "/jrunc-ec-copyup" + LifecycleTest.RUN,
                List.of("sh", "-c", probe), c -> {
                    ((ArrayNode) c.get("mounts")).addObject().put("destination", "/etc")
                            .put("type", "tmpfs").put("source", "tmpfs").putArray("options")
                            .add("nosuid").add("tmpcopyup").add("mode=700");
                    // Not a terminal: a warning that jrunc prints on every run.
                    ((ObjectNode) c.get("process")).putObject("consoleSize").put("height", 24).put("width", 80);
                });
        Path passwd = bundle.resolve("rootfs/etc/passwd");
        byte[] original = Files.readAllBytes(passwd);
        Command.Result runc = JruncTool.runc(tmp.resolve("runc-state")).run("run", "--bundle",
                bundle.toString(), "copyup").assertExit(0);
        Path log = tmp.resolve("run-log.json");
        Command.Result jrunc = JruncTool.jrunc(tmp.resolve("jrunc-state")).run("--log", log.toString(),
                "--log-format", "json", "run", "--bundle", bundle.toString(), "copyup").assertExit(0);
        assertEquals(runc.stdout(), jrunc.stdout(), "what the process sees (expected: runc, actual: jrunc)");
        assertTrue(jrunc.stdout().contains("\nmore\n"), jrunc.stdout());
        try (var entries = Files.list(bundle.resolve("rootfs/etc"))) {
            assertEquals(Long.toString(entries.count()), jrunc.stdout().lines().findFirst().orElseThrow().trim(),
                    "the rootfs's /etc is in the tmpfs: " + jrunc.stdout());
        }
        assertEquals(new String(original), Files.readString(passwd), "the rootfs's own file is untouched");
        assertEquals("to-stderr\n", jrunc.stderr(), "the container's stderr holds only its own text");
        assertTrue(Files.readString(log).matches("\\{\"level\":\"warning\",\"msg\":\"process.consoleSize"
                + " is ignored without process.terminal\",\"time\":\"[0-9T:Z-]+\"}\n"), Files.readString(log));
    }

    @Test
    void featuresListsWhatCreateAcceptsAndNothingElse() throws Exception {
        JsonNode features = Bundles.JSON.readTree(JruncTool.jrunc(tmp.resolve("jrunc-state"))
                .run("features").assertExit(0).stdout());
        JsonNode runcFeatures = Bundles.JSON.readTree(JruncTool.runc(tmp.resolve("runc-state"))
                .run("features").assertExit(0).stdout());
        JsonNode linux = features.path("linux");
        assertEquals(runcFeatures.path("linux").path("capabilities"), linux.path("capabilities"),
                "the kernel's capability names, in number order");
        for (JsonNode option : features.path("mountOptions")) {
            accepted(c -> tmpfs(c, "/mnt").add(option.asText()), "mount option " + option);
            assertEquals("", MountOptions.parse(List.of(option.asText())).data(),
                    option + " is jrunc's own word, not passed to the filesystem");
        }
        for (JsonNode option : runcFeatures.path("mountOptions")) {
            if (contains(features.path("mountOptions"), option.asText())) continue;
            // Either refused by name, or passed on to the filesystem as data.
            try {
                accepted(c -> tmpfs(c, "/mnt").add(option.asText()), "");
                assertEquals(option.asText(), MountOptions.parse(List.of(option.asText())).data());
            } catch (SpecException refused) {
                assertTrue(refused.getMessage().contains("not supported by jrunc"), refused.getMessage());
            }
        }
        for (JsonNode ns : linux.path("namespaces")) {
            accepted(c -> {
                c.remove("hostname");
                ArrayNode list = ((ObjectNode) c.get("linux")).putArray("namespaces");
                list.addObject().put("type", "mount");
                if (!ns.asText().equals("mount")) {
                    list.addObject().put("type", ns.asText()).put("path", "/proc/self/ns/"
                            + jrunc.linux.Namespaces.procName(ns.asText()));
                }
            }, "namespace " + ns);
        }
        for (JsonNode cap : linux.path("capabilities")) {
            accepted(c -> ((ArrayNode) c.get("process").get("capabilities").get("bounding"))
                    .add(cap.asText()), "capability " + cap);
        }
        JsonNode seccomp = linux.path("seccomp");
        assertTrue(seccomp.path("enabled").asBoolean());
        for (JsonNode action : seccomp.path("actions")) {
            for (JsonNode op : seccomp.path("operators")) {
                accepted(c -> seccomp(c, action.asText(), op.asText(), "SCMP_ARCH_X86_64"), action + " " + op);
            }
        }
        for (JsonNode arch : seccomp.path("archs")) {
            accepted(c -> seccomp(c, "SCMP_ACT_ALLOW", "SCMP_CMP_EQ", arch.asText()), "arch " + arch);
        }
        assertTrue(!contains(seccomp.path("actions"), "SCMP_ACT_NOTIFY"));
        assertThrows(SpecException.class, () -> accepted(c -> seccomp(c, "SCMP_ACT_NOTIFY",
                "SCMP_CMP_EQ", "SCMP_ARCH_X86_64"), "SCMP_ACT_NOTIFY"));
        assertEquals(false, linux.path("cgroup").path("systemd").asBoolean(true));
        assertEquals(false, linux.path("apparmor").path("enabled").asBoolean(true));
    }

    static ArrayNode tmpfs(ObjectNode config, String destination) {
        ObjectNode mount = ((ArrayNode) config.get("mounts")).addObject();
        mount.put("destination", destination).put("type", "tmpfs").put("source", "/tmp");
        return mount.putArray("options");
    }

    static void seccomp(ObjectNode config, String action, String op, String arch) {
        ObjectNode s = ((ObjectNode) config.get("linux")).putObject("seccomp");
        s.put("defaultAction", "SCMP_ACT_ALLOW").putArray("architectures").add(arch);
        ObjectNode rule = s.putArray("syscalls").addObject().put("action", action);
        rule.putArray("names").add("mkdir");
        rule.putArray("args").addObject().put("index", 1).put("value", 0).put("op", op);
    }

    static boolean contains(JsonNode array, String value) {
        for (JsonNode v : array) if (v.asText().equals(value)) return true;
        return false;
    }

    /** jrunc's default spec, edited, passes create's validation (else the SpecException). */
    static void accepted(java.util.function.Consumer<ObjectNode> edit, String what) throws Exception {
        ObjectNode config = (ObjectNode) Bundles.JSON.readTree(DefaultSpec.json());
        edit.accept(config);
        SpecValidator.validate(SpecLoader.parse(config.toString(), what));
    }
}
