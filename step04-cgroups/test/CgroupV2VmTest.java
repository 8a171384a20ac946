import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import workshop.testkit.Cgroup2Vm;
import workshop.testkit.Privileged;
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

    record Outcome(String status, String seconds, String name, String trace) {}

    @TestFactory
    Stream<DynamicTest> theCgroupTestsPassOnAPureCgroupV2Kernel() {
        Privileged.requireRoot();
        List<String> argv = new ArrayList<>(Cgroup2Vm.javaLauncher());
        argv.add(1, "-Dworkshop.root=" + Workshop.root());
        argv.add(2, "-Dstep04.cleanup.runs=8");
        argv.add("VmTestMain");
        argv.addAll(IN_VM);
        Cgroup2Vm.Result result = Cgroup2Vm.run(argv, Duration.ofMinutes(15));

        List<DynamicTest> tests = new ArrayList<>();
        String transcript = result.describe();
        List<Outcome> outcomes = parse(result.stdout());
        tests.add(dynamicTest("[v2 VM] the VM booted and sees only cgroup v2", () -> {
            assertEquals(0, result.exitCode(), transcript);
            assertEquals(List.of("@@layout V2"), result.stdout().lines()
                    .filter(l -> l.startsWith("@@layout")).toList(), transcript);
            assertFalse(outcomes.isEmpty(), "no test ran in the VM\n" + transcript);
        }));
        for (Outcome o : outcomes) {
            tests.add(dynamicTest("[v2 VM] " + o.name() + " (" + o.seconds() + " s)", () -> {
                if (!o.status().equals("PASSED")) {
                    throw new AssertionError(o.status() + " in the v2 VM: " + o.name() + "\n" + o.trace());
                }
            }));
        }
        return tests.stream();
    }

    static List<Outcome> parse(String stdout) {
        List<Outcome> outcomes = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            if (line.startsWith("@@test ")) {
                String[] f = line.split(" ", 4);
                outcomes.add(new Outcome(f[1], f[2], f[3], ""));
            } else if (line.startsWith("@@trace ") && !outcomes.isEmpty()) {
                Outcome last = outcomes.remove(outcomes.size() - 1);
                String trace = new String(Base64.getDecoder().decode(line.substring(8).trim()),
                        StandardCharsets.UTF_8);
                outcomes.add(new Outcome(last.status(), last.seconds(), last.name(), trace));
            }
        }
        return outcomes;
    }
}
