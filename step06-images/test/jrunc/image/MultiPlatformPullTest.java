package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jrunc.image.harness.Fixtures;
import jrunc.image.harness.LocalRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Privileged;

/**
 * Without --platform, jrunc takes the image of the machine it runs on from a multi-platform
 * index: linux/amd64 on x86_64, linux/arm64/v8 on arm64. The index holds both, each with a
 * /platform file saying which it is. Kept small (two pushes), because it also runs in the
 * emulated arm64 VM, where every program is slow.
 */
class MultiPlatformPullTest {
    @TempDir
    static Path shared;
    static LocalRegistry registry;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRegistryAndPushTheIndexes() throws IOException {
        Privileged.requireRoot();
        Path layout = Fixtures.get().layout();
        registry = LocalRegistry.open(Files.createDirectories(shared.resolve("registry")));
        registry.push(layout, "multi", "workshop/multi:1", null, "--all");
        registry.push(layout, "multi-busybox", "workshop/multi-busybox:1", null, "--all");
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) registry.close();
    }

    /** What this machine's image says of itself, written without asking jrunc. */
    static String machinesPlatform() {
        return switch (System.getProperty("os.arch")) {
            case "amd64" -> "linux/amd64";
            case "aarch64" -> "linux/arm64/v8";
            default -> throw new AssertionError("the fixture has no image for " + System.getProperty("os.arch"));
        };
    }

    @Test
    void pullWithoutAPlatformTakesTheMachinesImage() throws IOException {
        ImageStore store = new ImageStore(tmp.resolve("store"));
        String ref = registry.host() + "/workshop/multi:1";
        RegistryPullTest.cli("pull", "--store", store.root().toString(), ref).assertExit(0);
        StoredImage pulled = StoredImage.load(store, store.find(ImageReference.parse(ref)).orElseThrow());
        Path layer = store.layerDir(pulled.layers().get(0).digest());
        assertEquals(machinesPlatform() + "\n", Files.readString(layer.resolve("platform")));
    }

    @Test
    void runWithoutAPlatformRunsTheMachinesImage() {
        var r = RegistryPullTest.jrunc("run", "--rm", "--store", tmp.resolve("store").toString(),
                registry.host() + "/workshop/multi-busybox:1", "cat", "/platform").assertExit(0);
        assertEquals(machinesPlatform() + "\n", r.stdout());
    }
}
