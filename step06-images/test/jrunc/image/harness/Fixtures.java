package jrunc.image.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import jrunc.image.Digest;
import jrunc.image.MediaTypes.Compression;
import jrunc.image.Platform;
import workshop.testkit.Command;
import workshop.testkit.Rootfs;

/**
 * The fixture images, written once per test JVM into one OCI layout, named as below. Each test
 * class pushes the ones it needs to its own registry.
 * <ul>
 * <li>{@code busybox}: the workshop's busybox rootfs as one gzip layer, Cmd /bin/sh</li>
 * <li>{@code layers}: three layers (gzip, zstd, plain tar) exercising whiteouts, an opaque
 *   dir, hardlinks, symlinks, a device node, a FIFO, set-user-ID, owners and an xattr;
 *   {@code layers-gzip} is the same with every layer gzip (for umoci, which lacks zstd)</li>
 * <li>{@code multi}: an index of linux/amd64 and linux/arm64/v8 images whose /platform says which;
 *   {@code multi-busybox} the same on top of the busybox layer, so that both run here</li>
 * <li>{@code wrong-diff-id}, {@code truncated-tar}: a layer that is not the tar the config's
 *   diff_id names (another tar; the same tar cut in the middle of a file)</li>
 * <li>{@code bomb}: two layers of 700 KiB of zeros each, a few KiB compressed</li>
 * <li>{@code traversal}, {@code absolute}, {@code symlink-escape}, {@code hardlink-escape}:
 *   one hostile layer each, aiming at {@link #outside()}</li>
 * </ul>
 */
public final class Fixtures {
    private static Fixtures instance;
    private final OciLayoutWriter layout;
    private final Path outside;

