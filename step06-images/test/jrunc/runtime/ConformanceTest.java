package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * Bundles written straight from the runtime-spec, where jrunc once did less than runc: the
 * same config under both, and what the container's process sees must be the same.
 */
class ConformanceTest {
    static final String CGROUP = "/jrunc-conf" + LifecycleTest.RUN;
    /** Each line: what a process sees of one feature (the first word names it). */
    static final String PROBE = """
            echo "hostname$(hostname | od -An -tx1)"
            echo "cwd $(pwd) $(stat -c '%a %u:%g' .) args $0 $1 env $GREETING"
            grep -E '^Max (address space|data size|stack size|processes) ' /proc/self/limits
            echo "memory $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)\\
             $(head -1 /sys/fs/cgroup/memory/memory.oom_control)"
            echo "cgroup $(readlink /proc/self/ns/cgroup)"
            echo "cgroups $(cut -d: -f3 /proc/self/cgroup | sort -u)"
            echo "lo $(ip -o link show lo | cut -d' ' -f3)"
            awk '{ tags = ""; for (i = 7; $i != "-"; i++) { sub(/:[0-9]+/, "", $i); tags = tags " " $i }
                   print "mount", $5, $6, tags }' /proc/self/mountinfo
            """;
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
        Bundles.removeTree(tmp.resolve("bundle"));
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    static ObjectNode at(ObjectNode c, String field) {
        return (ObjectNode) c.get(field);
    }

    /** jrunc as a caller without a UTF-8 locale starts it (cron, systemd, env -i). */
    static JruncTool jruncWithoutUtf8Locale() {
        List<String> launcher = new ArrayList<>(List.of("env", "LC_ALL=C", "LANG="));
        launcher.addAll(Command.javaLauncher());
        launcher.add("jrunc.cli.Jrunc");
        return JruncTool.launchedBy(tmp.resolve("jrunc-state"), launcher);
    }

    /**
     * Items of the runtime-spec that runc supports, in one config: shared root propagation,
     * kernel memory (warned about), rlimits no JVM lives under, a non-ASCII hostname, cwd,
     * argument and value, a cgroup namespace, a network namespace's lo, no ociVersion.
     */
    @Test
    void aConfigFromTheSpecRunsAsUnderRunc() throws IOException {
        Path bundle = Bundles.create(tmp.resolve("bundle"), CGROUP,
                List.of("sh", "-c", PROBE, "ärg", "zwei"), c -> {
                    c.remove("ociVersion");
                    c.put("hostname", "héllo");
                    ObjectNode p = at(c, "process");
                    p.put("cwd", "/wörk/new");
                    ((ArrayNode) p.get("env")).add("GREETING=grüße");
                    p.putObject("user").put("uid", 1000).put("gid", 1000);
                    ArrayNode limits = p.putArray("rlimits");
                    limits.addObject().put("type", "RLIMIT_AS").put("soft", 16L << 20).put("hard", 16L << 20);
                    limits.addObject().put("type", "RLIMIT_DATA").put("soft", 8L << 20).put("hard", 8L << 20);
                    limits.addObject().put("type", "RLIMIT_STACK").put("soft", 256 << 10).put("hard", 256 << 10);
                    limits.addObject().put("type", "RLIMIT_NPROC").put("soft", 20).put("hard", 20);
                    ObjectNode linux = at(c, "linux");
                    linux.put("rootfsPropagation", "shared");
                    ((ArrayNode) linux.get("namespaces")).addObject().put("type", "cgroup");
                    at(linux, "resources").putObject("memory").put("limit", 64L << 20)
                            .put("kernel", 32L << 20).put("kernelTCP", 16L << 20)
                            .put("disableOOMKiller", true);
                });
        Command.Result runc = JruncTool.runc(tmp.resolve("runc-state"))
                .run("run", "--bundle", bundle.toString(), "conf-runc").assertExit(0);
        Command.Result jrunc = jruncWithoutUtf8Locale()
                .run("run", "--bundle", bundle.toString(), "conf-jrunc").assertExit(0);
        assertTrue(jrunc.stderr().contains("warning: linux.resources.memory.kernel and kernelTCP"
                + " are ignored"), jrunc.stderr());
        String expected = DifferentialTest.normalise(runc.stdout());
        String actual = DifferentialTest.normalise(jrunc.stdout());
        assertTrue(expected.contains("hostname 68 c3 a9 6c 6c 6f 0a\n"), expected);
        assertTrue(expected.contains("cgroup new\ncgroups /\nlo <LOOPBACK,UP,LOWER_UP>\n"), expected);
        // One difference on purpose: runc 1.1 leaves "/" private after pivot_root, jrunc
        // gives it the propagation asked for (the runtime-spec: the rootfs's propagation).
        assertTrue(actual.contains("mount / ro,relatime  shared\n"), actual);
        assertEquals(expected, actual.replace("mount / ro,relatime  shared\n", "mount / ro,relatime \n"),
                "what the process sees differs (expected: runc, actual: jrunc)");
        Bundles.removeTree(bundle.resolve("rootfs/wörk"));
    }

