package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jrunc.image.harness.Fixtures;
import jrunc.image.harness.LocalRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * {@code run IMAGE}: an image, from the store or pulled from a registry, becomes an overlay root
 * and a config.json, and runs. Everything it creates (the overlay mount, the upper directory,
 * the state, the cgroup) is gone afterwards, with --rm, or after delete.
 */
class ImageRunTest {
    static final String RUN = "-" + ProcessHandle.current().pid();
    @TempDir
    static Path tmp;
    static Path store;
    static JruncTool jrunc;
    static Host before;

    @BeforeAll
    static void importTheWorkshopRootfs() {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        store = tmp.resolve("store");
        jrunc = JruncTool.jrunc(tmp.resolve("state"));
        jrunc.run("import", "--store", store.toString(), Rootfs.workshopDefault().toString(),
                "workshop/busybox").assertExit(0);
        jrunc.run("import", "--store", store.toString(), "--cmd", "/bin/hostname",
                Rootfs.workshopDefault().toString(), "workshop/hostname").assertExit(0);
    }

    @AfterAll
    static void nothingLeft() {
        if (jrunc == null) return;
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    static Command.Result run(String... args) {
        String[] argv = new String[args.length + 3];
        argv[0] = "run";
        argv[1] = "--store";
        argv[2] = store.toString();
        System.arraycopy(args, 0, argv, 3, args.length);
        return jrunc.run(Duration.ofMinutes(2), argv);
    }

    static List<String> leftContainers() throws Exception {
        Path containers = store.resolve("containers");
        if (!Files.isDirectory(containers)) return List.of();
        try (var list = Files.list(containers)) {
            return list.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void anImportedRootfsRunsAsAnImageWithTheUsersOptions() throws Exception {
        var r = run("--rm", "--hostname", "box", "-e", "GREETING=hi", "-w", "/tmp",
                "workshop/busybox", "/bin/sh", "-c",
                "hostname; echo $$; echo $GREETING; pwd; cat /etc/hostname").assertExit(0);
        assertEquals("box\n1\nhi\n/tmp\nworkshop\n", r.stdout());
        assertEquals(List.of(), leftContainers(), "--rm removes the container's files");
    }

    @Test
    void withoutACommandTheImagesCmdRuns() {
        var r = run("--rm", "--hostname", "from-cmd", "workshop/hostname").assertExit(0);
        assertEquals("from-cmd\n", r.stdout());
    }

    @Test
    void writesGoToTheContainersUpperDirectoryUntilDelete() throws Exception {
        String id = "keep" + RUN;
        run("--name", id, "workshop/busybox", "/bin/sh", "-c", "echo kept > /written").assertExit(0);
        Path upper = store.resolve("containers").resolve(id).resolve("upper");
        assertEquals("kept\n", Files.readString(upper.resolve("written")), "the write, in the upper dir");
        Path layer = store.resolve("layers");
        try (var layers = Files.walk(layer)) {
            assertFalse(layers.anyMatch(p -> p.getFileName().toString().equals("written")),
                    "the image's layers are not changed");
        }
        jrunc.run("delete", "--store", store.toString(), id).assertExit(0);
        assertFalse(Files.exists(upper.getParent()), "delete removes the container's files");
    }

    @Test
    void aMemoryLimitOomKillsTheCommand() {
        run("--rm", "--memory", "16m", "workshop/busybox", "/bin/sh", "-c",
                "dd if=/dev/zero of=/dev/null bs=64M count=1").assertExit(137);
    }

    @Test
    void aBadSizeIsOneClearLine() {
        var r = run("--rm", "--memory", "lots", "workshop/busybox", "/bin/true").assertExit(1);
        assertTrue(r.stderr().contains("--memory lots: not a size"), r.stderr());
    }

    @Test
    void anImageFromARegistryIsPulledThenRunForThePlatformAskedFor() throws Exception {
        try (LocalRegistry registry = LocalRegistry.open(Files.createDirectories(tmp.resolve("registry")))) {
            // Both variants hold this machine's busybox; /platform says which one runs.
            registry.push(Fixtures.get().layout(), "multi-busybox", "workshop/multi:1", null, "--all");
            String ref = registry.host() + "/workshop/multi:1";
            var pulled = run("--rm", "--platform", "linux/amd64", ref, "/bin/sh", "-c",
                    "cat /platform /etc/hostname; echo $$").assertExit(0);
            assertEquals("linux/amd64\nworkshop\n1\n", pulled.stdout());
            assertTrue(pulled.stderr().startsWith("jrunc: image " + ref + " is not in " + store + ": pulling it\n"),
                    pulled.stderr());
            var images = jrunc.run("images", "--store", store.toString()).assertExit(0);
            assertTrue(images.stdout().contains(ref), images.stdout());

            var other = run("--rm", "--platform", "linux/arm64", ref, "/bin/cat", "/platform").assertExit(0);
            assertEquals("linux/arm64/v8\n", other.stdout());
            assertTrue(other.stderr().startsWith("jrunc: image " + ref + " in " + store + " is linux/amd64,"
                    + " not linux/arm64: pulling linux/arm64\n"), other.stderr());
            var stored = run("--rm", "--platform", "linux/arm64", ref, "/bin/cat", "/platform").assertExit(0);
            assertEquals("linux/arm64/v8\n", stored.stdout());
            assertFalse(stored.stderr().contains("pulling"), "the stored image is the one asked for: " + stored.stderr());
            var none = run("--rm", "--platform", "linux/s390x", ref, "/bin/true").assertExit(1);
            assertTrue(none.stderr().endsWith("jrunc: image " + ref + " in " + store + " is linux/arm64/v8, not linux/s390x,"
                    + " and pulling linux/s390x failed: image " + ref + " has no linux/s390x variant; available"
                    + " platforms: linux/amd64, linux/arm64/v8 - choose one with --platform\n"), none.stderr());
        }
    }
}
