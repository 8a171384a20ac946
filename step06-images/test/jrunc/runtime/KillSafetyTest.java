package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import jrunc.linux.LibC;
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
 * SIGKILL of create, run or exec at any moment (as the OOM killer, a timeout or a crashed
 * engine would send it) leaves either nothing, or a container that list shows, state reports
 * and delete --force removes without a trace; and nothing the killed command started waits
 * for ever when nobody deletes it.
 */
class KillSafetyTest {
    static final String RUN = LifecycleTest.RUN;
    /** How long an init or a holder may outlive the command that was killed. */
    static final long EXIT_WITHIN_MS = 6000;
    @TempDir
    static Path tmp;
    static Path rootfs;
    static Path marks;
    static JruncTool jrunc;
    static Host before;
    /** How long one whole create takes here, without and with a user namespace. */
    static long createMillis, userCreateMillis;
    static int count;

    @BeforeAll
    static void setUp() throws Exception {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        // The container's root is uid 100000 on the host: it must reach the bundles, and
        // its createContainer hooks must be able to leave their marks.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        rootfs = Bundles.create(tmp.resolve("base"), "/unused", List.of("true"), c -> {})
                .resolve("rootfs");
        marks = Files.createDirectories(tmp.resolve("marks"));
        Files.setPosixFilePermissions(marks, PosixFilePermissions.fromString("rwxrwxrwx"));
        jrunc = JruncTool.jrunc(tmp.resolve("state"));
        createMillis = timeOneCreate(false);
        userCreateMillis = timeOneCreate(true);
    }

    @AfterAll
    static void nothingLeft() {
        if (jrunc == null) return;
        before.cleanUpAndAssertNothingLeft(jrunc, tmp, tmp.resolve("bundles"), tmp.resolve("base"));
    }

    static long timeOneCreate(boolean userNamespace) {
        String id = "timed" + (userNamespace ? "-user" : "") + RUN;
        Path bundle = bundle(id, userNamespace, c -> {});
        long start = System.nanoTime();
        jrunc.run("create", "--bundle", bundle.toString(), id).assertExit(0);
        long millis = (System.nanoTime() - start) / 1_000_000;
        jrunc.run("delete", "--force", id).assertExit(0);
        return millis;
    }

    /**
     * Where create is killed: a fraction of a whole create's time after it started, or while
     * a hook of a phase runs (the hook leaves a mark, then sleeps).
     */
    record Moment(String phase, double fraction, boolean userNamespace) {
        @Override
        public String toString() {
            return (phase != null ? "in the " + phase + " hook" : "after " + fraction + " of its time")
                    + (userNamespace ? ", in a user namespace" : "");
        }
    }

    static Stream<Arguments> moments() {
        return Stream.of(new Moment(null, 0, false), new Moment(null, 0.25, false),
                new Moment(null, 0.5, false), new Moment(null, 0.75, false),
                new Moment(null, 0.95, false), new Moment(null, 0.4, true),
                new Moment(null, 0.8, true), new Moment("prestart", 0, false),
                new Moment("createRuntime", 0, true), new Moment("createContainer", 0, false),
                new Moment("createContainer", 0, true)).map(Arguments::of);
    }

    @ParameterizedTest(name = "create killed {0}")
    @MethodSource("moments")
    void killedCreateLeavesNothingOrADeletableContainer(Moment moment) throws Exception {
        String id = "kill" + (++count) + RUN;
        Path mark = marks.resolve(id);
        Path bundle = bundle(id, moment.userNamespace(), c -> {
            // The init's hook ends by itself, then the init must notice it was orphaned.
            if (moment.phase() != null) {
                pauseIn(c, moment.phase(), mark, moment.phase().equals("createContainer") ? 1 : 60);
            }
        });
        Host snapshot = Host.snapshot(tmp);
        Process create = start("create", "--bundle", bundle.toString(), id);
        if (moment.phase() != null) {
            awaitMark(mark, create);
            if (!moment.phase().equals("createContainer")) {
                JsonNode state = state(id);
                assertEquals("creating", state.get("status").asText(), "while create waits for its hook");
            }
        } else {
            Thread.sleep((long) (moment.fraction()
                    * (moment.userNamespace() ? userCreateMillis : createMillis)));
        }
        killAndReap(create);
        if (moment.phase() != null) {
            if (!moment.phase().equals("createContainer")) killHook(mark);
            assertTrue(listed(id), "a create killed in a hook is listed: " + jrunc.run("list").stdout());
        }
        assertAftermath(id, snapshot, moment.phase() == null);
    }