    /** runc 1.1 cannot bind an unbindable rootfs (EINVAL); jrunc makes "/" unbindable after pivot_root. */
    @Test
    void anUnbindableRootRuns() {
        Path bundle = Bundles.create(tmp.resolve("bundle"), CGROUP,
                List.of("awk", "$5 == \"/\"", "/proc/self/mountinfo"),
                c -> at(c, "linux").put("rootfsPropagation", "runbindable"));
        Command.Result runc = JruncTool.runc(tmp.resolve("runc-state"))
                .run("run", "--bundle", bundle.toString(), "unbind-runc").assertExit(1);
        assertTrue(runc.stderr().contains("invalid argument"), runc.stderr());
        Command.Result jrunc = JruncTool.jrunc(tmp.resolve("jrunc-state"))
                .run("run", "--bundle", bundle.toString(), "unbind-jrunc").assertExit(0);
        assertTrue(jrunc.stdout().contains(" / ro,relatime unbindable - "), jrunc.stdout());
    }

    /** runc fails create naming the cause; jrunc fails it too and names the capability. */
    @Test
    void aCapabilityOutsideTheBoundingSetFailsCreate() {
        Path bundle = Bundles.create(tmp.resolve("bundle"), CGROUP, List.of("true"), c -> {
            ObjectNode caps = at(at(c, "process"), "capabilities");
            for (String set : List.of("bounding", "effective", "permitted")) {
                ((ArrayNode) caps.get(set)).add("CAP_SYS_RESOURCE");
            }
        });
        // Both see a bounding set without it, whatever this host's is.
        List<String> setpriv = List.of("setpriv", "--bounding-set", "-sys_resource", "--");
        List<String> runcLauncher = new ArrayList<>(setpriv);
        runcLauncher.add("runc");
        List<String> jruncLauncher = new ArrayList<>(setpriv);
        jruncLauncher.addAll(Command.javaLauncher());
        jruncLauncher.add("jrunc.cli.Jrunc");
        Command.Result runc = JruncTool.launchedBy(tmp.resolve("runc-state"), runcLauncher)
                .run("create", "--bundle", bundle.toString(), "caps-runc").assertExit(1);
        assertTrue(runc.stderr().contains("unable to apply caps: operation not permitted"), runc.stderr());
        Command.Result jrunc = JruncTool.launchedBy(tmp.resolve("jrunc-state"), jruncLauncher)
                .run("create", "--bundle", bundle.toString(), "caps-jrunc").assertExit(1);
        assertTrue(jrunc.stderr().contains("process.capabilities.effective: CAP_SYS_RESOURCE is not"
                + " in jrunc's capability bounding set"), jrunc.stderr());
        assertFalse(Files.exists(tmp.resolve("jrunc-state/caps-jrunc")));
    }

