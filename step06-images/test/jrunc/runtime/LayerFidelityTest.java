package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import jrunc.image.MediaTypes.Compression;
import jrunc.image.Platform;
import jrunc.image.harness.LocalRegistry;
import jrunc.image.harness.OciLayoutWriter;
import jrunc.image.harness.RawTar;
import jrunc.image.harness.TarBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * What a careful user expects from an image with the metadata real distributions carry, pulled
 * and run by jrunc from a cron-like caller ({@code env -i}: no locale) with {@code umask 077}:
 * the same modes, owners, times, names and xattr bytes as {@code umoci unpack} of the same
 * image; and an image of 128 layers runs.
 */
class LayerFidelityTest {
    static final long LOWER = 1_600_000_000L, UPPER = 1_700_000_000L;
    /** security.capability v2, effective, CAP_SETUID (bit 7): the byte 0x80 that UTF-8 mangles. */
    static final byte[] CAPABILITY = HexFormat.of().parseHex("0100000280000000000000000000000000000000");
    static final byte[] NOT_UTF8 = HexFormat.of().parseHex("00ff80fe41");
    static final List<String> PATHS = List.of(".", "tmp", "tmp/x", "root", "root/.profile", "srv", "srv/data",
            "srv/data/file", "etc", "etc/caf*", "etc/xattrs", "bin/busybox"); // the glob: names come from the image

    @TempDir
    static Path tmp;
    static Path store;
    static JruncTool cronJrunc;
    static Host before;
    static OciLayoutWriter.Layer tricky;
    static String registryHost;
    static LocalRegistry registry;

    @BeforeAll
    static void pushTheImagesAndPullThemWithoutLocaleUnderUmask077() throws Exception {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        store = tmp.resolve("store");
        OciLayoutWriter layout = new OciLayoutWriter(tmp.resolve("layout"));
        var base = OciLayoutWriter.layer(Compression.GZIP, new TarBuilder().tree(Rootfs.workshopDefault()).build());
        var owned = OciLayoutWriter.layer(Compression.NONE, new RawTar().dir("srv", 0750, 1000, 1000, LOWER).build());
        // The tricky layer: no entries for its parent directories, a non-ASCII name, binary xattrs.
        tricky = OciLayoutWriter.layer(Compression.NONE, new RawTar()
                .file("tmp/x", "x\n", 0644, UPPER).file("root/.profile", "PS1=#\n", 0600, UPPER)
                .file("srv/data/file", "data\n", 0640, UPPER).file("etc/café", "crème\n", 0644, UPPER)
                .file(RawTar.utf8("etc/xattrs"), RawTar.utf8("xattrs\n"), 0755, UPPER,
                        Map.of("user.bin", NOT_UTF8, "security.capability", CAPABILITY))
                .build());
        layout.tag("fidelity", layout.image(List.of(base, owned, tricky), Platform.host(), null));
        List<OciLayoutWriter.Layer> many = new ArrayList<>(List.of(base));
        for (int i = 1; i < 128; i++) {
            many.add(OciLayoutWriter.layer(Compression.NONE,
                    new RawTar().file("layers/" + i, i + "\n", 0644, UPPER).build()));
        }
        layout.tag("many", layout.image(many, Platform.host(), null));

        Command.of("umoci", "unpack", "--image", layout.dir() + ":fidelity", tmp.resolve("umoci").toString())
                .run().assertExit(0);
        registry = LocalRegistry.open(Files.createDirectories(tmp.resolve("registry")));
        registry.push(layout.dir(), "fidelity", "workshop/fidelity:1", null);
        registry.push(layout.dir(), "many", "workshop/many:1", null);
        registryHost = registry.host();

        List<String> cron = new ArrayList<>(List.of("env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "sh", "-c", "umask 077 && exec \"$@\"", "sh"));
        cron.addAll(Command.javaLauncher());
        cron.add("jrunc.cli.Jrunc");
        cronJrunc = JruncTool.launchedBy(tmp.resolve("state"), cron);
        for (String image : List.of("fidelity", "many")) {
            cronJrunc.run(Duration.ofMinutes(2), "pull", "--store", store.toString(),
                    registryHost + "/workshop/" + image + ":1").assertExit(0);
        }
    }

