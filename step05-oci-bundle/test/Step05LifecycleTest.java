import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Privileged;

/**
 * runc's lifecycle as a learner drives it: create leaves the init waiting and the command not
 * yet run; start runs it; state follows created → running → stopped; kill, delete.
 */
@ExtendWith(Step05.NothingLeaks.class)
class Step05LifecycleTest {
    @TempDir Path bundle;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
    }

    @Test
    void runPrintsWhatConfigJsonAskedFor() {
        ObjectNode config = Step05.defaultConfig(bundle);
        config.put("hostname", "from-config");
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("cwd", "/etc");
        process.withArray("env").add("GREETING=hello from config.json");
        Step05.args(config, "sh", "-c", "echo \"$(hostname) $$ $PWD $GREETING\" $0; exit 3", "arg0");
        Step05.write(bundle, config);

        var result = Step05.step05("run", "--bundle", bundle.toString(), "t5-run").run();

        result.assertExit(3);
        assertEquals("from-config 1 /etc hello from config.json arg0\n", result.stdout());
        Step05.assertGone("t5-run");
    }

    @Test
    void createLeavesTheInitWaitingAndStartRunsTheCommand() throws Exception {
        ObjectNode config = Step05.defaultConfig(bundle);
        // A relative cgroupsPath: under each hierarchy's root, not under ours.
        ((ObjectNode) config.get("linux")).put("cgroupsPath", "workshop-step05/t5-custom");
        Step05.args(config, "sh", "-c", "echo ran > /tmp/ran; exec sleep 60");
        Step05.write(bundle, config);
        Path ran = bundle.resolve("shared/ran");

        Step05.create(bundle, "--bundle", bundle.toString(), "t5-life").assertExit(0);
        try {
            var state = Step05.state("t5-life");
            assertEquals("created", state.get("status").asText(), state.toString());
            assertEquals(bundle.toString(), state.get("bundle").asText());
            long pid = state.get("pid").asLong();
            String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
            assertTrue(cmdline.contains("/bin/java ") && cmdline.endsWith(" Run init "), cmdline);
            assertTrue(Files.readString(Path.of("/proc/" + pid + "/cgroup"))
                    .contains(Step05.memoryCgroupLine("/workshop-step05/t5-custom")), "the init's memory cgroup");
            assertFalse(Files.exists(ran), "the command ran before start");

            Step05.step05("start", "t5-life").run().assertExit(0);

            Step05.await(() -> Files.exists(ran), "the command writes /tmp/ran");
            assertEquals("ran\n", Files.readString(ran));
            assertEquals("running", Step05.status("t5-life"));
            assertTrue(Files.readString(Path.of("/proc/" + pid + "/cmdline")).startsWith("sleep\0"),
                    "the init's PID is now the command's");
            var again = Step05.step05("start", "t5-life").run().assertExit(1);
            assertEquals("step05: cannot start container t5-life: it is running, not created\n",
                    again.stderr());
        } finally {
            Step05.step05("delete", "--force", "t5-life").run().assertExit(0);
        }
        Step05.assertGone("t5-life");
        assertEquals(List.of(), Step05.cgroupsNamed("workshop-step05/t5-custom"));
    }

    @Test
    void killTakesNamesAndNumbersAndPid1IgnoresWhatItDoesNotHandle() {
        ObjectNode config = Step05.defaultConfig(bundle);
        Step05.args(config, "sleep", "60");
        Step05.write(bundle, config);
        Step05.create(bundle, "--bundle", bundle.toString(), "t5-kill").assertExit(0);
        try {
            Step05.step05("start", "t5-kill").run().assertExit(0);

            // sleep has no SIGTERM handler, and PID 1 gets only the
            // signals it handles (SIGKILL aside): nothing happens.
            Step05.step05("kill", "t5-kill", "SIGTERM").run().assertExit(0);
            Cgroups.sleep(500);
            assertEquals("running", Step05.status("t5-kill"));

            Step05.step05("kill", "t5-kill", "9").run().assertExit(0);
            Step05.await(() -> Step05.status("t5-kill").equals("stopped"), "stopped after kill 9");
            assertEquals(0, Step05.state("t5-kill").get("pid").asInt(), "pid once stopped");
            var again = Step05.step05("kill", "t5-kill", "KILL").run().assertExit(1);
            assertEquals("step05: container t5-kill is not running (stopped)\n", again.stderr());

            Step05.step05("delete", "t5-kill").run().assertExit(0);
        } finally {
            Step05.step05("delete", "--force", "t5-kill").run();
        }
        Step05.assertGone("t5-kill");
    }

    @Test
    void aShellWithATrapStopsOnTermByName() {
        ObjectNode config = Step05.defaultConfig(bundle);
        Step05.args(config, "sh", "-c", "trap 'echo TERM > /tmp/term; exit 0' TERM;"
                + " echo up > /tmp/up; while :; do sleep 0.1; done");
        Step05.write(bundle, config);
        Step05.create(bundle, "--bundle", bundle.toString(), "t5-trap").assertExit(0);
        try {
            Step05.step05("start", "t5-trap").run().assertExit(0);
            Step05.await(() -> Files.exists(bundle.resolve("shared/up")), "the trap is set");

            Step05.step05("kill", "t5-trap", "TERM").run().assertExit(0);

            Step05.await(() -> Step05.status("t5-trap").equals("stopped"), "stopped after TERM");
            assertEquals("TERM\n", Step05.readString(bundle.resolve("shared/term")));
        } finally {
            Step05.step05("delete", "--force", "t5-trap").run().assertExit(0);
        }
        Step05.assertGone("t5-trap");
    }

    @Test
    void deleteRefusesARunningContainerAndForceLeavesNothing() {
        ObjectNode config = Step05.defaultConfig(bundle);
        Step05.args(config, "sleep", "60");
        Step05.write(bundle, config);
        Step05.create(bundle, "--bundle", bundle.toString(), "t5-del").assertExit(0);
        long pid = Step05.state("t5-del").get("pid").asLong();
        Step05.step05("start", "t5-del").run().assertExit(0);

        var refused = Step05.step05("delete", "t5-del").run().assertExit(1);
        assertTrue(refused.stderr().startsWith("step05: cannot delete container t5-del: it is"
                + " running\n  hint: stop it (kill t5-del KILL) or use delete --force t5-del"),
                refused.stderr());
        assertEquals("running", Step05.status("t5-del"));
        assertFalse(Step05.cgroupsNamed("workshop-step05/t5-del").isEmpty(), "cgroups while running");

        Step05.step05("delete", "--force", "t5-del").run().assertExit(0);

        Step05.assertGone("t5-del");
        Step05.await(() -> ProcessHandle.of(pid).isEmpty(), "the init is gone (and reaped)");
        Step05.step05("state", "t5-del").run().assertExit(1);
    }

    @Test
    void deleteOfACreatedContainerKillsTheWaitingInitBeforeTheCommandRuns() {
        ObjectNode config = Step05.defaultConfig(bundle);
        Step05.args(config, "sh", "-c", "echo ran > /tmp/ran");
        Step05.write(bundle, config);
        Step05.create(bundle, "--bundle", bundle.toString(), "t5-never").assertExit(0);
        long pid = Step05.state("t5-never").get("pid").asLong();

        Step05.step05("delete", "t5-never").run().assertExit(0);

        Step05.assertGone("t5-never");
        Step05.await(() -> ProcessHandle.of(pid).isEmpty(), "the init is gone");
        assertFalse(Files.exists(bundle.resolve("shared/ran")), "the command never ran");
    }

    @Test
    void aMemoryLimitFromConfigJsonOomKillsWithStatus137() {
        ObjectNode config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.get("linux").get("resources").get("memory")).put("limit", 32L << 20);
        Step05.args(config, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1");
        Step05.write(bundle, config);

        Step05.step05("run", "--bundle", bundle.toString(), "t5-oom").run().assertExit(137);

        Step05.assertGone("t5-oom");
    }
}
