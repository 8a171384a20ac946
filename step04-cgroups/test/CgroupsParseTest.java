import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Sizes, CPU shares and PID counts as a user types them, and the host layouts as mounted. */
class CgroupsParseTest {
    @Test
    void sizesAreDockerStyleInUnitsOf1024() {
        assertEquals(1048576, Cgroups.parseSize("--memory", "1048576"));
        assertEquals(512 * 1024, Cgroups.parseSize("--memory", "512k"));
        assertEquals(64L << 20, Cgroups.parseSize("--memory", "64m"));
        assertEquals(64L << 20, Cgroups.parseSize("--memory", "64M"));
        assertEquals(1L << 30, Cgroups.parseSize("--memory", "1g"));
    }

    @Test
    void aNegativeOrUnitlessGarbageSizeIsRefusedWithAnExample() {
        for (String bad : List.of("-1", "64x", "m", "1.5g", "")) {
            var e = assertThrows(IllegalArgumentException.class, () -> Cgroups.parseMemory(bad));
            assertTrue(e.getMessage().startsWith("--memory " + bad + ": not a size"), e.getMessage());
            assertTrue(e.getMessage().contains("64m"), e.getMessage());
        }
    }

    @Test
    void aMemoryLimitTooSmallForTheInitIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> Cgroups.parseMemory("512k"));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }

    @Test
    void cpusIsAFractionOfOneCpuTurnedIntoAQuotaPer100Ms() {
        assertEquals(0.5, Cgroups.parseCpus("0.5"));
        assertEquals(50_000, Cgroups.cpuQuotaMicros(0.5));
        assertEquals(20_000, Cgroups.cpuQuotaMicros(0.2));
        assertEquals(1_000, Cgroups.cpuQuotaMicros(Cgroups.parseCpus("0.01")));
    }

    @Test
    void zeroNegativeTooManyOrNonNumericCpusAreRefused() {
        String tooMany = Integer.toString(Runtime.getRuntime().availableProcessors() + 1);
        for (String bad : List.of("0", "-1", "0.001", "half", "NaN", tooMany)) {
            var e = assertThrows(IllegalArgumentException.class, () -> Cgroups.parseCpus(bad));
            assertTrue(e.getMessage().startsWith("--cpus " + bad + ": not a CPU share"), e.getMessage());
        }
    }

    @Test
    void pidsIsAPositiveWholeNumber() {
        assertEquals(64, Cgroups.parsePids("64"));
        for (String bad : List.of("abc", "0", "-5", "1.5", "")) {
            var e = assertThrows(IllegalArgumentException.class, () -> Cgroups.parsePids(bad));
            assertTrue(e.getMessage().startsWith("--pids " + bad + ": not a number"), e.getMessage());
        }
    }

    @Test
    void eachLimitNeedsItsController() {
        assertEquals(List.of("memory", "cpu", "pids"), new Cgroups.Limits(1L << 26, 0.5, 10L).controllers());
        assertEquals(List.of("pids"), Cgroups.Limits.NONE.withPids(5L).controllers());
        assertEquals(List.of(), Cgroups.Limits.NONE.controllers());
    }

    static final String HYBRID = """
            24 31 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
            26 24 0:24 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            27 26 0:25 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            28 26 0:26 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            29 26 0:27 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            30 26 0:28 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            31 26 0:29 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;

    static final String V1_COMOUNTED = """
            26 24 0:24 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
            33 26 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct
            34 26 0:29 / /sys/fs/cgroup/memory rw,nosuid shared:16 - cgroup cgroup rw,memory
            """;

    static final String V2 = """
            24 31 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
            26 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
            """;

    @Test
    void theLayoutIsReadFromMountinfo() {
        assertEquals(Cgroups.Layout.HYBRID, Cgroups.layout(Cgroups.cgroupMounts(HYBRID)));
        assertEquals(Cgroups.Layout.V1, Cgroups.layout(Cgroups.cgroupMounts(V1_COMOUNTED)));
        assertEquals(Cgroups.Layout.V2, Cgroups.layout(Cgroups.cgroupMounts(V2)));
    }

    @Test
    void aV1HierarchyMayHoldTwoControllers() {
        var mounts = Cgroups.cgroupMounts(V1_COMOUNTED);
        assertEquals(new Cgroups.Mount(Path.of("/sys/fs/cgroup/cpu,cpuacct"), "cgroup",
                Set.of("cpu", "cpuacct")), mounts.get(0));
    }

    @Test
    void noCgroupMountIsAClearError() {
        var e = assertThrows(IllegalStateException.class, () -> Cgroups.layout(List.of()));
        assertTrue(e.getMessage().contains("no cgroup file system is mounted"), e.getMessage());
    }
}
