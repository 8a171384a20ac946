package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/** create → start → state → kill → delete, and every way to get it wrong. */
class LifecycleTest {
    /** Container ids get this run's PID: another run of these tests may share the machine. */
    static final String RUN = "-" + ProcessHandle.current().pid();
    static final String C1 = "c1" + RUN, DUP = "dup" + RUN, DIES = "dies" + RUN;
    static final String FORCED = "forced" + RUN, FROZEN = "frozen" + RUN, EX = "ex" + RUN;
    static final String SEVEN = "seven" + RUN, KILLED = "killed" + RUN, SIG = "sig" + RUN;
    static final String GHOST = "ghost" + RUN, ONE = "one" + RUN;
    static final String LOOP = "trap 'exit 3' TERM; while :; do sleep 0.1; done";
    @TempDir
    static Path tmp;
    static Path bundle;
    static JruncTool jrunc;
    static Host before;

    @BeforeAll
    static void bundle() {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        // No cgroupsPath: each container gets jrunc's default, /jrunc/ID.
        bundle = Bundles.create(tmp.resolve("bundle"), "/unused", List.of("sh", "-c", LOOP),
                c -> ((ObjectNode) c.get("linux")).remove("cgroupsPath"));
        jrunc = JruncTool.jrunc(tmp.resolve("state"));
    }

    @AfterAll
    static void nothingLeft() {
        if (jrunc == null) return;
        before.cleanUpAndAssertNothingLeft(jrunc, tmp, tmp.resolve("bundle"));
    }

    static JsonNode state(String id) throws Exception {
        Command.Result r = jrunc.run("state", id).assertExit(0);
        return Bundles.JSON.readTree(r.stdout());
    }

    @Test
    void createStartKillDelete() throws Exception {
        Path pidFile = tmp.resolve("create.pid");
        jrunc.run("create", "--bundle", bundle.toString(), "--pid-file", pidFile.toString(), C1)
                .assertExit(0);
        JsonNode created = state(C1);
        assertEquals("created", created.get("status").asText());
        int pid = created.get("pid").asInt();
        assertEquals(Integer.toString(pid), Files.readString(pidFile));
        assertEquals(bundle.toString(), created.get("bundle").asText());
        assertTrue(Files.exists(jrunc.root.resolve(C1 + "/exec.fifo")), "init waits on exec.fifo");

        jrunc.run("start", C1).assertExit(0);
        assertEquals("running", state(C1).get("status").asText());
        Command.Result again = jrunc.run("start", C1).assertExit(1);
        assertTrue(again.stderr().contains("cannot start container " + C1 + ": it is running"), again.stderr());

        Command.Result list = jrunc.run("list").assertExit(0);
        assertTrue(list.stdout().matches("(?s)ID\\s+PID\\s+STATUS.*\\n" + C1 + "\\s+" + pid + "\\s+running.*"),
                list.stdout());
        Command.Result ps = jrunc.run("ps", "--format", "json", C1).assertExit(0);
        assertTrue(ps.stdout().contains(Integer.toString(pid)), ps.stdout());

        Command.Result busy = jrunc.run("delete", C1).assertExit(1);
        assertTrue(busy.stderr().contains("cannot delete container " + C1 + " that is not stopped"), busy.stderr());

        jrunc.run("kill", C1, "TERM").assertExit(0);
        waitForStatus(C1, "stopped");
        assertEquals(0, state(C1).get("pid").asInt(), "a stopped container has no pid");
        Command.Result notRunning = jrunc.run("kill", C1, "KILL").assertExit(1);
        assertTrue(notRunning.stderr().contains("not running"), notRunning.stderr());
        jrunc.run("delete", C1).assertExit(0);
        Command.Result gone = jrunc.run("state", C1).assertExit(1);
        assertTrue(gone.stderr().contains("container " + C1 + " does not exist"), gone.stderr());
        assertFalse(Files.exists(jrunc.root.resolve(C1)));
    }

