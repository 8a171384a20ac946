package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Cgroup2Vm;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * jrunc on a pure cgroup v2 kernel (most attendees' machines), in the throw-away VM: an image
 * run with limits lands in the v2 cgroup /jrunc/ID, is OOM-killed (137) under its memory.max,
 * and leaves no cgroup behind; a container with CAP_MKNOD and no linux.resources.devices is
 * refused the devices outside runc's standard list by jrunc's eBPF device program (the probe of
 * DeviceRulesTest). One boot runs the whole script; each step's output line is asserted here.
 */
class CgroupV2VmTest {
    @TempDir
    Path work;

    @Test
    void anImageRunsWithItsLimitsAndDeviceRulesOnCgroupV2AndLeavesNoCgroup() throws Exception {
        Privileged.requireRoot();
        Path store = Files.createDirectories(work.resolve("store"));
        String jrunc = String.join(" ", Cgroup2Vm.javaLauncher()) + " jrunc.cli.Jrunc";
        // Below /jrunc: the check that no /jrunc cgroup is left covers this container too.
        Path devices = Bundles.create(work.resolve("devices"), "/jrunc/devices-vm",
                List.of("sh", "/probe.sh", "/tmp"), c -> {
                    DeviceRulesTest.mknodAllowed(c);
                    ((ObjectNode) c.get("linux")).remove("resources");
                });
        Files.writeString(devices.resolve("rootfs/probe.sh"), DeviceRulesTest.PROBE);
        Path script = Files.writeString(work.resolve("run.sh"), String.join("\n",
                "J=\"" + jrunc + "\"",
                "$J import --store " + store + " " + Rootfs.workshopDefault() + " workshop/busybox >/dev/null",
                "$J run --rm --store " + store + " --memory 16m --pids 20 --hostname v2box workshop/busybox"
                        + " /bin/sh -c 'hostname; cat /proc/self/cgroup;"
                        + " dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null'",
                "echo oom-exit=$?",
                "echo '== devices'",
                "$J run --bundle " + devices + " devices-vm",
                "echo devices-exit=$?",
                "ls -d /sys/fs/cgroup/jrunc 2>/dev/null || echo no-jrunc-cgroup-left",
                ""));
        Cgroup2Vm.Result r = Cgroup2Vm.run(List.of("/bin/sh", script.toString()), work, work, Map.of(),
                Duration.ofMinutes(6));
        assertEquals(0, r.exitCode(), r.describe());
        List<String> lines = r.stdout().lines().toList();
        assertEquals("v2box", lines.get(0), r.describe());
        assertTrue(lines.get(1).matches("0::/jrunc/jrunc-[0-9a-f]{12}"), "the container's v2 cgroup: " + r.describe());
        assertTrue(lines.contains("oom-exit=137"), "OOM-killed under memory.max: " + r.describe());
        assertTrue(lines.contains("devices-exit=0"), r.describe());
        String probe = String.join("\n", lines.subList(lines.indexOf("== devices") + 1,
                lines.indexOf("devices-exit=0")));
        assertEquals(DeviceRulesTest.expected(false), DeviceRulesTest.opens(probe),
                "the eBPF device program: " + r.describe());
        assertTrue(lines.contains("no-jrunc-cgroup-left"), r.describe());
    }
}