    private Fixtures(Path dir) {
        this.layout = new OciLayoutWriter(dir.resolve("layout"));
        this.outside = dir.resolve("outside");
        try {
            Files.createDirectories(outside);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        build();
    }

    /** Built on first use; deleted when the test JVM exits. */
    public static synchronized Fixtures get() {
        if (instance == null) {
            try {
                Path dir = Files.createTempDirectory("jrunc-image-fixtures-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
                instance = new Fixtures(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    public Path layout() {
        return layout.dir();
    }

    /** The directory the hostile layers try to write into; it must stay empty. */
    public Path outside() {
        return outside;
    }

    private void build() {
        Platform host = Platform.host();
        OciLayoutWriter.Layer busybox = OciLayoutWriter.layer(Compression.GZIP,
                new TarBuilder().tree(Rootfs.workshopDefault()).build());
        layout.tag("busybox", layout.image(List.of(busybox), host, List.of("/bin/sh")));
        byte[] l1 = layer1(), l2 = layer2(), l3 = layer3();
        layout.tag("layers", layout.image(List.of(OciLayoutWriter.layer(Compression.GZIP, l1),
                OciLayoutWriter.layer(Compression.ZSTD, l2), OciLayoutWriter.layer(Compression.NONE, l3)), host, null));
        // umoci 0.4.7 cannot read zstd: the same tars, all gzip, are its reference.
        layout.tag("layers-gzip", layout.image(List.of(OciLayoutWriter.layer(Compression.GZIP, l1),
                OciLayoutWriter.layer(Compression.GZIP, l2), OciLayoutWriter.layer(Compression.GZIP, l3)), host, null));
        layout.tagIndex("multi", List.of(platformImage(Platform.parse("linux/amd64")),
                platformImage(Platform.parse("linux/arm64/v8"))));
        layout.tagIndex("multi-busybox", List.of(platformImage(busybox, Platform.parse("linux/amd64")),
                platformImage(busybox, Platform.parse("linux/arm64/v8"))));
        broken();
        hostile("traversal", new TarBuilder().dir("etc", 0755).file("../../../outside/traversal", "escaped\n", 0644));
        hostile("absolute", new TarBuilder().file(outside.resolve("absolute").toString(), "escaped\n", 0644));
        hostile("symlink-escape", new TarBuilder().symlink("escape", outside.toString())
                .file("escape/through-symlink", "escaped\n", 0644));
        hostile("hardlink-escape", new TarBuilder().hardlink("passwd-link", "../../../../../../etc/passwd"));
    }

    private static byte[] layer1() {
        return new TarBuilder().dir("etc", 0755).file("etc/hostname", "fixture\n", 0644)
                .dir("a", 0755).file("a/keep", "kept from layer 1\n", 0644)
                .hardlink("a/keep-link", "a/keep").file("a/gone", "deleted by layer 2\n", 0644)
                .dir("a/sub", 0700).file("a/sub/old", "old\n", 0600)
                .dir("opq", 0755).file("opq/lower1", "hidden by the opaque marker\n", 0644)
                .dir("opq/lowerdir", 0755).file("opq/lowerdir/x", "hidden too\n", 0644)
                .symlink("link", "a/keep").symlink("abs-link", "/etc/hostname")
                .dir("bin", 0755).file("bin/suid", "#!/bin/sh\n".getBytes(), 04755, 0, 0, Map.of())
                .dir("home", 0755).file("home/owned", "uid 1000\n".getBytes(), 0640, 1000, 1000, Map.of())
                .file("xattr-file", "with an xattr\n".getBytes(), 0644, 0, 0, Map.of("user.workshop", "hello"))
                .dir("dev", 0755).charDevice("dev/null", 1, 3).fifo("dev/fifo")
                .build();
    }

    private static byte[] layer2() {
        return new TarBuilder().dir("a", 0755).file("a/.wh.gone", "", 0644)
                .dir("opq", 0755).file("opq/before", "same layer, before the marker\n", 0644)
                .file("opq/.wh..wh..opq", "", 0644)
                .file("opq/after", "same layer, after the marker\n", 0644)
                .file("a/sub", "a file replacing a directory\n", 0644)
                .build();
    }

    private static byte[] layer3() {
        return new TarBuilder().dir("a", 0755).file("a/keep", "rewritten by layer 3\n", 0644)
                .file("top", "layer 3\n", 0644).build();
    }

    private OciLayoutWriter.Manifest platformImage(Platform p) {
        byte[] tar = new TarBuilder().file("platform", p + "\n", 0644).build();
        return layout.image(List.of(OciLayoutWriter.layer(Compression.GZIP, tar)), p, null);
    }

    private OciLayoutWriter.Manifest platformImage(OciLayoutWriter.Layer base, Platform p) {
        byte[] tar = new TarBuilder().file("platform", p + "\n", 0644).build();
        return layout.image(List.of(base, OciLayoutWriter.layer(Compression.GZIP, tar)), p, List.of("/bin/sh"));
    }

    /** Layers whose blob matches its digest, yet whose content is not what the config says. */
    private void broken() {
        byte[] tar = new TarBuilder().file("data", new byte[64 * 1024], 0644, 0, 0, Map.of()).build();
        OciLayoutWriter.Layer other = OciLayoutWriter.layer(Compression.GZIP, new TarBuilder().file("other", "x", 0644).build());
        layout.tag("wrong-diff-id", layout.image(List.of(new OciLayoutWriter.Layer(other.mediaType(), other.blob(),
                Digest.of(tar))), Platform.host(), null));
        OciLayoutWriter.Layer cut = OciLayoutWriter.layer(Compression.GZIP, Arrays.copyOf(tar, tar.length / 2));
        layout.tag("truncated-tar", layout.image(List.of(new OciLayoutWriter.Layer(cut.mediaType(), cut.blob(),
                Digest.of(tar))), Platform.host(), null));
        byte[] zeros = new byte[700 * 1024];
        layout.tag("bomb", layout.image(List.of(
                OciLayoutWriter.layer(Compression.GZIP, new TarBuilder().file("zeros1", zeros, 0644, 0, 0, Map.of()).build()),
                OciLayoutWriter.layer(Compression.GZIP, new TarBuilder().file("zeros2", zeros, 0644, 0, 0, Map.of()).build())),
                Platform.host(), null));
    }

    private void hostile(String name, TarBuilder tar) {
        layout.tag(name, layout.image(List.of(OciLayoutWriter.layer(Compression.GZIP, tar.build())), Platform.host(), null));
    }

    private static void deleteQuietly(Path dir) {
        try {
            Command.of("rm", "-rf", "--one-file-system", dir.toString()).run();
        } catch (RuntimeException ignored) {
            // best effort at JVM exit
        }
    }
}
