package workshop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * Runs a command inside a throw-away, emulated linux/arm64 machine (qemu-system-aarch64,
 * software emulation), to show that the steps and jrunc work on arm64 and not only on x86_64.
 *
 * <p>The guest's {@code /} is a Debian bookworm arm64 root file system that
 * {@code testkit/cgroup2-vm/prepare-arm64} builds on the host (no arm64 code runs there), with
 * an arm64 JDK 17 at {@value #JAVA_HOME} and the arm64 busybox at {@code /bin/busybox}, read-only
 * with a tmpfs overlay. The host's repository and {@code ~/.m2/repository} are at their own
 * paths, read-only with a tmpfs overlay too (writes succeed in the guest and vanish), so this
 * JVM's class path is the same inside; results come back through a shared host folder. The
 * kernel is Debian's arm64 kernel with cgroup v2 only. The guest has no network.
 *
 * <p>The same {@link Cgroup2Vm.Result} comes back as from {@link Cgroup2Vm}. Emulating another
 * architecture costs more than emulating this one: run one VM per test class.
 */
public final class Arm64Vm {
    private Arm64Vm() {}

    /** Where the guest's JDK is. */
    public static final String JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-arm64";

    /** The guest's {@code java}: an aarch64 program that the host cannot run. */
    public static final String JAVA = JAVA_HOME + "/bin/java";

    /**
     * Options for every JVM in the guest. Under arm64 emulation the interpreter alone is faster
     * than any JIT for the JVMs tests start: a JIT's own code has to be translated by qemu before
     * it compiles anything. Measured in the guest: a step01 run 4.7 s (against 6.1-7.3 s with
     * C1 only and 7.1-7.4 s with the defaults), 16 JUnit tests in one JVM 23 s (against 32 s with
     * C1, 86 s when C1 ran for the first time in that boot). The CDS archive the JDK ships stays
     * on ({@code -Xshare:off} costs 1-2 s per JVM).
     */
    public static final List<String> JVM_OPTIONS = List.of(
            "-Xint", "-XX:+UseSerialGC", "-XX:-UsePerfData");

    /** {@code testkit/cgroup2-vm/prepare-arm64}. */
    public static Path prepareScript() {
        return Cgroup2Vm.script().resolveSibling("prepare-arm64");
    }

    /**
     * Installs qemu-system-arm if missing, builds the arm64 root file system, fetches the arm64
     * kernel and builds the initramfs, all in {@code <repo>/.cache/arm64-vm}. The first call on a
     * machine downloads about 160 MB and takes a minute or so; afterwards well under a second.
     * {@link #run} calls it, so that its timeout covers only the VM.
     */
    public static synchronized void prepare() {
        Cgroup2Vm.prepare(prepareScript());
    }

    /**
     * The host folders the guest sees at their own paths, read-only with a tmpfs overlay: the
     * repository and the local Maven repository (where this JVM's jars are).
     */
    public static List<Path> overlays() {
        Set<Path> dirs = new LinkedHashSet<>();
        dirs.add(Workshop.root());
        String local = System.getProperty("maven.repo.local");
        if (local != null && !local.isBlank()) dirs.add(Path.of(local).toAbsolutePath().normalize());
        dirs.add(Path.of(System.getProperty("user.home"), ".m2", "repository"));
        return dirs.stream().filter(Files::isDirectory).toList();
    }

    /** {@link #run(List, Path, Path, Map, Duration)} without a share, in the current directory. */
    public static Cgroup2Vm.Result run(List<String> command, Duration timeout) {
        return run(command, null, null, Map.of(), timeout);
    }

    /**
     * Boots the arm64 VM, runs {@code command} in it as root and powers it off.
     *
     * @param command the program and its arguments, looked up on the guest's PATH (its own
     *                arm64 programs: {@code /usr/sbin:/usr/bin:/sbin:/bin})
     * @param share   an existing host folder the guest may write to (same path inside), or null
     * @param cwd     the command's working directory, a path the guest has (null: this JVM's,
     *                which is inside the repository under Maven)
     * @param env     added to the command's environment, which otherwise holds only PATH, HOME,
     *                USER and LOGNAME
     * @param timeout the VM is killed after running this long; the result is then
     *                {@link Cgroup2Vm#TIMEOUT}
     */
    public static Cgroup2Vm.Result run(List<String> command, Path share, Path cwd,
                                       Map<String, String> env, Duration timeout) {
        if (command.isEmpty()) throw new IllegalArgumentException("no command");
        prepare();
        List<String> vmOptions = new ArrayList<>(List.of("--arch", "arm64"));
        for (Path dir : overlays()) vmOptions.addAll(List.of("--overlay", dir.toString()));
        return Cgroup2Vm.run(vmOptions, command, share, cwd, env, timeout);
    }

    /**
     * What {@link Command#javaLauncher()} gives on the host, for the guest: its arm64 java with
     * {@link #JVM_OPTIONS} (also passed on to the JVMs it starts through {@code Command}), the
     * repository as {@code workshop.root}, and this JVM's class path. Append a main class.
     */
    public static List<String> javaLauncher() {
        List<String> argv = new ArrayList<>(Command.javaLauncher(JAVA, JVM_OPTIONS, classPath()));
        argv.add(1, "-Dworkshop.root=" + Workshop.root());
        return argv;
    }

    /** The guest's java running {@code mainClass} of this JVM's class path, with {@link #JVM_OPTIONS}. */
    public static List<String> javaCommand(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA));
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-cp", classPath(), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * This JVM's class path (surefire's: target/classes, target/test-classes, jars in the local
     * Maven repository), checked to lie in folders the guest sees.
     */
    static String classPath() {
        String classPath = System.getProperty("java.class.path");
        List<Path> visible = overlays();
        List<String> outside = new ArrayList<>();
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            if (entry.isEmpty()) continue;
            Path path = Path.of(entry).toAbsolutePath().normalize();
            if (visible.stream().noneMatch(path::startsWith)) outside.add(entry);
        }
        if (!outside.isEmpty()) {
            throw new IllegalStateException("the arm64 guest cannot see these class path entries: "
                    + outside + " (it sees only " + visible + " of the host's files; run the tests"
                    + " with Maven from the repository, or share the folder)");
        }
        return classPath;
    }

    /**
     * Where the guest keeps the workshop's busybox rootfs built for arm64 (by the repository's
     * own {@code bin/build-rootfs}, from the guest's arm64 busybox-static), a host folder shared
     * read-write: built in the first boot, "up to date" in every later one.
     */
    public static Path rootfsCache() {
        String cache = System.getenv("ARM64_VM_CACHE");
        Path dir = (cache != null && !cache.isBlank() ? Path.of(cache)
                : Workshop.root().resolve(".cache/arm64-vm")).resolve("workshop-rootfs");
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /**
     * Runs this module's tests named by {@code tests} (classes, or {@code Class#method}) in one
     * boot of the arm64 VM, after putting the arm64 build of the workshop's rootfs at
     * {@code <repo>/rootfs} (the guest's view; the host's stays as it is), and reports each one
     * as a test of its own named {@code [arm64 VM] Class.method (S s)}, after a first test that
     * checks the guest is an aarch64 machine and every test in {@code tests} ran (see
     * {@link VmTests}).
     */
    public static Stream<DynamicTest> runTests(
            List<String> tests, Duration timeout) {
        Path cache = rootfsCache();
        Path built = cache.resolve("rootfs");
        Path rootfs = Workshop.root().resolve("rootfs");
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c",
                "set -e; bin/build-rootfs \"$1\" >&2; rm -rf \"$2\"; cp -a \"$1\" \"$2\"; shift 2; exec \"$@\"",
                "sh", built.toString(), rootfs.toString()));
        command.addAll(javaLauncher());
        command.add(VmTests.class.getName());
        command.addAll(tests);
        Cgroup2Vm.Result r = run(command, cache, Workshop.root(), Map.of(), timeout);
        String transcript = r.describe();
        return VmTests.report("arm64 VM", r.stdout(), transcript,
                "the VM is an aarch64 machine with an aarch64 busybox rootfs", () -> {
                    assertEquals(0, r.exitCode(), transcript);
                    assertEquals(List.of("@@arch aarch64"),
                            r.stdout().lines().filter(l -> l.startsWith("@@arch")).toList(), transcript);
                    byte[] elf = Files.readAllBytes(built.resolve("bin/busybox"));
                    assertEquals(0xb7, elf[18] & 0xff,
                            "e_machine of the rootfs's busybox is EM_AARCH64 (183)");
                }, tests);
    }
}