    /**
     * run, exec, kill and delete of one container in as few calls as they take: the compact
     * lifecycle that also runs in the emulated arm64 VM, where every jrunc call costs seconds.
     */
    @Test
    void runExecKillDeleteOfOneContainer() throws Exception {
        jrunc.run("run", "--detach", "--bundle", bundle.toString(), ONE).assertExit(0);
        Command.Result exec = jrunc.run("exec", ONE, "sh", "-c", "hostname;"
                + " [ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] && echo the-cgroups-of-pid-1;"
                + " [ \"$(readlink /proc/self/ns/pid)\" = \"$(readlink /proc/1/ns/pid)\" ] && echo the-pid-namespace-of-pid-1");
        exec.assertExit(0);
        assertEquals("runc\nthe-cgroups-of-pid-1\nthe-pid-namespace-of-pid-1\n", exec.stdout());
        int pid = state(ONE).get("pid").asInt();
        assertTrue(Files.readString(Path.of("/proc/" + pid + "/cgroup")).contains(":/jrunc/" + ONE + "\n"),
                "the container's cgroup");
        jrunc.run("kill", ONE, "TERM").assertExit(0);
        waitForStatus(ONE, "stopped");
        jrunc.run("delete", ONE).assertExit(0);
        assertFalse(Files.exists(jrunc.root.resolve(ONE)), "the state directory is gone");
        // No cgroup, mount or process is left: the class's @AfterAll checks the whole machine.
    }

    @Test
    void duplicateIdIsRefusedAndTheFirstContainerSurvives() throws Exception {
        jrunc.run("create", "--bundle", bundle.toString(), DUP).assertExit(0);
        Command.Result second = jrunc.run("create", "--bundle", bundle.toString(), DUP).assertExit(1);
        assertTrue(second.stderr().contains("container " + DUP + " already exists"), second.stderr());
        assertEquals("created", state(DUP).get("status").asText());
        jrunc.run("delete", DUP).assertExit(0);
    }

    @Test
    void stateAfterTheInitDiedSaysStopped() throws Exception {
        jrunc.run("run", "--detach", "--bundle", bundle.toString(), DIES).assertExit(0);
        int pid = state(DIES).get("pid").asInt();
        Command.of("kill", "-9", Integer.toString(pid)).run().assertExit(0);
        waitForStatus(DIES, "stopped");
        jrunc.run("delete", DIES).assertExit(0);
    }

    @Test
    void deleteForceOfARunningContainerLeavesNothing() throws Exception {
        jrunc.run("run", "--detach", "--bundle", bundle.toString(), FORCED).assertExit(0);
        int pid = state(FORCED).get("pid").asInt();
        jrunc.run("exec", "--detach", FORCED, "sleep", "100").assertExit(0);
        jrunc.run("delete", "--force", FORCED).assertExit(0);
        assertFalse(Processes.isAlive(pid, Processes.startTime(pid)), "init " + pid + " still runs");
        assertFalse(Files.exists(Path.of("/sys/fs/cgroup/pids/jrunc/" + FORCED)));
        assertFalse(Files.exists(jrunc.root.resolve(FORCED)));
        jrunc.run("delete", "--force", FORCED).assertExit(0);
    }

    @Test
    void pauseAndResume() throws Exception {
        jrunc.run("run", "--detach", "--bundle", bundle.toString(), FROZEN).assertExit(0);
        jrunc.run("pause", FROZEN).assertExit(0);
        assertEquals("paused", state(FROZEN).get("status").asText());
        assertEquals("FROZEN", Files.readString(
                Path.of("/sys/fs/cgroup/freezer/jrunc/" + FROZEN + "/freezer.state")).trim());
        jrunc.run("pause", FROZEN).assertExit(1);
        jrunc.run("resume", FROZEN).assertExit(0);
        assertEquals("running", state(FROZEN).get("status").asText());
        jrunc.run("kill", FROZEN, "9").assertExit(0);
        waitForStatus(FROZEN, "stopped");
        jrunc.run("delete", FROZEN).assertExit(0);
    }

