package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jrunc.image.harness.Fixtures;
import jrunc.image.harness.LocalRegistry;
import jrunc.image.harness.TreeListing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * Pulls from a real registry (Debian's docker-registry, no auth) what skopeo pushed there, and
 * compares the result with what umoci unpacks from the very same image.
 */
class RegistryPullTest {
    static final Retry FAST = new Retry(3, Duration.ofMillis(20));
    @TempDir
    static Path shared;
    static LocalRegistry registry;
    static Fixtures fixtures;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRegistryAndPushFixtures() throws IOException {
        Privileged.requireRoot();
        fixtures = Fixtures.get();
        registry = LocalRegistry.open(Files.createDirectories(shared.resolve("registry")));
        Path layout = fixtures.layout();
        registry.push(layout, "busybox", "workshop/busybox:oci", null);
        registry.push(layout, "busybox", "workshop/busybox:v2s2", null, "--format", "v2s2");
        registry.push(layout, "layers", "workshop/layers:1", null);
        registry.push(layout, "layers-gzip", "workshop/layers:gzip", null);
        registry.push(layout, "multi", "workshop/multi:1", null, "--all");
        for (String hostile : List.of("traversal", "absolute", "symlink-escape", "hardlink-escape")) {
            registry.push(layout, hostile, "hostile/" + hostile + ":1", null);
        }
        for (String broken : List.of("wrong-diff-id", "truncated-tar", "bomb")) {
            registry.push(layout, broken, "broken/" + broken + ":1", null);
        }
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) registry.close();
    }

    static StoredImage pull(ImageStore store, String ref, Platform platform) throws IOException {
        return pull(store, ref, platform, UnpackLimits.DEFAULT);
    }

    static StoredImage pull(ImageStore store, String ref, UnpackLimits limits) throws IOException {
        return pull(store, ref, Platform.host(), limits);
    }

    static StoredImage pull(ImageStore store, String ref, Platform platform, UnpackLimits limits) throws IOException {
        ImageReference r = ImageReference.parse(ref);
        return new Puller(store, Progress.forStderr(true), limits)
                .pull(new RegistryClient(r, false, Optional.empty(), FAST), r, platform);
    }

    /** What umoci makes of the same image: the reference implementation's root filesystem. */
    static Map<String, String> umociUnpack(Path layout, String name, Path bundle) {
        Command.of("umoci", "unpack", "--image", layout + ":" + name, bundle.toString())
                .timeout(Duration.ofMinutes(2)).run().assertExit(0);
        return TreeListing.list(bundle.resolve("rootfs"));
    }

    /** Our overlay, mounted in a private mount namespace that dies with the listing. */
    static Map<String, String> overlayListing(RootfsPlan plan) {
        var result = Command.javaMain(TreeListing.class.getName(), plan.merged().toString())
                .wrappedIn("unshare", "--mount", "--propagation", "private", "sh", "-c",
                        "o=$1; m=$2; shift 2; mount -t overlay overlay -o \"$o\" \"$m\" && exec \"$@\"",
                        "sh", plan.overlayOptions(), plan.merged().toString())
                .run();
        result.assertExit(0);
        Map<String, String> listing = new TreeMap<>();
        for (String line : result.stdout().split("\n")) {
            int space = line.indexOf(' ');
            if (space > 0) listing.put(line.substring(0, space), line.substring(space + 1));
        }
        return listing;
    }

    @Test
    void pulledLayersMountedAsOverlayEqualUmociUnpack() throws IOException {
        ImageStore store = new ImageStore(tmp.resolve("store"));
        // tag::compare-umoci[]
        String ref = registry.host() + "/workshop/layers:1";
        pull(store, ref, Platform.host());
        RootfsPlan plan = new RootfsBuilder(store)
                .prepare(ImageReference.parse(ref), "c1", true);
        Map<String, String> ours = overlayListing(plan);
        Map<String, String> umoci = umociUnpack(fixtures.layout(),
                "layers-gzip", tmp.resolve("bundle"));
        assertEquals(umoci, ours);
        // end::compare-umoci[]
        assertFalse(ours.containsKey("a/gone"), "whiteout applied");
        assertEquals(List.of("opq/after", "opq/before"),
                ours.keySet().stream().filter(k -> k.startsWith("opq/")).toList(), "opaque hides only lower layers");
        new RootfsBuilder(store).remove("c1");
        assertFalse(Files.exists(plan.merged()));
    }

    @Test
    void theCopyFallbackGivesTheSameFiles() throws IOException {
        ImageStore store = new ImageStore(tmp.resolve("store"));
        pull(store, registry.host() + "/workshop/layers:1", Platform.host());
        RootfsPlan plan = new RootfsBuilder(store).prepare(
                ImageReference.parse(registry.host() + "/workshop/layers:1"), "copy", false);
        assertTrue(plan.copied());
        assertEquals(umociUnpack(fixtures.layout(), "layers-gzip", tmp.resolve("bundle")), TreeListing.list(plan.merged()));
        new RootfsBuilder(store).remove("copy");
    }

    static Command.Result cli(String... args) {
        return Command.javaMain("jrunc.image.cli.ImageCli", args).timeout(Duration.ofMinutes(2)).run();
    }

    static Command.Result jrunc(String... args) {
        return Command.javaMain("jrunc.cli.Jrunc", args).timeout(Duration.ofMinutes(2)).run();
    }

    /** What {@code skopeo inspect} says of an image that the storage form must not change. */
    static JsonNode skopeoInspect(String image) throws IOException {
        var r = Command.of("skopeo", "inspect", "--tls-verify=false", image).run();
        r.assertExit(0);
        var all = (ObjectNode) new ObjectMapper().readTree(r.stdout());
        return all.retain("Layers", "Created", "Env", "Architecture", "Os");
    }

    @Test
    void dockerSchema2ImagesAreStoredInTheOciFormThatSkopeoAndUmociRead() throws IOException {
        Path store = tmp.resolve("store");
        String ref = registry.host() + "/workshop/busybox:v2s2";
        var pulled = cli("pull", "-q", "--store", store.toString(), ref);
        pulled.assertExit(0);
        var remote = Command.of("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + ref).run();
        assertEquals(remote.stdout(), pulled.stdout(), "pull prints the registry's digest");
        var images = cli("images", "--store", store.toString());
        assertEquals(pulled.stdout().substring(0, 19), images.stdout().lines().toList().get(1).split("\\s+")[1]);

        assertEquals(skopeoInspect("docker://" + ref), skopeoInspect("oci:" + store + ":" + ref),
                "the same layers, by the same digests, and the same config");
        assertEquals(umociUnpack(fixtures.layout(), "busybox", tmp.resolve("expected")),
                umociUnpack(store, ref, tmp.resolve("bundle")));
    }

    @Test
    void damagedAndOversizedLayersAreRefusedNamingTheLayer() throws IOException {
        String layer = "layer sha256:[0-9a-f]{64}: ";
        ImageStore store = new ImageStore(tmp.resolve("store"));
        var wrong = assertThrows(IOException.class, () -> pull(store, registry.host() + "/broken/wrong-diff-id:1", Platform.host()));
        assertTrue(wrong.getMessage().matches(layer + "its tar has digest sha256:[0-9a-f]{64}, but the image config's"
                + " diff_id for it is sha256:[0-9a-f]{64} - the image is broken or was tampered with"), wrong.getMessage());
        var cut = assertThrows(IOException.class, () -> pull(store, registry.host() + "/broken/truncated-tar:1", Platform.host()));
        assertTrue(cut.getMessage().matches(layer + "the tar ends early, inside the 65536 bytes of entry 'data'"
                + " \\(Truncated TAR archive\\); the image config's diff_id sha256:[0-9a-f]{64} is that of a complete tar"
                + " - the layer was built or uploaded damaged"), cut.getMessage());

        // 2 x 700 KiB of zeros, 2 KiB as gzip. The option may follow the reference.
        String bomb = registry.host() + "/broken/bomb:1";
        var perLayer = jrunc("pull", "--store", store.root().toString(), bomb, "--max-layer-size", "512k");
        perLayer.assertExit(125);
        assertTrue(perLayer.stderr().lines().anyMatch(l -> l.matches("jrunc pull: layer sha256:[0-9a-f]{64} unpacks to more"
                + " than the layer limit of 512.0 KiB \\(a decompression bomb\\?\\) - if the image is really that big,"
                + " raise it with --max-layer-size or JRUNC_MAX_LAYER_SIZE")), perLayer.stderr());
        var perImage = assertThrows(UnpackLimits.TooLargeException.class, () -> pull(store, bomb,
                UnpackLimits.of(null, null, Map.of("JRUNC_MAX_IMAGE_SIZE", "1m"))));
        assertEquals("image " + bomb + " unpacks to more than the image limit of 1.0 MiB (a decompression bomb?)"
                + " - if the image is really that big, raise it with --max-image-size or JRUNC_MAX_IMAGE_SIZE",
                perImage.getMessage());
        assertEquals(List.of(), store.list(), "no image named");
        assertEquals(2, pull(store, bomb, UnpackLimits.of(null, "2m", Map.of())).layers().size(), "within the limits");
    }

    @Test
    void choosesThePlatformFromAnIndex() throws IOException {
        ImageStore store = new ImageStore(tmp.resolve("store"));
        StoredImage arm = pull(store, registry.host() + "/workshop/multi:1", Platform.parse("linux/arm64"));
        Path layer = store.layerDir(arm.layers().get(0).digest());
        assertEquals("linux/arm64/v8\n", Files.readString(layer.resolve("platform")));
    }

    @Test
    void aMissingPlatformIsOneLineListingTheAvailableOnes() {
        var r = cli("pull", "--store", tmp.resolve("store").toString(), "--platform", "linux/s390x",
                registry.host() + "/workshop/multi:1");
        r.assertExit(125);
        assertEquals("jrunc pull: image " + registry.host() + "/workshop/multi:1 has no linux/s390x variant;"
                + " available platforms: linux/amd64, linux/arm64/v8 - choose one with --platform\n", r.stderr());
    }

    @Test
    void hostileLayersAreRefusedAndWriteNothing() throws IOException {
        Path store = tmp.resolve("store");
        for (String hostile : List.of("traversal", "absolute", "symlink-escape", "hardlink-escape")) {
            var r = cli("pull", "--store", store.toString(), registry.host() + "/hostile/" + hostile + ":1");
            r.assertExit(125);
            String last = r.stderr().lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.matches("jrunc pull: refusing layer sha256:[0-9a-f]{64}: entry '[^']+' .*"), r.stderr());
        }
        try (Stream<Path> outside = Files.list(fixtures.outside())) {
            assertEquals(List.of(), outside.toList());
        }
        try (Stream<Path> all = Files.walk(tmp)) {
            assertEquals(List.of(), all.filter(p -> p.getFileName().toString().matches("traversal|passwd-link|through-symlink")).toList());
        }
        try (Stream<Path> layers = Files.list(store.resolve("layers/sha256")); Stream<Path> temps = Files.list(store.resolve("tmp"))) {
            assertEquals(List.of(), layers.toList(), "no unpacked layer");
            assertEquals(List.of(), temps.toList(), "no temp files");
        }
        assertEquals(List.of(), new ImageStore(store).list(), "no image named");
    }

    @Test
    void skopeoAndUmociReadOurStore() throws IOException {
        Path store = tmp.resolve("store");
        String ref = registry.host() + "/workshop/layers:gzip"; // umoci 0.4.7 lacks zstd
        pull(new ImageStore(store), ref, Platform.host());
        Command.of("skopeo", "inspect", "oci:" + store + ":" + ref).run().assertExit(0);
        assertEquals(umociUnpack(fixtures.layout(), "layers-gzip", tmp.resolve("expected")),
                umociUnpack(store, ref, tmp.resolve("bundle")));
    }

    @Test
    void sharedLayersAreStoredOnceAndRemovedWithTheLastImage() throws IOException {
        ImageStore store = new ImageStore(tmp.resolve("store"));
        StoredImage oci = pull(store, registry.host() + "/workshop/busybox:oci", Platform.host());
        StoredImage v2s2 = pull(store, registry.host() + "/workshop/busybox:v2s2", Platform.host());
        Digest layer = oci.layers().get(0).digest();
        assertEquals(layer, v2s2.layers().get(0).digest(), "the same layer blob");

        var first = cli("rmi", "--store", store.root().toString(), registry.host() + "/workshop/busybox:oci");
        first.assertExit(0);
        assertTrue(store.hasBlob(layer) && Files.isDirectory(store.layerDir(layer)), "still used by :v2s2");
        assertFalse(store.hasBlob(oci.manifest().digest()));

        cli("rmi", "--store", store.root().toString(), registry.host() + "/workshop/busybox:v2s2").assertExit(0);
        assertFalse(store.hasBlob(layer));
        assertFalse(Files.exists(store.layerDir(layer)));
        try (Stream<Path> blobs = Files.list(store.root().resolve("blobs/sha256"))) {
            assertEquals(0, blobs.count());
        }
    }

    @Test
    void anUnknownTagIsOneClearLine() {
        String store = tmp.resolve("store").toString();
        var tag = cli("pull", "--store", store, registry.host() + "/workshop/busybox:nope");
        tag.assertExit(125);
        assertTrue(tag.stderr().startsWith("jrunc pull: MANIFEST_UNKNOWN: manifest nope of " + registry.host()
                + "/workshop/busybox: manifest unknown (HTTP 404) - no such tag or digest"), tag.stderr());
        assertEquals(1, tag.stderr().lines().count());
    }

    @Test
    void imagesListsAndInspectPrintsTheConfig() throws IOException {
        String store = tmp.resolve("store").toString();
        String ref = registry.host() + "/workshop/busybox:oci";
        var pulled = cli("pull", "--store", store, ref);
        pulled.assertExit(0);
        assertTrue(pulled.stderr().contains(": verified"), pulled.stderr());
        var images = cli("images", "--store", store);
        images.assertExit(0);
        List<String> lines = images.stdout().lines().toList();
        assertEquals(List.of("REFERENCE", "DIGEST", "SIZE", "CREATED"), List.of(lines.get(0).split("\\s+")));
        String[] row = lines.get(1).split("\\s+");
        assertEquals(ref, row[0]);
        assertEquals(pulled.stdout().strip().substring(0, 19), row[1]);
        assertEquals("2024-05-01T12:00Z", row[3]);
        var inspect = cli("inspect", "--store", store, ref);
        inspect.assertExit(0);
        assertTrue(inspect.stdout().contains("\"Cmd\" : [ \"/bin/sh\" ]"), inspect.stdout());
    }
}
