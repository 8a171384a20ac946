package jrunc.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import workshop.testkit.Command;
import workshop.testkit.Rootfs;
import workshop.testkit.Workshop;

/**
 * A containerd and a dockerd of the test's own, as Debian packages them (docker.io 20.10,
 * containerd 1.6): every socket, state and data directory under the test's folder, cgroupfs
 * with a cgroup parent of their own, no host networking change (no bridge, no iptables;
 * containers run with --network none), both in a private mount namespace so that whatever
 * they mount goes away with them. bin/jrunc is registered as the runtime "jrunc" beside runc.
 */
final class PrivateDocker implements AutoCloseable {
    /** The workshop's busybox rootfs as an image, under this name in dockerd and containerd. */
    static final String IMAGE = "jrunc-busybox:latest";
    static final String CTR_IMAGE = "docker.io/library/" + IMAGE;
    /** Debian's client: /usr/local/bin/docker may be a newer, unrelated CLI. */
    static final String DOCKER = "/usr/bin/docker";
    static final Path JRUNC = Workshop.root().resolve("bin/jrunc");
    /** Host paths the daemons make outside --data-root and --exec-root, removed if they were new. */
    private static final List<Path> HOST_LEFTOVERS = List.of(
            Path.of("/etc/docker/key.json"), Path.of("/run/docker"), Path.of("/run/containerd"));

    final Path dir;
    /** Absolute cgroup of the daemons' containers, below each hierarchy's root. */
    final String cgroupParent = "jrunc-test-engines" + LifecycleTest.RUN;
    private final List<Path> absentBefore = new ArrayList<>();
    private final List<Process> daemons = new ArrayList<>();

    private PrivateDocker(Path dir) {
        this.dir = dir;
    }

    /** Installs the packages if missing, starts both daemons and loads the image into each. */
    static PrivateDocker start(Path dir) throws Exception {
        Command.of(Workshop.root().resolve("bin/install-packages").toString(), "docker.io", "containerd")
                .timeout(Duration.ofMinutes(10)).run().assertExit(0);
        JruncTool.packageJarFromTheClassesUnderTest(dir);
        Command.of(JRUNC.toString(), "--version").timeout(Duration.ofMinutes(5)).run().assertExit(0);
        PrivateDocker engines = new PrivateDocker(dir);
        for (Path p : HOST_LEFTOVERS) if (!Files.exists(p)) engines.absentBefore.add(p);
        try {
            engines.startContainerd();
            engines.startDockerd();
            Path archive = engines.imageArchive();
            engines.docker("load", "-i", archive.toString()).assertExit(0);
            engines.ctr("images", "import", "--snapshotter", "native", "--base-name",
                    "docker.io/library/jrunc-busybox", archive.toString()).assertExit(0);
        } catch (Exception | AssertionError e) {
            engines.close();
            throw e;
        }
        return engines;
    }

    private void startContainerd() throws IOException {
        Path c = Files.createDirectories(dir.resolve("containerd"));
        // No CRI plugin (it would set up CNI) and none of the snapshotters that probe the host.
        Files.writeString(c.resolve("config.toml"), """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
                  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                  "io.containerd.snapshotter.v1.devmapper"]
                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                [plugins."io.containerd.internal.v1.opt"]
                  path = "%1$s/opt"
                """.formatted(c));
        startDaemon("containerd", List.of("containerd", "--config", c.resolve("config.toml").toString()));
        waitUntil("containerd", () -> ctr("version").exitCode() == 0);
    }

    private void startDockerd() throws IOException {
        Path d = Files.createDirectories(dir.resolve("docker"));
        Files.writeString(d.resolve("daemon.json"), "{}");
        startDaemon("dockerd", List.of(
                // tag::dockerd[]
                "dockerd", "--add-runtime", "jrunc=" + JRUNC,
                "--config-file", d + "/daemon.json",
                "--data-root", d + "/data",
                "--exec-root", d + "/exec",
                "--pidfile", d + "/dockerd.pid",
                "-H", "unix://" + d + "/docker.sock",
                "--containerd", containerdSocket(),
                "--exec-opt", "native.cgroupdriver=cgroupfs",
                "--cgroup-parent", "/" + cgroupParent,
                "--storage-driver", "vfs",
                "--bridge=none", "--iptables=false",
                "--ip6tables=false", "--ip-forward=false",
                "--ip-masq=false", "--userland-proxy=false"
                // end::dockerd[]
                ));
        waitUntil("dockerd", () -> docker("version").exitCode() == 0);
    }

