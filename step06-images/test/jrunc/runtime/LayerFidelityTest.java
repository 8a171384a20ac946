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
 * image, which has 128 layers. One pull and one run serve every check.
 */
class LayerFidelityTest {
    static final long LOWER = 1_600_000_000L, UPPER = 1_700_000_000L;
    /** security.capability v2, effective, CAP_SETUID (bit 7): the byte 0x80 that UTF-8 mangles. */
    static final byte[] CAPABILITY = HexFormat.of().parseHex("0100000280000000000000000000000000000000");
    static final byte[] NOT_UTF8 = HexFormat.of().parseHex("00ff80fe41");
    static final int LAYERS = 128;
    /** Mode, owner and mtime of what the layers hold; the glob: the name's bytes come from the image. */
    static final String STAT = "stat -c '%n %a %u %g %Y' . tmp tmp/x root root/.profile srv srv/data"
            + " srv/data/file etc etc/caf* etc/xattrs bin/busybox layers && for f in etc/*; do echo \"$f\"; done";

    @TempDir
    static Path tmp;
    static Path store;
    static JruncTool cronJrunc;
    static Host before;
    static LocalRegistry registry;
    static Command.Result inContainer;
    static String inUmoci;

    @BeforeAll
    static void aCronJobWithUmask077PullsAndRunsTheImage() throws Exception {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        store = tmp.resolve("store");
        OciLayoutWriter layout = new OciLayoutWriter(tmp.resolve("layout"));
        var base = OciLayoutWriter.layer(Compression.GZIP, new TarBuilder().tree(Rootfs.workshopDefault()).build());
        var owned = OciLayoutWriter.layer(Compression.NONE, new RawTar().dir("srv", 0750, 1000, 1000, LOWER).build());
        // The tricky layer: no entries for its parent directories, a non-ASCII name, binary xattrs.
        var tricky = OciLayoutWriter.layer(Compression.NONE, new RawTar()
                .file("tmp/x", "x\n", 0644, UPPER).file("root/.profile", "PS1=#\n", 0600, UPPER)
                .file("srv/data/file", "data\n", 0640, UPPER).file("etc/café", "crème\n", 0644, UPPER)
                .file(RawTar.utf8("etc/xattrs"), RawTar.utf8("xattrs\n"), 0755, UPPER,
                        Map.of("user.bin", NOT_UTF8, "security.capability", CAPABILITY))
                .build());
        // 128 layers (fsconfig lowerdir+): the last 125 each add a file to the implied /layers.
        List<OciLayoutWriter.Layer> layers = new ArrayList<>(List.of(base, owned, tricky));
        while (layers.size() < LAYERS) {
            layers.add(OciLayoutWriter.layer(Compression.NONE,
                    new RawTar().file("layers/" + layers.size(), layers.size() + "\n", 0644, UPPER).build()));
        }
        layout.tag("fidelity", layout.image(layers, Platform.host(), null));

        Command.of("umoci", "unpack", "--image", layout.dir() + ":fidelity", tmp.resolve("umoci").toString())
                .run().assertExit(0);
        registry = LocalRegistry.open(Files.createDirectories(tmp.resolve("registry")));
        registry.push(layout.dir(), "fidelity", "workshop/fidelity:1", null);
        String image = registry.host() + "/workshop/fidelity:1";

        List<String> cron = new ArrayList<>(List.of("env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "sh", "-c", "umask 077 && exec \"$@\"", "sh"));
        cron.addAll(Command.javaLauncher());
        cron.add("jrunc.cli.Jrunc");
        cronJrunc = JruncTool.launchedBy(tmp.resolve("state"), cron);
        cronJrunc.run(Duration.ofMinutes(2), "pull", "--store", store.toString(), image).assertExit(0);
        inContainer = cronJrunc.run(Duration.ofMinutes(2), "run", "--rm", "--store", store.toString(), image,
                "/bin/sh", "-c", "cd / && " + STAT + " && cat layers/3 layers/127 && ls layers | wc -l");
        inUmoci = Command.of("sh", "-c", STAT).in(tmp.resolve("umoci/rootfs")).run().assertExit(0).stdout();
    }

    @AfterAll
    static void nothingLeft() {
        if (registry != null) registry.close();
        if (cronJrunc == null) return;
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    @Test
    void anImageOf128LayersRunsAndSeesItsFirstAndLastLayer() {
        inContainer.assertExit(0); // /bin/sh comes from the first layer
        assertTrue(inContainer.stdout().endsWith("\n3\n127\n125\n"), inContainer.stdout());
    }

    @Test
    void modesOwnersTimesAndNamesAreThoseUmociUnpacks() {
        String jrunc = inContainer.assertExit(0).stdout();
        jrunc = jrunc.substring(0, jrunc.length() - "3\n127\n125\n".length());
        assertEquals(withoutTimeOf(inUmoci, ".", "srv", "srv/data", "layers"),
                withoutTimeOf(jrunc, ".", "srv", "srv/data", "layers"));
        List<String> lines = jrunc.lines().toList();
        // What went wrong before, spelled out: implied parents keep the lower layer's attributes.
        assertEquals(". 755 0 0 0", lines.get(0), "no ./ entry in any layer");
        assertTrue(lines.get(1).startsWith("tmp 1777 0 0 "), lines.get(1));
        assertTrue(lines.get(3).startsWith("root 700 0 0 "), lines.get(3));
        // umoci dates the directories it made a child in to the unpack; the layers said nothing of them.
        assertEquals("srv 750 1000 1000 " + LOWER, lines.get(5));
        assertEquals("srv/data 755 0 0 0", lines.get(6), "no layer below: 0755 root, the epoch");
        assertEquals("layers 755 0 0 0", lines.get(12));
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
}