    @AfterAll
    static void nothingLeft() {
        if (registry != null) registry.close();
        if (cronJrunc == null) return;
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    static Command.Result run(String image, String script) {
        return cronJrunc.run(Duration.ofMinutes(2), "run", "--rm", "--store", store.toString(),
                registryHost + "/workshop/" + image + ":1", "/bin/sh", "-c", script);
    }

    @Test
    void modesOwnersTimesAndNamesAreThoseUmociUnpacks() {
        String script = "stat -c '%n %a %u %g %Y' " + String.join(" ", PATHS) + " && for f in etc/*; do echo \"$f\"; done";
        var inContainer = run("fidelity", "cd / && " + script).assertExit(0);
        var umoci = Command.of("sh", "-c", script).in(tmp.resolve("umoci/rootfs")).run().assertExit(0);
        assertEquals(withoutTimeOf(umoci.stdout(), "srv", "srv/data"), withoutTimeOf(inContainer.stdout(), "srv", "srv/data"));
        List<String> lines = inContainer.stdout().lines().toList();
        // What went wrong before, spelled out: implied parents keep the lower layer's attributes.
        assertTrue(lines.get(0).startsWith(". 755 0 0 "), lines.get(0));
        assertTrue(lines.get(1).startsWith("tmp 1777 0 0 "), lines.get(1));
        assertTrue(lines.get(3).startsWith("root 700 0 0 "), lines.get(3));
        // umoci dates a directory it made a child in to the unpack; the layer said nothing about it.
        assertEquals("srv 750 1000 1000 " + LOWER, lines.get(5));
        assertEquals("srv/data 755 0 0 0", lines.get(6), "no layer below: 0755 root, the epoch");
        assertTrue(lines.contains("etc/café 644 0 0 " + UPPER), lines.toString());
    }

    private static String withoutTimeOf(String statLines, String... names) {
        StringBuilder out = new StringBuilder();
        for (String line : statLines.lines().toList()) {
            boolean drop = List.of(names).contains(line.substring(0, Math.max(0, line.indexOf(' '))));
            out.append(drop ? line.substring(0, line.lastIndexOf(' ')) : line).append('\n');
        }
        return out.toString();
    }

    @Test
    void xattrValuesAreTheTarsBytes() throws Exception {
        Path jruncFile = topLayer().resolve("etc/xattrs");
        Path umociFile = tmp.resolve("umoci/rootfs/etc/xattrs");
        String jrunc = getfattr(jruncFile), umoci = getfattr(umociFile);
        assertEquals(umoci, jrunc);
        assertTrue(jrunc.contains("user.bin=0x" + HexFormat.of().formatHex(NOT_UTF8)), jrunc);
        assertTrue(jrunc.contains("security.capability=0x" + HexFormat.of().formatHex(CAPABILITY)), jrunc);
    }

    /** skopeo compresses layers on push: the tricky layer is the one holding etc/xattrs. */
    private static Path topLayer() throws java.io.IOException {
        try (var layers = Files.list(store.resolve("layers/sha256"))) {
            return layers.filter(l -> Files.exists(l.resolve("etc/xattrs"))).findFirst().orElseThrow();
        }
    }

    private static String getfattr(Path file) {
        return Command.of("getfattr", "--absolute-names", "-d", "-m", "-", "-e", "hex", file.toString())
                .run().assertExit(0).stdout().replace(file.toString(), "FILE");
    }

    @Test
    void anImageOf128LayersRunsAndSeesItsFirstAndLastLayer() {
        var r = run("many", "cat /layers/1 /layers/127; ls /layers | wc -l").assertExit(0);
        assertEquals("1\n127\n127\n", r.stdout()); // /bin/sh itself comes from the first layer
    }
}