    @Test
    void killedCreateIsRemovedWhileItsInitStillRuns() throws Exception {
        String id = "busy" + RUN;
        Path mark = marks.resolve(id);
        Path bundle = bundle(id, false, c -> pauseIn(c, "createContainer", mark, 60));
        Host snapshot = Host.snapshot(tmp);
        Process create = start("create", "--bundle", bundle.toString(), id);
        awaitMark(mark, create);
        killAndReap(create);
        assertEquals("stopped", state(id).get("status").asText());
        assertTrue(initsSince(snapshot).size() > 0, "the init still runs its createContainer hook");
        jrunc.run("delete", "--force", id).assertExit(0);
        assertNothingLeft(snapshot, id);
    }

    /** A plain delete would kill what another create is still making: only --force may. */
    @Test
    void aContainerBeingCreatedIsNotKilledOrDeletedByMistake() throws Exception {
        String id = "creating" + RUN;
        Path mark = marks.resolve(id);
        Path bundle = bundle(id, false, c -> pauseIn(c, "prestart", mark, 60));
        Host snapshot = Host.snapshot(tmp);
        Process create = start("create", "--bundle", bundle.toString(), id);
        awaitMark(mark, create);
        Command.Result delete = jrunc.run("delete", id).assertExit(1);
        assertTrue(delete.stderr().contains("cannot delete container " + id
                + " that is not stopped: it is creating (use delete --force)"), delete.stderr());
        Command.Result kill = jrunc.run("kill", id, "9").assertExit(1);
        assertTrue(kill.stderr().contains("cannot kill container " + id
                + ": it is still being created"), kill.stderr());
        assertTrue(create.isAlive(), "create goes on");
        // --force kills the creator too: it is what would go on making the container.
        jrunc.run("delete", "--force", id).assertExit(0);
        assertTrue(create.waitFor(10, TimeUnit.SECONDS), "create was killed");
        killHook(mark);
        assertNothingLeft(snapshot, id);
    }

    /** run in the foreground: killed while it creates, and while the container runs. */
    @ParameterizedTest(name = "run killed {0}")
    @MethodSource("runMoments")
    void killedRunLeavesNothingOrADeletableContainer(String when) throws Exception {
        String id = "run" + (++count) + RUN;
        Path mark = marks.resolve(id);
        Path bundle = bundle(id, false, c -> {
            if (when.equals("in the createContainer hook")) pauseIn(c, "createContainer", mark, 1);
        });
        Host snapshot = Host.snapshot(tmp);
        Process run = start("run", "--bundle", bundle.toString(), id);
        switch (when) {
            case "in the createContainer hook" -> awaitMark(mark, run);
            case "while the container runs" -> awaitStatus(id, "running", run);
            default -> Thread.sleep(createMillis / 2);
        }
        killAndReap(run);
        if (!when.startsWith("half")) assertTrue(listed(id), "listed after run was killed " + when);
        assertAftermath(id, snapshot, when.startsWith("half"));
    }

    static Stream<String> runMoments() {
        return Stream.of("halfway through create", "in the createContainer hook",
                "while the container runs");
    }

