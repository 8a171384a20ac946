package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import jrunc.spec.SpecValidator;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * A bad config.json or a bad request fails with a message that names the JSON field or the
 * container id, exit status 1 (as runc), and leaves nothing behind.
 */
class BadInputTest {
    static final String CGROUP = "/jrunc-test-bad" + LifecycleTest.RUN;
    @TempDir
    static Path tmp;
    static Path bundle;
    static JruncTool jrunc;
    static Host before;

    @BeforeAll
    static void setUp() {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        bundle = Bundles.create(tmp.resolve("bundle"), CGROUP, List.of("true"), c -> {});
        jrunc = JruncTool.jrunc(tmp.resolve("state"));
    }

    @AfterAll
    static void nothingLeft() {
        if (before == null) return;
        Bundles.removeTree(bundle);
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    static Arguments bad(String what, String expected, Consumer<ObjectNode> edit) {
        return Arguments.of(what, expected, edit);
    }

    static ObjectNode at(ObjectNode c, String field) {
        return (ObjectNode) c.get(field);
    }

    /** linux.seccomp: a harmless first rule, then one with action and (edited) one argument. */
    static void seccomp(ObjectNode c, String defaultAction, String action, Consumer<ObjectNode> arg) {
        ObjectNode seccomp = at(c, "linux").putObject("seccomp").put("defaultAction", defaultAction);
        ArrayNode syscalls = seccomp.putArray("syscalls");
        syscalls.addObject().put("action", "SCMP_ACT_ERRNO").putArray("names").add("mkdir");
        ObjectNode rule = syscalls.addObject().put("action", action);
        rule.putArray("names").add("personality");
        if (arg != null) {
            arg.accept(rule.putArray("args").addObject().put("index", 0).put("value", 8).put("op", "SCMP_CMP_EQ"));
        }
    }

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                bad("missing process.args", "process.args: must name a program",
                        c -> at(c, "process").remove("args")),
                bad("wrong type", "config.json: process.user.uid: expected an integer, found the string \"root\"",
                        c -> at(at(c, "process"), "user").put("uid", "root")),
                bad("missing root", "root: required field is missing", c -> c.remove("root")),
                bad("relative cwd", "process.cwd: must be an absolute path", c -> at(c, "process").put("cwd", "tmp")),
                bad("env entry without =", "process.env[2]: NOEQUALS is not NAME=VALUE",
                        c -> ((ArrayNode) at(c, "process").get("env")).add("NOEQUALS")),
                bad("no mount namespace", "without one, pivot_root and the container's mounts would change",
                        c -> ((ArrayNode) at(c, "linux").get("namespaces")).remove(4)),
                bad("unknown namespace", "linux.namespaces[5].type: unknown namespace type nosuch",
                        c -> ((ArrayNode) at(c, "linux").get("namespaces")).addObject().put("type", "nosuch")),
                bad("duplicate namespace", "linux.namespaces[5].type: namespace pid given twice",
                        c -> ((ArrayNode) at(c, "linux").get("namespaces")).addObject().put("type", "pid")),
                bad("user namespace without mappings", "linux.uidMappings: a new user namespace needs at least one mapping",
                        c -> ((ArrayNode) at(c, "linux").get("namespaces")).addObject().put("type", "user")),
                bad("mappings without a user namespace", "linux.uidMappings: mappings need a new user namespace",
                        c -> at(c, "linux").putArray("uidMappings").addObject().put("containerID", 0)
                                .put("hostID", 100000).put("size", 1)),
                bad("nothing maps root", "linux.gidMappings: nothing maps the container's root (containerID 0)", c -> {
                    NamespacesTest.userNamespace(c);
                    ((ObjectNode) at(c, "linux").get("gidMappings").get(0)).put("containerID", 1);
                }),
                bad("rootfs out of the container root's reach", "it cannot search ", NamespacesTest::userNamespace),
                bad("time offsets without a time namespace", "linux.timeOffsets: offsets need a new time namespace",
                        c -> at(c, "linux").putObject("timeOffsets").putObject("boottime").put("secs", 5)),
                bad("nanosecond time offset", "linux.timeOffsets.monotonic.nanosecs: jrunc sets whole seconds only", c -> {
                    NamespacesTest.timeNamespace(c);
                    ((ObjectNode) at(c, "linux").get("timeOffsets").get("monotonic")).put("nanosecs", 5);
                }),
                bad("namespace path missing", "linux.namespaces[0].path: /nonexistent/ns does not exist",
                        c -> ((ObjectNode) at(c, "linux").get("namespaces").get(0)).put("path", "/nonexistent/ns")),
                bad("unknown capability", "process.capabilities.bounding: unknown capability CAP_NOPE",
                        c -> ((ArrayNode) at(at(c, "process"), "capabilities").get("bounding")).add("CAP_NOPE")),
                bad("device number out of range", "linux.resources.devices[1].major: must be at most 4294967295",
                        c -> ((ArrayNode) at(at(c, "linux"), "resources").get("devices")).addObject()
                                .put("allow", true).put("type", "c").put("major", 1L << 32 | 8).put("minor", 0)),
                bad("unknown rlimit", "process.rlimits[0].type: unknown rlimit RLIMIT_NOPE",
                        c -> ((ObjectNode) at(c, "process").get("rlimits").get(0)).put("type", "RLIMIT_NOPE")),
                bad("bind source missing", "mounts[7].source: bind mount source /nonexistent/dir does not exist",
                        c -> ((ArrayNode) c.get("mounts")).addObject().put("destination", "/x")
                                .put("type", "bind").put("source", "/nonexistent/dir")
                                .putArray("options").add("rbind")),
                bad("unsupported mount option", "mounts[7].options: mount option idmap is not supported",
                        c -> ((ArrayNode) c.get("mounts")).addObject().put("destination", "/x")
                                .put("type", "tmpfs").put("source", "tmpfs").putArray("options").add("idmap")),
                bad("impossible mount", "mount nosuchfs none on ",
                        c -> ((ArrayNode) c.get("mounts")).addObject().put("destination", "/x")
                                .put("type", "nosuchfs").put("source", "none")),
                bad("rootfs missing", "root.path: ", c -> at(c, "root").put("path", "no-such-rootfs")),
                bad("unknown seccomp action", "linux.seccomp.syscalls[1].action: unknown action SCMP_ACT_BANANA",
                        c -> seccomp(c, "SCMP_ACT_ALLOW", "SCMP_ACT_BANANA", null)),
                bad("unknown seccomp default action", "linux.seccomp.defaultAction: unknown action SCMP_ACT_NOPE",
                        c -> seccomp(c, "SCMP_ACT_NOPE", "SCMP_ACT_ERRNO", null)),
                bad("seccomp notification", "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY (seccomp"
                        + " notification to listenerPath) is not supported by jrunc",
                        c -> seccomp(c, "SCMP_ACT_ALLOW", "SCMP_ACT_NOTIFY", null)),
                bad("unknown seccomp operator", "linux.seccomp.syscalls[1].args[0].op: unknown operator SCMP_CMP_ALMOST",
                        c -> seccomp(c, "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", a -> a.put("op", "SCMP_CMP_ALMOST"))),
                bad("negative seccomp argument index", "linux.seccomp.syscalls[1].args[0].index: -1 is not an argument index",
                        c -> seccomp(c, "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", a -> a.put("index", -1))),
                bad("seccomp argument index above 5", "linux.seccomp.syscalls[1].args[0].index: 6 is not an argument index",
                        c -> seccomp(c, "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", a -> a.put("index", 6))),
                bad("unknown seccomp architecture", "linux.seccomp.architectures[1]: unknown architecture SCMP_ARCH_Z80", c -> {
                    seccomp(c, "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", null);
                    ((ObjectNode) at(c, "linux").get("seccomp")).putArray("architectures")
                            .add("SCMP_ARCH_X86_64").add("SCMP_ARCH_Z80");
                }),
                bad("unsupported seccomp flag", "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported by jrunc", c -> {
                    seccomp(c, "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", null);
                    ((ObjectNode) at(c, "linux").get("seccomp")).putArray("flags").add("SECCOMP_FILTER_FLAG_NEW_LISTENER");
                }),
                bad("unsupported feature", "linux.intelRdt.closID: not supported by jrunc",
                        c -> at(c, "linux").putObject("intelRdt").put("closID", "x")),
                bad("sysctl without namespace", "linux.sysctl.vm.swappiness: not namespaced",
                        c -> at(c, "linux").putObject("sysctl").put("vm.swappiness", "10")),
                bad("terminal without console socket", "process.terminal is true",
                        c -> at(c, "process").put("terminal", true)),
                bad("failing prestart hook", "hooks.prestart[0] /bin/false: exited with status 1",
                        c -> c.putObject("hooks").putArray("prestart").addObject().put("path", "/bin/false")),
                bad("hook timeout", "hooks.createRuntime[0] /bin/sleep: timed out after 1s",
                        c -> c.putObject("hooks").putArray("createRuntime").addObject()
                                .put("path", "/bin/sleep").put("timeout", 1)
                                .putArray("args").add("sleep").add("30")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void isRefusedByNameAndLeavesNothing(String what, String expected, Consumer<ObjectNode> edit) {
        Path b = Bundles.create(tmp.resolve("bundle"), CGROUP, List.of("true"), edit);
        Command.Result r = jrunc.run("create", "--bundle", b.toString(), "bad").assertExit(1);
        assertTrue(r.stderr().contains(expected), what + ": expected \"" + expected + "\" in: " + r.stderr());
        assertFalse(Files.exists(jrunc.root.resolve("bad")), what + ": state directory left");
        assertFalse(Files.exists(Path.of("/sys/fs/cgroup/memory" + CGROUP)), what + ": cgroup left");
    }

    @Test
    void invalidJsonNamesTheLine() throws Exception {
        Files.writeString(bundle.resolve("config.json"), "{\n  \"ociVersion\": \"1.0.2\",\n  oops\n}");
        Command.Result r = jrunc.run("create", "--bundle", bundle.toString(), "bad").assertExit(1);
        assertTrue(r.stderr().contains("config.json: invalid JSON at line 3"), r.stderr());
        Files.delete(bundle.resolve("config.json"));
        Command.Result missing = jrunc.run("create", "--bundle", bundle.toString(), "bad").assertExit(1);
        assertTrue(missing.stderr().contains("config.json: no such file (ENOENT)"), missing.stderr());
        assertFalse(Files.exists(jrunc.root.resolve("bad")));
    }

    @Test
    void programNotFoundIs127() {
        Path b = Bundles.create(tmp.resolve("bundle"), CGROUP, List.of("no-such-program"), c -> {});
        Command.Result r = jrunc.run("run", "--bundle", b.toString(), "lost").assertExit(127);
        assertTrue(r.stderr().contains("\"no-such-program\": executable file not found in $PATH"),
                r.stderr());
        assertFalse(Files.exists(jrunc.root.resolve("lost")));
        assertFalse(Files.exists(Path.of("/sys/fs/cgroup/memory" + CGROUP)));
    }

    /** Where the host has no such LSM, runc runs the process without the label too. */
    @Test
    void securityLabelsWithoutTheirLsmAreWarnedAbout() {
        org.junit.jupiter.api.Assumptions.assumeFalse(SpecValidator.lsmEnabled("apparmor"),
                "AppArmor is enabled here: the profile is refused instead");
        Path b = Bundles.create(tmp.resolve("bundle"), CGROUP, List.of("true"),
                c -> at(c, "process").put("apparmorProfile", "docker-default"));
        Command.Result r = jrunc.run("run", "--bundle", b.toString(), "warned").assertExit(0);
        assertTrue(r.stderr().contains("warning: process.apparmorProfile docker-default is ignored:"
                + " AppArmor is not enabled on this host"), r.stderr());
    }

    @Test
    void invalidIdIsRefused() {
        Command.Result r = jrunc.run("create", "--bundle", bundle.toString(), "../escape").assertExit(1);
        assertEquals("jrunc: invalid container id ../escape: use letters, digits and + - . _ only\n",
                r.stderr());
    }
}
