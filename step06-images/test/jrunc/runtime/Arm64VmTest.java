package jrunc.runtime;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import workshop.testkit.Arm64Vm;
import workshop.testkit.Privileged;

/**
 * jrunc (step06) on arm64: its core tests, run in one boot of the emulated arm64 VM (testkit's Arm64Vm,
 * Debian's arm64 kernel and JDK), each reported here as "[arm64 VM] Class.method". CI runs them
 * once, with its JDK 17 run (tag arm64-vm): the guest's JDK is the same in both.
 */
@Tag("arm64-vm")
class Arm64VmTest {
    static final List<String> IN_VM = List.of(
            "jrunc.linux.SyscallTest#theRunningMachinePicksItsColumn",
            "jrunc.linux.OpenFlagTest",
            "jrunc.runtime.LifecycleTest#runExecKillDeleteOfOneContainer",
            "jrunc.runtime.DeviceRulesTest#aRefusedProgramIsAnErrorThatNamesTheFieldAndTheErrno",
            "jrunc.runtime.SeccompArchitecturesTest",
            "jrunc.image.MultiPlatformPullTest");

    @TestFactory
    Stream<DynamicTest> theCoreTestsPassOnArm64() {
        Privileged.requireRoot();
        return Arm64Vm.runTests(IN_VM, Duration.ofMinutes(15));
    }
}