    /** exec in the foreground, killed at several moments: the container stays deletable. */
    @ParameterizedTest(name = "exec killed after {0} of its time, user namespace {1}")
    @MethodSource("execMoments")
    void killedExecLeavesADeletableContainer(double fraction, boolean userNamespace) throws Exception {
        String id = "exec" + (++count) + RUN;
        Path bundle = bundle(id, userNamespace, c -> {});
        Host snapshot = Host.snapshot(tmp);
        jrunc.run("create", "--bundle", bundle.toString(), id).assertExit(0);
        jrunc.run("start", id).assertExit(0);
        Host running = Host.snapshot(tmp); // with the container's init (or the unshare above it)
        long startedAt = System.nanoTime();
        jrunc.run("exec", id, "true").assertExit(0);
        long execMillis = (System.nanoTime() - startedAt) / 1_000_000;
        Process exec = start("exec", id, "sleep", "60");
        if (fraction < 1) {
            Thread.sleep((long) (fraction * execMillis));
        } else {
            awaitExecd(id, running, exec);
        }
        killAndReap(exec);
        assertTrue(awaitNoInitsSince(running), "an exec init JVM outlived exec: " + initsSince(running));
        assertEquals("running", state(id).get("status").asText());
        jrunc.run("delete", "--force", id).assertExit(0);
        assertNothingLeft(snapshot, id);
    }

    static Stream<Arguments> execMoments() {
        return Stream.of(Arguments.of(0.3, false), Arguments.of(0.6, false),
                Arguments.of(1.0, false), Arguments.of(0.6, true));
    }

    /**
     * runc on the same bundle, killed in the same hook: runc 1.1.5 forgets the container
     * (list omits it, state says "container does not exist") and leaves its cgroups; jrunc
     * reports it stopped, as runc reports a container whose init died, and removes all of
     * it. Neither leaves its init behind.
     */
    @Test
    void comparedWithRunc() throws Exception {
        String id = "cmp" + RUN;
        Path mark = marks.resolve(id);
        String cgroup = "/jrunc-test-kill-runc" + RUN;
        Path bundle = bundle(id, false, c -> {
            ((ObjectNode) c.get("linux")).put("cgroupsPath", cgroup);
            pauseIn(c, "createRuntime", mark, 60);
        });
        Host snapshot = Host.snapshot(tmp);
        JruncTool runc = JruncTool.runc(tmp.resolve("runc-state"));
        Process create = start(runc, "create", "--bundle", bundle.toString(), id);
        awaitMark(mark, create);
        killAndReap(create);
        killHook(mark);
        Command.Result runcState = runc.run("state", id);
        List<String> runcCgroups = cgroupDirectories(cgroup);
        assertTrue(awaitEmpty(runcCgroups), "runc init outlived runc create: " + runcCgroups);
        runc.run("delete", "--force", id).assertExit(0);
        for (String dir : cgroupDirectories(cgroup)) LibC.C.rmdir(dir); // runc leaves them
        assertNothingLeft(snapshot, id, cgroup);

        Files.delete(mark);
        create = start("create", "--bundle", bundle.toString(), id);
        awaitMark(mark, create);
        killAndReap(create);
        killHook(mark);
        Command.Result state = jrunc.run("state", id).assertExit(0);
        String status = Bundles.JSON.readTree(state.stdout()).get("status").asText();
        assertEquals("stopped", status);
        if (runcState.exitCode() == 0) {
            assertEquals(status, Bundles.JSON.readTree(runcState.stdout()).get("status").asText(),
                    "runc and jrunc agree on what a killed create left");
        } else {
            assertTrue(runcState.stderr().contains("container does not exist"), runcState.stderr());
        }
        assertAftermath(id, snapshot, false);
        assertNothingLeft(snapshot, id, cgroup);
    }

    // --- what must hold after the kill ---

