package workshop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the emulated arm64 machine of {@link Arm64Vm} is: one boot runs a shell script (the
 * guest's own arm64 dash) that writes each observation into a shared folder, and each test
 * checks one of them on the host.
 */
@Tag("arm64-vm")
class Arm64VmTest {
    /** Runs in the guest's arm64 JVM from this module's target/test-classes, compiled on the host. */
    public static final class Hello {
        public static void main(String[] args) {
            System.out.println("os.arch=" + System.getProperty("os.arch"));
            System.out.println("java.home=" + System.getProperty("java.home"));
            System.out.println("java " + Runtime.version().feature());
            System.out.println(String.join(" ", args));
        }
    }

    static final String GUEST_SCRIPT = """
            set -u
            cd "$OUT"
            uname -m > uname-m
            # e_machine, bytes 18-19 of the ELF header: 0xb7 0x00 is EM_AARCH64.
            od -An -tx1 -j18 -N2 /bin/busybox | tr -d ' \\n' > busybox-machine
            cat /proc/self/mountinfo > mountinfo
            "$REPO/bin/install-packages" busybox-static > install.out 2>&1
            echo $? > install-exit
            sha256sum < "$REPO/pom.xml" | cut -d' ' -f1 > pom-sha256
            echo written-in-the-guest > "$MARKER" && cat "$MARKER" > marker-in-guest
            start=$(date +%s%N)
            "$@" > java.out 2> java.err
            echo $? > java-exit
            end=$(date +%s%N)
            echo $(( (end - start) / 1000000 )) > java-millis
            echo guest script finished
            """;

    static Path out;
    static Path marker;
    static Cgroup2Vm.Result result;
    static List<String> javaCommand;

    @BeforeAll
    static void bootOnce() throws Exception {
        Privileged.requireRoot();
        Path target = Workshop.root().resolve("testkit/target");
        out = target.resolve("arm64-vm-test");
        marker = target.resolve("arm64-vm-test-marker");
        Cgroup2VmTest.deleteRecursively(out);
        Files.createDirectories(out);
        Files.writeString(marker, "written-on-the-host\n");
        javaCommand = Arm64Vm.javaCommand(Hello.class.getName(), "alpha", "beta");
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", GUEST_SCRIPT, "sh"));
        command.addAll(javaCommand);

        result = Arm64Vm.run(command, out, target,
                Map.of("OUT", out.toString(), "MARKER", marker.toString(),
                        "REPO", Workshop.root().toString()),
                Duration.ofMinutes(5));
    }

    @AfterAll
    static void reportTimings() throws IOException {
        if (result == null) return;
        Path millis = out.resolve("java-millis");
        System.out.printf("arm64 VM: boot %s, JVM inside %s ms, command %s, total %s%n",
                result.boot(), Files.exists(millis) ? Files.readString(millis).strip() : "?",
                result.command(), result.total());
    }

    @Test
    void theCommandRanToItsEndAndItsOutputCameBack() {
        assertEquals(0, result.exitCode(), result::describe);
        assertEquals("guest script finished\n", result.stdout(), result::describe);
    }

    @Test
    void theMachineIsAarch64() throws IOException {
        assertEquals("aarch64", read("uname-m"), result::describe);
    }

    @Test
    void binBusyboxIsAnAarch64Program() throws IOException {
        assertEquals("b700", read("busybox-machine"), "e_machine of /bin/busybox (EM_AARCH64 = 183)");
    }

    @Test
    void theGuestsJavaRunsAClassCompiledOnTheHost() throws IOException {
        assertEquals("0", read("java-exit"),
                () -> "java failed: " + Cgroup2VmTest.readQuietly(out.resolve("java.err")));
        List<String> lines = Files.readAllLines(out.resolve("java.out"));
        assertEquals(List.of("os.arch=aarch64", "java.home=" + Arm64Vm.JAVA_HOME, "java 17", "alpha beta"),
                lines, "what " + javaCommand + " printed");
    }

    @Test
    void installPackagesFindsBusyboxStaticInstalledAndDoesNothing() throws IOException {
        assertEquals("0", read("install-exit"), () -> Cgroup2VmTest.readQuietly(out.resolve("install.out")));
        assertEquals("", read("install.out"), "bin/install-packages busybox-static should be silent");
    }

    @Test
    void theRepositoryIsVisibleAtItsPathAndGuestWritesNeverReachTheHost() throws IOException {
        String hostSha = Command.of("sha256sum", Workshop.root().resolve("pom.xml").toString())
                .run().assertExit(0).stdout().split(" ")[0];
        assertEquals(hostSha, read("pom-sha256"), "the guest read another pom.xml at the repository's path");
        assertEquals("written-in-the-guest", read("marker-in-guest"),
                "the guest could not write into the repository (tmpfs overlay)");
        assertEquals("written-on-the-host\n", Files.readString(marker),
                marker + " was changed on the host by the guest");
    }

    @Test
    void cgroup2IsTheOnlyCgroupHierarchy() throws IOException {
        Map<String, String> fsTypeByMountPoint =
                Cgroup2VmTest.fsTypeByMountPoint(out.resolve("mountinfo"));
        Cgroup2VmTest.assertCgroup2Only(fsTypeByMountPoint);
        assertEquals("overlay", fsTypeByMountPoint.get(Workshop.root().toString()),
                "the repository should be an overlay: " + fsTypeByMountPoint);
    }

    @Test
    void aCommandThatOutlivesTheTimeoutIsKilledAndNothingIsLeftRunning() {
        long start = System.nanoTime();
        Cgroup2Vm.Result slow = Arm64Vm.run(List.of("sleep", "600"), Duration.ofSeconds(2));
        Cgroup2VmTest.assertKilledAtTheTimeoutWithNothingLeft(slow,
                Duration.ofNanos(System.nanoTime() - start));
    }

    private static String read(String name) throws IOException {
        return Files.readString(out.resolve(name)).strip();
    }
}