    /** unshare execs the daemon: the PID we hold is the daemon's own. */
    private void startDaemon(String name, List<String> argv) throws IOException {
        List<String> all = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private"));
        all.addAll(argv);
        daemons.add(0, new ProcessBuilder(all).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start());
    }

    private void waitUntil(String name, java.util.function.BooleanSupplier ready) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!ready.getAsBoolean()) {
            if (!daemons.get(0).isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError(name + " did not come up; its log:\n"
                        + Files.readString(dir.resolve(name + ".log")));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** A docker-save archive of the workshop's busybox rootfs (what docker load of 20.10 reads). */
    private Path imageArchive() {
        String layout = dir.resolve("oci").toString();
        Command.of("umoci", "init", "--layout", layout).run().assertExit(0);
        Command.of("umoci", "new", "--image", layout + ":busybox").run().assertExit(0);
        Command.of("umoci", "insert", "--image", layout + ":busybox", Rootfs.workshopDefault().toString(), "/")
                .run().assertExit(0);
        Command.of("umoci", "config", "--image", layout + ":busybox", "--config.cmd", "sh").run().assertExit(0);
        Path archive = dir.resolve("busybox-docker.tar");
        Command.of("skopeo", "copy", "oci:" + layout + ":busybox", "docker-archive:" + archive + ":" + IMAGE)
                .timeout(Duration.ofMinutes(2)).run().assertExit(0);
        return archive;
    }

    String containerdSocket() {
        return dir.resolve("containerd/containerd.sock").toString();
    }

    Command.Result docker(String... args) {
        List<String> argv = dockerCommand();
        argv.addAll(List.of(args));
        return JruncTool.exec(argv, Duration.ofMinutes(2));
    }

    /** The client and its connection to our dockerd (its own config folder, not ~/.docker). */
    List<String> dockerCommand() {
        return new ArrayList<>(List.of(DOCKER, "--config", dir.resolve("client").toString(),
                "-H", "unix://" + dir.resolve("docker/docker.sock")));
    }

    Command.Result ctr(String... args) {
        List<String> argv = new ArrayList<>(List.of("ctr", "--address", containerdSocket()));
        argv.addAll(List.of(args));
        return JruncTool.exec(argv, Duration.ofMinutes(2));
    }

    /** The cgroup v1 file of a container started with this cgroup parent, as the host sees it. */
    String cgroupFile(String controller, String container, String file) throws IOException {
        return Files.readString(Path.of("/sys/fs/cgroup", controller, cgroupParent, container, file)).strip();
    }

    /**
     * Removes every container, stops dockerd then containerd by PID (SIGTERM, SIGKILL after
     * 20 s), ends shims left over, removes the cgroup parent and the host paths they made.
     */
    @Override
    public void close() {
        if (!daemons.isEmpty() && daemons.get(0).isAlive() && daemons.size() == 2) {
            String ids = docker("ps", "-aq").stdout().strip();
            if (!ids.isEmpty()) {
                List<String> rm = new ArrayList<>(List.of("rm", "--force"));
                rm.addAll(List.of(ids.split("\\s+")));
                docker(rm.toArray(new String[0]));
            }
        }
        for (Process daemon : daemons) stop(daemon);
        for (ProcessHandle shim : processesMentioning(dir)) {
            shim.destroyForcibly();
            shim.onExit().join();
        }
        for (Path hierarchy : list(Path.of("/sys/fs/cgroup"))) {
            Path parent = hierarchy.resolve(cgroupParent);
            if (Files.isDirectory(parent)) Command.of("rmdir", parent.toString()).run();
        }
        for (Path p : absentBefore) Command.of("rm", "-rf", p.toString()).run();
    }

    private static void stop(Process daemon) {
        try {
            daemon.destroy();
            if (!daemon.waitFor(20, TimeUnit.SECONDS)) daemon.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Processes (shims above all) whose command line names a path under dir. */
    static List<ProcessHandle> processesMentioning(Path dir) {
        List<ProcessHandle> found = new ArrayList<>();
        for (Path proc : list(Path.of("/proc"))) {
            String pid = proc.getFileName().toString();
            if (!pid.matches("\\d+")) continue;
            try {
                if (Files.readString(proc.resolve("cmdline")).contains(dir.toString())) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(found::add);
                }
            } catch (IOException gone) {
                // exited while we looked
            }
        }
        return found;
    }

    private static List<Path> list(Path dir) {
        try (var s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
