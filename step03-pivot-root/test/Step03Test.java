import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.DepsInSync;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;
import workshop.testkit.Workshop;

/** What a learner sees after step03: a container with its own processes, devices and network. */
class Step03Test {
    @TempDir Path scratch;
    Path rootfs;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
        rootfs = Rootfs.workshopDefault();
    }

    static Command step03(String... args) {
        return Command.javaMain("Run", args);
    }

    static String hostHostname() throws Exception {
        return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    }

    @Test
    void psShowsOnlyTheContainersProcesses() {
        // "; true" keeps sh from exec'ing ps as its last command: two processes, sh and ps.
        var result = step03(rootfs.toString(), "/bin/sh", "-c", "ps -o pid,comm; true").run().assertExit(0);
        List<List<String>> rows = result.stdout().lines().skip(1)
                .map(line -> List.of(line.trim().split("\\s+"))).toList();
        assertEquals(2, rows.size(), result.stdout());
        assertEquals(List.of("1", "sh"), rows.get(0), "PID 1 is the user's command");
        assertEquals("ps", rows.get(1).get(1), result.stdout());
    }

    @Test
    void pid1IsTheUsersCommandNotAJvm() {
        var result = step03(rootfs.toString(), "/bin/sh", "-c", "cat /proc/1/cmdline; true").run().assertExit(0);
        assertEquals("/bin/sh\0-c\0cat /proc/1/cmdline; true\0", result.stdout());
    }

    @Test
    void theCommandIsPid1() {
        var result = step03(rootfs.toString(), "/bin/sh", "-c", "echo $$").run().assertExit(0);
        assertEquals("1\n", result.stdout());
    }

    @Test
    void theContainerHasItsOwnHostnameAndTheHostKeepsItsName() throws Exception {
        String before = hostHostname();
        var result = step03("--hostname", "box-42", rootfs.toString(), "hostname").run().assertExit(0);
        assertEquals("box-42\n", result.stdout());
        assertEquals(before, hostHostname(), "the host's hostname");
    }

    @Test
    void theExitStatusIsTheCommands() {
        step03(rootfs.toString(), "/bin/sh", "-c", "exit 7").run().assertExit(7);
    }

    @Test
    void onlyLoopbackExistsAndItIsUp() {
        var result = step03(rootfs.toString(), "/bin/sh", "-c",
                "ls /sys/class/net; cat /sys/class/net/lo/flags; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo pong")
                .run().assertExit(0);
        // 0x9 = IFF_UP | IFF_LOOPBACK
        assertEquals("lo\n0x9\npong\n", result.stdout());
    }

    @Test
    void devIsAFreshTmpfsWithTheUsualDevicesAndTheRootfsGetsNoFiles() throws Exception {
        Path copy = Rootfs.copyInto(scratch);
        var result = step03(copy.toString(), "/bin/sh", "-c",
                "echo lost > /dev/null; head -c 4 /dev/zero | wc -c; ls /dev; mount | grep ' /dev' | cut -d' ' -f1,3,5")
                .run().assertExit(0);
        assertEquals("""
                4
                full
                null
                ptmx
                pts
                random
                shm
                tty
                urandom
                zero
                tmpfs /dev tmpfs
                devpts /dev/pts devpts
                tmpfs /dev/shm tmpfs
                """, result.stdout());
        try (var files = Files.list(copy.resolve("dev"))) {
            assertEquals(List.of(), files.toList(), "rootfs/dev on the host after the run");
        }
    }

    @Test
    void sysIsReadOnly() {
        var result = step03(rootfs.toString(), "/bin/sh", "-c", "touch /sys/x 2>&1; true").run().assertExit(0);
        assertTrue(result.stdout().contains("Read-only file system"), result.stdout());
    }

    @Test
    void twoContainersAtOnceHaveTheirOwnHostnamesAndProcesses() throws Exception {
        // They share a rootfs copy only to meet: each waits until the other one runs, looks
        // around, and waits again until the other one has looked too.
        Path shared = Rootfs.copyInto(scratch);
        String script = "touch /tmp/$1-up; until [ -e /tmp/$2-up ]; do sleep 0.05; done;"
                + " hostname; ps -o comm; touch /tmp/$1-done; until [ -e /tmp/$2-done ]; do sleep 0.05; done";
        ExecutorService twoAtOnce = Executors.newFixedThreadPool(2);
        List<List<String>> seenByEach;
        try {
            var alpha = twoAtOnce.submit(() -> step03("--hostname", "alpha", shared.toString(),
                    "/bin/sh", "-c", script, "sh", "alpha", "beta").run().assertExit(0));
            var beta = twoAtOnce.submit(() -> step03("--hostname", "beta", shared.toString(),
                    "/bin/sh", "-c", script, "sh", "beta", "alpha").run().assertExit(0));
            seenByEach = List.of(List.of("alpha", alpha.get().stdout()), List.of("beta", beta.get().stdout()));
        } finally {
            twoAtOnce.shutdownNow();
        }

        for (var seen : seenByEach) {
            List<String> lines = seen.get(1).lines().toList();
            assertEquals(seen.get(0), lines.get(0), "hostname in " + seen.get(0));
            // Its own sh (PID 1), its ps, maybe a sleep: the other container's sh is not there.
            assertEquals(1, lines.stream().filter(l -> l.trim().equals("sh")).count(), seen.get(1));
            assertTrue(lines.stream().skip(2).allMatch(l -> List.of("sh", "ps", "sleep").contains(l.trim())), seen.get(1));
        }
    }

    @Test
    void theReadmeCommandGivesAShellInTheContainer() {
        // The card's command, through the repository's jbang (class path: jbang's jar cache).
        var result = Command.of("./jbang", "step03-pivot-root/Run.java", "rootfs", "/bin/sh")
                .stdin("hostname; echo $$; ps -o comm >/dev/shm/ps; wc -l </dev/shm/ps; exit 3\n")
                .timeout(Duration.ofMinutes(3))
                .run().assertExit(3);
        // ps: a header line, then sh and ps; nothing of the host's. (Through a file, not a
        // pipe: in a pipe, ps may run before wc exists, and the count would vary.)
        assertEquals("container\n1\n3\n", result.stdout());
    }

    @Test
    void theDemoNarratesEachKernelStepInOrder() {
        // The README's (and bin/demo's) --verbose command.
        var result = step03("--verbose", "--hostname", "demo", rootfs.toString(),
                "/bin/sh", "-c", "hostname; ps; ls /dev; ip -o link; true").run().assertExit(0);
        assertTrue(result.stdout().startsWith("demo\nPID   USER     COMMAND\n    1 root     /bin/sh -c hostname;"),
                result.stdout());
        assertTrue(result.stdout().contains("\nzero\n1: lo: <LOOPBACK,UP,LOWER_UP>"), result.stdout());
        List<String> steps = List.of("unshare(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET)",
                "posix_spawn", "PR_SET_PDEATHSIG", "MS_REC|MS_PRIVATE", "MS_BIND|MS_REC", "pivot_root",
                "mount(proc, /proc)", "mount(tmpfs, /dev)", "mount(sysfs, /sys, MS_RDONLY)", "sethostname(demo)",
                "IFF_UP", "ready: execve /bin/sh", "the init says ready", "PID 1 exited with status 0");
        int at = -1;
        for (String step : steps) {
            int next = result.stderr().indexOf(step, at + 1);
            assertTrue(next > at, "'" + step + "' after the previous step in:\n" + result.stderr());
            at = next;
        }
    }

    @Test
    void theHelpSaysHowToUseIt() {
        var result = step03("--help").run().assertExit(0);
        assertTrue(result.stdout().startsWith("Usage: ./jbang step03-pivot-root/Run.java [--hostname NAME] [--verbose] ROOTFS"));
    }

    @Test
    void theStepsDepsLinesMatchThePom() {
        DepsInSync.assertStep(Workshop.root().resolve("step03-pivot-root"));
    }
}