    @Test
    void execJoinsTheContainer() throws Exception {
        jrunc.run("run", "--detach", "--bundle", bundle.toString(), EX).assertExit(0);
        Command.Result r = jrunc.run("exec", EX, "sh", "-c", "hostname;"
                + " [ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] && echo the-cgroups-of-pid-1; exit 5");
        r.assertExit(5);
        String[] lines = r.stdout().split("\n");
        assertEquals("runc", lines[0], "the container's hostname");
        // Every hierarchy's line as PID 1's (v1), or the one line (v2, in the namespace runc spec
        // adds there); PID 1 itself is in the container's cgroup as the host sees it.
        assertEquals("the-cgroups-of-pid-1", lines[1], "the exec'd process's cgroups");
        int initPid = state(EX).get("pid").asInt();
        assertTrue(Files.readString(Path.of("/proc/" + initPid + "/cgroup")).contains(":/jrunc/" + EX + "\n"),
                "the container's cgroup");
        Path process = tmp.resolve("process.json");
        Files.writeString(process, "{\"args\": [\"/bin/sh\", \"-c\", \"id -u; pwd\"],"
                + " \"cwd\": \"/etc\", \"user\": {\"uid\": 1234, \"gid\": 99}, \"env\": []}");
        Command.Result fromFile = jrunc.run("exec", "--process", process.toString(), EX).assertExit(0);
        assertEquals("1234\n/etc\n", fromFile.stdout());
        Command.Result missing = jrunc.run("exec", EX, "no-such-program").assertExit(127);
        assertTrue(missing.stderr().contains("\"no-such-program\": executable file not found"),
                missing.stderr());
        jrunc.run("delete", "--force", EX).assertExit(0);
        Command.Result stopped = jrunc.run("exec", EX, "true").assertExit(1);
        assertTrue(stopped.stderr().contains("container " + EX + " does not exist"), stopped.stderr());
    }

    @Test
    void runReturnsTheExitStatusAndSignals() {
        Bundles.edit(bundle, c -> c.with("process").putArray("args").add("sh").add("-c")
                .add("echo out; exit 7"));
        try {
            Command.Result r = jrunc.run("run", "--bundle", bundle.toString(), SEVEN).assertExit(7);
            assertEquals("out\n", r.stdout());
            assertFalse(Files.exists(jrunc.root.resolve(SEVEN)), "run deletes the container");
        } finally {
            Bundles.edit(bundle, c -> c.with("process").putArray("args").add("sh").add("-c").add(LOOP));
        }
    }

    @Test
    void runOfAKilledContainerExitsWith128PlusTheSignal() throws Exception {
        List<String> argv = new java.util.ArrayList<>(jrunc.launcher);
        argv.addAll(List.of("--root", jrunc.root.toString(), "run", "--bundle", bundle.toString(),
                KILLED));
        Path log = tmp.resolve(KILLED + ".log");
        Process run = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (run.isAlive() && System.nanoTime() < deadline
                    && !jrunc.run("state", KILLED).stdout().contains("\"running\"")) {
                Thread.sleep(100);
            }
            jrunc.run("kill", KILLED, "KILL").assertExit(0);
            assertTrue(run.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(137, run.exitValue(), "128 + SIGKILL; output: " + Files.readString(log));
            assertFalse(Files.exists(jrunc.root.resolve(KILLED)), "run deletes the container");
        } finally {
            run.destroyForcibly();
        }
    }

    @Test
    void killAcceptsNamesNumbersAndAll() throws Exception {
        jrunc.run("run", "--detach", "--bundle", bundle.toString(), SIG).assertExit(0);
        Command.Result bad = jrunc.run("kill", SIG, "SIGNOPE").assertExit(1);
        assertTrue(bad.stderr().contains("unknown signal SIGNOPE"), bad.stderr());
        jrunc.run("kill", SIG, "SIGCONT").assertExit(0);
        jrunc.run("kill", SIG, "18").assertExit(0);
        assertEquals("running", state(SIG).get("status").asText());
        jrunc.run("kill", "--all", SIG, "KILL").assertExit(0);
        waitForStatus(SIG, "stopped");
        jrunc.run("delete", SIG).assertExit(0);
    }

    @Test
    void unknownIdsAreNamed() {
        for (String command : List.of("start", "state", "kill", "delete", "pause", "resume", "ps")) {
            Command.Result r = jrunc.run(command, GHOST).assertExit(1);
            assertTrue(r.stderr().contains("container " + GHOST + " does not exist"), command + ": " + r.stderr());
        }
    }

    static void waitForStatus(String id, String wanted) throws Exception {
        String status = null;
        for (int i = 0; i < 100; i++) {
            status = state(id).get("status").asText();
            if (status.equals(wanted)) return;
            Thread.sleep(100);
        }
        assertEquals(wanted, status, "status of " + id);
    }
}