    /** runtime-spec: a failing poststart or poststop hook is logged, the next one still runs. */
    @Test
    void everyPoststartAndPoststopHookRuns() {
        Path marks = tmp.resolve("marks");
        Path bundle = Bundles.create(tmp.resolve("bundle"), CGROUP, List.of("true"), c -> {
            ObjectNode hooks = c.putObject("hooks");
            for (String phase : List.of("poststart", "poststop")) {
                ArrayNode list = hooks.putArray(phase);
                list.addObject().put("path", "/bin/false");
                list.addObject().put("path", "/bin/sh").putArray("args").add("sh").add("-c")
                        .add("echo " + phase + " >> " + marks);
            }
        });
        Command.Result r = JruncTool.jrunc(tmp.resolve("jrunc-state"))
                .run("run", "--bundle", bundle.toString(), "hooks").assertExit(0);
        assertTrue(r.stderr().contains("warning: hooks.poststart[0] /bin/false: exited with status 1"), r.stderr());
        assertTrue(r.stderr().contains("warning: hooks.poststop[0] /bin/false: exited with status 1"), r.stderr());
        assertEquals("poststart\npoststop\n", read(marks));
    }

    /** runc runs a process in a created container; with a new cgroup namespace it is in that one. */
    @Test
    void execIntoACreatedContainer() {
        Path bundle = Bundles.create(tmp.resolve("bundle"), CGROUP, List.of("sleep", "60"),
                c -> ((ArrayNode) at(c, "linux").get("namespaces")).addObject().put("type", "cgroup"));
        List<String> seen = new ArrayList<>();
        for (JruncTool tool : List.of(JruncTool.runc(tmp.resolve("runc-state")),
                JruncTool.jrunc(tmp.resolve("jrunc-state")))) {
            tool.run("create", "--bundle", bundle.toString(), "created").assertExit(0);
            try {
                Command.Result r = tool.run("exec", "created", "sh", "-c",
                        "readlink /proc/self/ns/cgroup; cut -d: -f3 /proc/self/cgroup | sort -u").assertExit(0);
                seen.add(r.stdout().replaceFirst("cgroup:\\[\\d+\\]", "cgroup:[N]"));
                String hostNamespace = readLink("/proc/self/ns/cgroup");
                assertNotEquals(hostNamespace, r.stdout().lines().findFirst().orElse(""), tool.launcher.toString());
                assertEquals("created", stateOf(tool, "created"));
            } finally {
                tool.run("delete", "--force", "created").assertExit(0);
            }
        }
        assertEquals("cgroup:[N]\n/\n", seen.get(0));
        assertEquals(seen.get(0), seen.get(1), "exec in a created container (runc, then jrunc)");
    }

    /**
     * Two containers under one parent cgroup: the first delete leaves the parent (still in
     * use, not an error) and the second, which did not make it, removes it.
     */
    @Test
    void aSharedParentCgroupGoesWithTheLastContainer() {
        String parent = CGROUP + "-parent";
        JruncTool jrunc = JruncTool.jrunc(tmp.resolve("jrunc-state"));
        for (String id : List.of("first", "second")) {
            Path b = Bundles.create(tmp.resolve("bundle-" + id), parent + "/" + id, List.of("true"), c -> {});
            jrunc.run("create", "--bundle", b.toString(), id).assertExit(0);
        }
        Path memory = Path.of("/sys/fs/cgroup/memory" + parent);
        try {
            jrunc.run("delete", "first").assertExit(0);
            assertFalse(Files.exists(memory.resolve("first")), "the first container's cgroup is left");
            assertTrue(Files.isDirectory(memory.resolve("second")), "the second container's cgroup is gone");
        } finally {
            jrunc.run("delete", "--force", "second").assertExit(0);
            Bundles.removeTree(tmp.resolve("bundle-first"));
            Bundles.removeTree(tmp.resolve("bundle-second"));
        }
        for (String hierarchy : List.of("memory", "pids", "cpu", "freezer")) {
            assertFalse(Files.exists(Path.of("/sys/fs/cgroup/" + hierarchy + parent)),
                    hierarchy + ": the shared parent " + parent + " is left after the last delete");
        }
    }

    static String stateOf(JruncTool tool, String id) {
        String json = tool.run("state", id).assertExit(0).stdout();
        return json.replaceAll("(?s).*\"status\"\\s*:\\s*\"([a-z]+)\".*", "$1");
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError(file + ": " + e);
        }
    }

    static String readLink(String link) {
        try {
            return Files.readSymbolicLink(Path.of(link)).toString();
        } catch (IOException e) {
            throw new AssertionError(link + ": " + e);
        }
    }
}
