import java.nio.file.Path;
import workshop.testkit.VmTests;

/**
 * Runs test classes (or single Class#method tests) inside the cgroup v2 VM (started by
 * CgroupV2VmTest) with testkit's VmTests, after printing the cgroup layout the guest sees:
 * {@code @@layout V2}.
 */
public final class VmTestMain {
    public static void main(String[] tests) {
        var mounts = Cgroups.cgroupMounts(Cgroups.read(Path.of("/proc/self/mountinfo")));
        System.out.println("@@layout " + Cgroups.layout(mounts));
        VmTests.run(tests);
    }
}