    /**
     * Whatever the killed command started exits by itself within seconds (unless the container
     * was created: its init then waits for start), and either nothing is left, or the id is
     * listed, state answers and delete --force leaves nothing.
     */
    static void assertAftermath(String id, Host snapshot, boolean mayBeCreated) throws Exception {
        boolean listed = listed(id);
        String status = listed ? state(id).get("status").asText() : "gone";
        if (!status.equals("created") && !status.equals("running")) {
            assertTrue(awaitNoInitsSince(snapshot), "outlived the killed command: " + initsSince(snapshot));
            assertTrue(awaitGone(recordedInit(id)), "the recorded init of " + id + " outlived create");
        }
        if (!listed) {
            assertNothingLeft(snapshot, id);
            return;
        }
        List<String> allowed = mayBeCreated ? List.of("stopped", "created", "running")
                : List.of("stopped", "running");
        assertTrue(allowed.contains(status), id + " is " + status);
        jrunc.run("delete", "--force", id).assertExit(0);
        assertNothingLeft(snapshot, id);
    }

    /**
     * No state directory, and nothing on the host since snapshot: no mount, process or
     * holder of this test, no cgroup named for the container (others' tests may make theirs,
     * and their own state under /run/jrunc).
     */
    static void assertNothingLeft(Host snapshot, String id, String... cgroups) throws Exception {
        assertFalse(Files.exists(jrunc.root.resolve(id)), "state directory of " + id);
        List<String> left = List.of();
        for (int i = 0; i < 50; i++) {
            left = Host.snapshot(tmp).addedSince(snapshot).stream().filter(thing ->
                    thing.startsWith("mount ") || thing.startsWith("process ") || thing.contains("/" + id)
                    || Stream.of(cgroups).anyMatch(thing::endsWith)).toList();
            if (left.isEmpty()) return;
            Thread.sleep(100);
        }
        assertEquals(List.of(), left, "left behind by " + id);
    }

    static boolean awaitNoInitsSince(Host snapshot) throws InterruptedException {
        long deadline = System.nanoTime() + EXIT_WITHIN_MS * 1_000_000;
        while (!initsSince(snapshot).isEmpty()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(50);
        }
        return true;
    }

    /** The init's PID and start time as state.json records them, or null. */
    static long[] recordedInit(String id) throws IOException {
        Path file = jrunc.root.resolve(id).resolve("state.json");
        if (!Files.exists(file)) return null;
        JsonNode state = Bundles.JSON.readTree(file.toFile());
        int pid = state.path("pid").asInt();
        return pid > 0 ? new long[] {pid, state.path("startTime").asLong()} : null;
    }

