package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * config.json is read as strictly as runc's Go decoder reads it: a uid of -1 (which setresuid
 * reads as "stay root"), a uid of "1000" or 1000.9, or any value of the wrong JSON type is
 * refused with the field, what was expected and what was found; nothing is converted. uid_t is
 * unsigned 32-bit, so a uid above 2^31 works.
 */
class StrictConfigTest {
    static final String CGROUP = "/jrunc-test-strict" + LifecycleTest.RUN;
    @TempDir
    static Path tmp;
    static JruncTool jrunc;
    static JruncTool runc;
    static Host before;

    @BeforeAll
    static void setUp() {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        jrunc = JruncTool.jrunc(tmp.resolve("jrunc-state"));
        runc = JruncTool.runc(tmp.resolve("runc-state"));
    }

    @AfterAll
    static void nothingLeft() {
        if (before == null) return;
        for (String id : Container.ids(runc.root)) runc.run("delete", "--force", id);
        before.cleanUpAndAssertNothingLeft(jrunc, tmp, tmp.resolve("bundle"));
    }

    /** field is a dotted path into runc's default config.json; json is written as is. */
    static Arguments bad(String field, String json, String expected) {
        return Arguments.of(field, json, expected);
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                bad("process.user.uid", "-1", "process.user.uid: -1 is not a valid uid (0..4294967294)"),
                bad("process.user.uid", "\"1000\"",
                        "process.user.uid: expected an integer, found the string \"1000\""),
                bad("process.user.uid", "1000.9",
                        "process.user.uid: expected an integer, found the number 1000.9"),
                bad("process.user.uid", "4294967295",
                        "process.user.uid: 4294967295 is not a valid uid (0..4294967294)"),
                bad("process.user.uid", "1e3", "process.user.uid: expected an integer, found the number 1E+3"),
                bad("process.user.gid", "-1", "process.user.gid: -1 is not a valid gid (0..4294967294)"),
                bad("process.user.additionalGids", "[-1]",
                        "process.user.additionalGids[0]: -1 is not a valid gid (0..4294967294)"),
                bad("process.user.additionalGids", "[\"5\"]",
                        "process.user.additionalGids[0]: expected an integer, found the string \"5\""),
                bad("process.user.additionalGids", "5",
                        "process.user.additionalGids: expected an array, found the number 5"),
                bad("process.terminal", "\"false\"",
                        "process.terminal: expected true or false, found the string \"false\""),
                bad("process.noNewPrivileges", "1",
                        "process.noNewPrivileges: expected true or false, found the number 1"),
                bad("process.rlimits.0.hard", "1024.5",
                        "process.rlimits[0].hard: expected an integer, found the number 1024.5"),
                bad("linux.resources.memory", "{\"limit\": \"1000000\"}",
                        "linux.resources.memory.limit: expected an integer, found the string \"1000000\""),
                bad("hostname", "5", "hostname: expected a string, found the number 5"),
                bad("linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3,"
                        + " \"uid\": -1}]", "linux.devices[0].uid: -1 is not a valid uid (0..4294967294)"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badValues")
    void isRefusedByJruncAndRuncAndLeavesNothing(String field, String json, String expected) {
        Path bundle = bundleWith(field, json, List.of("id"));
        for (String command : List.of("run", "create")) {
            Command.Result r = jrunc.run(command, "--bundle", bundle.toString(), "strict").assertExit(1);
            assertTrue(r.stderr().contains(expected), command + ": expected \"" + expected + "\" in: " + r.stderr());
            assertFalse(r.stderr().matches("(?s).*(com\\.fasterxml|java\\.lang|Exception|\\[Source:).*"),
                    command + ": Jackson's wording leaked into: " + r.stderr());
            assertFalse(Files.exists(jrunc.root.resolve("strict")), command + ": state directory left");
            Command.Result byRunc = runc.run(command, "--bundle", bundle.toString(), "strict-runc");
            runc.run("delete", "--force", "strict-runc");
            assertNotEquals(0, byRunc.exitCode(), "runc " + command + " accepted " + field + " = " + json);
        }
        // Only ours: other tests on the machine make jrunc cgroups meanwhile (all checked at the end).
        List<String> ours = Host.snapshot(tmp).addedSince(before).stream()
                .filter(left -> left.contains(CGROUP) || left.contains(tmp.toString())).toList();
        assertEquals(List.of(), ours, field + " = " + json + ": left behind on the host");
    }

    /**
     * setresuid/setresgid/setgroups take an unsigned 32-bit id: 3000000000 must reach the
     * kernel as those bits. runc 1.1.5 refuses ids above 2^31-1 (a limit of its user package,
     * not of the kernel); jrunc takes the whole uid_t range but (uid_t) -1.
     */
    @Test
    void aUidAbove2To31RunsAsThatUid() {
        Path bundle = bundleWith("process.user", "{\"uid\": 3000000000, \"gid\": 3000000001,"
                + " \"additionalGids\": [3000000002]}", List.of("sh", "-c", "id -u; id -g; id -G"));
        Command.Result r = jrunc.run("run", "--bundle", bundle.toString(), "big-uid").assertExit(0);
        assertEquals("3000000000\n3000000001\n3000000001 3000000002\n", r.stdout());
        Command.Result byRunc = runc.run("run", "--bundle", bundle.toString(), "big-uid-runc");
        runc.run("delete", "--force", "big-uid-runc");
        assertTrue(byRunc.stderr().contains("uids and gids must be in range 0-2147483647"),
                "runc now accepts uids above 2^31-1: make this a comparison. " + byRunc.stderr());
    }

    /** Device nodes: runc and jrunc both chown to 3000000000. */
    @Test
    void aDeviceOwnedByAUidAbove2To31() {
        Path bundle = bundleWith("linux.devices", "[{\"path\": \"/dev/big\", \"type\": \"c\", \"major\": 1,"
                + " \"minor\": 3, \"uid\": 3000000000, \"gid\": 4294967294}]",
                List.of("stat", "-c", "%u %g", "/dev/big"));
        Command.Result byRunc = runc.run("run", "--bundle", bundle.toString(), "big-dev-runc").assertExit(0);
        Command.Result r = jrunc.run("run", "--bundle", bundle.toString(), "big-dev").assertExit(0);
        assertEquals("3000000000 4294967294\n", byRunc.stdout());
        assertEquals(byRunc.stdout(), r.stdout());
    }

    @Test
    void execRefusesBadIdsAsRuncDoes() throws IOException {
        Path bundle = Bundles.create(tmp.resolve("bundle"), CGROUP, List.of("sleep", "60"), c -> {});
        jrunc.run("run", "--detach", "--bundle", bundle.toString(), "strict-exec").assertExit(0);
        runc.run("run", "--detach", "--bundle", bundle.toString(), "strict-exec-runc").assertExit(0);
        String hint = " (a number from 0 to 4294967294; jrunc does not look names up)";
        List<List<String>> refused = List.of(
                List.of("--user", "-1", "exec --user: -1 is not a valid uid" + hint),
                List.of("--user", "abc", "exec --user: abc is not a valid uid" + hint),
                List.of("--user", "1000:-1", "exec --user: -1 is not a valid gid" + hint),
                List.of("--user", "4294967295", "exec --user: 4294967295 is not a valid uid" + hint),
                List.of("--additional-gids", "-1", "exec --additional-gids: -1 is not a valid gid" + hint),
                List.of("--additional-gids", "x", "exec --additional-gids: x is not a valid gid" + hint));
        for (List<String> c : refused) {
            Command.Result r = jrunc.run("exec", c.get(0), c.get(1), "strict-exec", "true").assertExit(1);
            assertEquals("jrunc: " + c.get(2) + "\n", r.stderr(), c.toString());
            Command.Result byRunc = runc.run("exec", c.get(0), c.get(1), "strict-exec-runc", "true");
            assertNotEquals(0, byRunc.exitCode(), "runc exec accepted " + c);
        }
        // The same ids through --process: the field named as in config.json.
        Path process = tmp.resolve("process.json");
        for (String user : List.of("{\"uid\": -1}", "{\"uid\": \"1000\"}", "{\"uid\": 1000.9}")) {
            Files.writeString(process, "{\"args\": [\"id\"], \"cwd\": \"/\", \"user\": " + user + "}");
            Command.Result r = jrunc.run("exec", "--process", process.toString(), "strict-exec").assertExit(1);
            assertTrue(r.stderr().contains("process.user.uid: "), user + ": " + r.stderr());
            assertFalse(r.stderr().contains("fasterxml"), r.stderr());
            Command.Result byRunc = runc.run("exec", "--process", process.toString(), "strict-exec-runc");
            assertNotEquals(0, byRunc.exitCode(), "runc exec --process accepted user " + user);
        }
        // Valid ids: what the process sees is the same under both.
        List<String> ok = List.of("--user", "1000:1001", "--additional-gids", "7", "--additional-gids", "8");
        Command.Result byRunc = runc.run(concat(List.of("exec"), ok, List.of("strict-exec-runc", "id"))).assertExit(0);
        Command.Result r = jrunc.run(concat(List.of("exec"), ok, List.of("strict-exec", "id"))).assertExit(0);
        assertEquals(byRunc.stdout(), r.stdout());
        assertTrue(r.stdout().startsWith("uid=1000 gid=1001 groups=7"), r.stdout());
        jrunc.run("delete", "--force", "strict-exec").assertExit(0);
        runc.run("delete", "--force", "strict-exec-runc").assertExit(0);
    }

    static String[] concat(List<String> a, List<String> b, List<String> c) {
        return Stream.of(a, b, c).flatMap(List::stream).toArray(String[]::new);
    }

    /** runc's default bundle with args, and json written verbatim at field ("1e3" stays 1e3). */
    static Path bundleWith(String field, String json, List<String> args) {
        String marker = "@@value@@";
        Path bundle = Bundles.create(tmp.resolve("bundle"), CGROUP, args, c -> {
            String[] keys = field.split("\\.");
            JsonNode node = c;
            for (int i = 0; i < keys.length - 1; i++) {
                String key = keys[i];
                node = key.matches("\\d+") ? node.get(Integer.parseInt(key))
                        : node.has(key) ? node.get(key) : ((ObjectNode) node).putObject(key);
            }
            ((ObjectNode) node).put(keys[keys.length - 1], marker);
        });
        try {
            Path config = bundle.resolve("config.json");
            Files.writeString(config, Files.readString(config).replace("\"" + marker + "\"", json));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bundle;
    }
}
