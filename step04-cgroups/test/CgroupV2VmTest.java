import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import workshop.testkit.Cgroup2Vm;
import workshop.testkit.Privileged;
import workshop.testkit.VmTests;
import workshop.testkit.Workshop;

/**
 * Real cgroup v2: one throw-away VM (testkit's Cgroup2Vm: a pure-v2 kernel that sees this
 * machine's / read-only) runs the cgroup tests of this module with VmTestMain, and every
 * test it ran is reported here as a test of its own, named "[v2 VM] Class.method".
 * One boot for all of them; the guest's JVMs (VmTestMain's, and the runtimes it starts) run
 * with Cgroup2Vm.JVM_OPTIONS: under emulation a JVM's own work is what costs most.
 */
class CgroupV2VmTest {
    /**
     * What runs in the VM: the drivers, then the container runs (the cleanup test's 8 among
     * them, two of each kind), each two JVM starts under emulation: 5 to 15 seconds each.
     */
    static final List<String> IN_VM = List.of("CgroupDriverTest",
            "Step04Test#aMemoryHogIsOomKilledWithStatus137AndTheKernelSaysSo",
            "Step04Test#aForkLoopStopsAtThePidsLimitWhileTheOthersKeepRunning",
            "Step04Test#aBusyLoopUnderAFifthOfACpuGetsAboutAFifthOfTheTime",
            "Step04CleanupTest#afterManyRunsIncludingKilledAndFailedOnesNoCgroupRemains");

    @TestFactory
    Stream<DynamicTest> theCgroupTestsPassOnAPureCgroupV2Kernel() {
        Privileged.requireRoot();
        List<String> argv = new ArrayList<>(Cgroup2Vm.javaLauncher());
        argv.add(1, "-Dworkshop.root=" + Workshop.root());
        argv.add(2, "-Dstep04.cleanup.runs=8");
        argv.add("VmTestMain");
        argv.addAll(IN_VM);
        Cgroup2Vm.Result result = Cgroup2Vm.run(argv, Duration.ofMinutes(15));

        String transcript = result.describe();
        return VmTests.report("v2 VM", result.stdout(), transcript,
                "the VM booted and sees only cgroup v2", () -> {
                    assertEquals(0, result.exitCode(), transcript);
                    assertEquals(List.of("@@layout V2"), result.stdout().lines()
                            .filter(l -> l.startsWith("@@layout")).toList(), transcript);
                }, IN_VM);
    }
}