    static boolean awaitGone(long[] process) throws InterruptedException {
        long deadline = System.nanoTime() + EXIT_WITHIN_MS * 1_000_000;
        while (process != null && Processes.isAlive((int) process[0], process[1])) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(50);
        }
        return true;
    }

    static List<String> initsSince(Host snapshot) {
        List<String> added = new ArrayList<>(Host.snapshot(tmp).inits());
        added.removeAll(snapshot.inits());
        return added;
    }

    static boolean listed(String id) throws IOException {
        JsonNode list = Bundles.JSON.readTree(jrunc.run("list", "--format", "json").assertExit(0).stdout());
        for (JsonNode c : list) if (c.get("id").asText().equals(id)) return true;
        return false;
    }

    static JsonNode state(String id) throws IOException {
        return Bundles.JSON.readTree(jrunc.run("state", id).assertExit(0).stdout());
    }

    // --- bundles, hooks and killing ---

    /** A bundle of its own (config.json only: root.path is the shared rootfs), /jrunc/ID cgroup. */
    static Path bundle(String id, boolean userNamespace, Consumer<ObjectNode> edit) {
        try {
            Path dir = Files.createDirectories(tmp.resolve("bundles").resolve(id));
            ObjectNode config = (ObjectNode) Bundles.JSON.readTree(
                    rootfs.resolveSibling("config.json").toFile());
            ((ObjectNode) config.get("root")).put("path", rootfs.toString());
            ((ObjectNode) config.get("linux")).remove("cgroupsPath");
            ArrayNode args = ((ObjectNode) config.get("process")).putArray("args");
            args.add("sleep").add("60");
            if (userNamespace) NamespacesTest.userNamespace(config);
            edit.accept(config);
            Bundles.JSON.writeValue(dir.resolve("config.json").toFile(), config);
            return dir;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A hook that writes its PID (in its own PID namespace) to mark, then sleeps: create is
     * in that phase until the sleep ends.
     */
    static void pauseIn(ObjectNode config, String phase, Path mark, int seconds) {
        ObjectNode hooks = config.has("hooks") ? (ObjectNode) config.get("hooks") : config.putObject("hooks");
        hooks.putArray(phase).addObject().put("path", "/bin/sh").putArray("args").add("sh").add("-c")
                .add("echo $$ > " + mark + ".tmp && mv " + mark + ".tmp " + mark
                        + " && exec sleep " + seconds);
    }

    /**
     * A host-side hook (prestart, createRuntime) sleeps on after its create was killed: end
     * it (the PID it wrote is a host PID; checked to be that sleep).
     */
    static void killHook(Path mark) throws IOException {
        int pid = Integer.parseInt(Files.readString(mark).trim());
        ProcessHandle.of(pid).filter(p -> p.info().command().orElse("").endsWith("/sleep"))
                .ifPresent(ProcessHandle::destroyForcibly);
    }

    static Process start(String... args) throws IOException {
        return start(jrunc, args);
    }

    static Process start(JruncTool tool, String... args) throws IOException {
        List<String> argv = new ArrayList<>(tool.launcher);
        argv.addAll(List.of("--root", tool.root.toString()));
        argv.addAll(List.of(args));
        Path log = tmp.resolve("command-" + (++count) + ".log");
        return new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    }

    /** SIGKILL, as the OOM killer would send it, and reap. */
    static void killAndReap(Process p) throws InterruptedException {
        p.destroyForcibly();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "SIGKILL did not end " + p.pid());
    }

    static void awaitMark(Path mark, Process command) throws InterruptedException {
        for (int i = 0; i < 600 && !Files.exists(mark); i++) {
            assertTrue(command.isAlive(), "the command exited before its hook ran");
            Thread.sleep(50);
        }
        assertTrue(Files.exists(mark), "the hook did not run within 30 s");
    }

    static void awaitStatus(String id, String wanted, Process command) throws Exception {
        for (int i = 0; i < 600; i++) {
            assertTrue(command.isAlive(), "the command exited before " + id + " was " + wanted);
            Command.Result r = jrunc.run("state", id);
            if (r.exitCode() == 0 && Bundles.JSON.readTree(r.stdout()).get("status").asText().equals(wanted)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(id + " never became " + wanted);
    }

    /** Until exec's process runs: two in the cgroup, and exec's init JVM has exec'd. */
    static void awaitExecd(String id, Host snapshot, Process exec) throws Exception {
        for (int i = 0; i < 600; i++) {
            assertTrue(exec.isAlive(), "exec exited early");
            Command.Result ps = jrunc.run("ps", "--format", "json", id).assertExit(0);
            if (Bundles.JSON.readTree(ps.stdout()).size() >= 2 && initsSince(snapshot).isEmpty()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("exec's process never ran in " + id);
    }

    /** The cgroup's directory in every v1 hierarchy (or the one v2 directory) that exists. */
    static List<String> cgroupDirectories(String cgroup) {
        List<String> dirs = new ArrayList<>();
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            hierarchies.map(h -> h.resolve(cgroup.substring(1))).filter(Files::isDirectory)
                    .forEach(d -> dirs.add(d.toString()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Path v2 = Path.of("/sys/fs/cgroup").resolve(cgroup.substring(1));
        if (Files.isRegularFile(v2.resolve("cgroup.procs")) && !dirs.contains(v2.toString())) {
            dirs.add(v2.toString());
        }
        return dirs;
    }

    static boolean awaitEmpty(List<String> cgroups) throws Exception {
        for (int i = 0; i < EXIT_WITHIN_MS / 50; i++) {
            boolean empty = true;
            for (String dir : cgroups) {
                Path procs = Path.of(dir, "cgroup.procs");
                if (Files.exists(procs) && !Files.readString(procs).isBlank()) empty = false;
            }
            if (empty) return true;
            Thread.sleep(50);
        }
        return false;
    }
}
