import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * A hybrid host's cgroup2 (here /sys/fs/cgroup/unified) has no controller we need, which makes
 * it the place to see the v2 driver's own mechanics on this machine: the clear error for a
 * missing controller, and cgroup.kill + rmdir. The limits themselves are proven on real v2 in
 * the VM (CgroupV2VmTest).
 */
class CgroupV2OnHybridTest {
    final String parent = "workshop-test-" + UUID.randomUUID().toString().substring(0, 8);
    Path unified;
    Process sleeper;

    @BeforeEach
    void requireHybridHost() {
        Privileged.requireRoot();
        var mounts = Cgroups.cgroupMounts(Cgroups.read(Path.of("/proc/self/mountinfo")));
        assumeTrue(Cgroups.layout(mounts) == Cgroups.Layout.HYBRID, "needs a hybrid cgroup host");
        unified = mounts.stream().filter(m -> m.type().equals("cgroup2")).findFirst().orElseThrow().mountPoint();
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        if (sleeper != null) sleeper.destroyForcibly().waitFor();
        assertFalse(Files.exists(unified.resolve(parent)), "left behind: " + unified.resolve(parent));
    }

    @Test
    void aMissingControllerIsNamedBeforeAnythingIsCreated() {
        var v2 = new CgroupV2(unified, parent, "c", Cgroups.Limits.NONE.withMemory(64L << 20), l -> {});
        var e = assertThrows(IllegalStateException.class, v2::create);
        assertTrue(e.getMessage().startsWith("cgroup v2 controller memory is not available in " + unified),
                e.getMessage());
        assertTrue(e.getMessage().contains("--memory limit needs it"), e.getMessage());
    }

    @Test
    void removeKillsWhatIsInsideThroughCgroupKillAndRemovesTheParentToo() throws Exception {
        var said = new StringBuilder();
        var v2 = new CgroupV2(unified, parent, "c", Cgroups.Limits.NONE, l -> said.append(l).append('\n'));
        v2.create();
        Path cgroup = unified.resolve(parent).resolve("c");
        assertTrue(Files.isRegularFile(cgroup.resolve("cgroup.kill")), "a v2 cgroup has cgroup.kill");
        sleeper = new ProcessBuilder(Rootfs.workshopDefault().resolve("bin/busybox").toString(), "sleep", "60").start();
        v2.join(sleeper.pid());
        assertEquals(java.util.List.of((int) sleeper.pid()), Cgroups.pids(cgroup));

        v2.remove();

        assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS), "the sleep survived");
        assertEquals(137, sleeper.exitValue(), "SIGKILL from cgroup.kill");
        assertTrue(said.toString().contains("echo 1 > " + cgroup.resolve("cgroup.kill")), said.toString());
        assertFalse(Files.exists(cgroup), "left behind: " + cgroup);
    }
}
