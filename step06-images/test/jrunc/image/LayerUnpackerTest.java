package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jrunc.image.harness.OciLayoutWriter;
import jrunc.image.harness.RawTar;
import jrunc.image.harness.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Privileged;

/** The unpacker on hand-made tars: whiteout semantics and the refusal of hostile entries. */
class LayerUnpackerTest {
    @TempDir
    Path tmp;

    private Path root() throws IOException {
        return Files.createDirectories(tmp.resolve("root"));
    }

    private static void flatten(TarBuilder tar, Path root) throws IOException {
        new LayerUnpacker(LayerUnpacker.Mode.FLATTEN).applyTar(new ByteArrayInputStream(tar.build()), "sha256:test", root);
    }

    @Test
    void whiteoutDeletesTheLowerEntry() throws IOException {
        Path root = root();
        flatten(new TarBuilder().dir("a", 0755).file("a/gone", "x", 0644).file("a/stays", "y", 0644), root);
        flatten(new TarBuilder().file("a/.wh.gone", "", 0644), root);
        assertFalse(Files.exists(root.resolve("a/gone")));
        assertEquals("y", Files.readString(root.resolve("a/stays")));
        assertFalse(Files.exists(root.resolve("a/.wh.gone")), "the marker itself is never a file");
    }

    @Test
    void opaqueHidesLowerLayersButNotItsOwnLayer() throws IOException {
        Path root = root();
        flatten(new TarBuilder().dir("d", 0755).file("d/lower", "l", 0644)
                .dir("d/sub", 0755).file("d/sub/deep", "l", 0644), root);
        flatten(new TarBuilder().dir("d", 0755).file("d/before", "b", 0644)
                .file("d/.wh..wh..opq", "", 0644).file("d/after", "a", 0644), root);
        try (Stream<Path> files = Files.list(root.resolve("d"))) {
            assertEquals(List.of("after", "before"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void overlayLayerExpressesWhiteoutsTheKernelsWay() throws IOException {
        Privileged.requireRoot(); // mknod and trusted.* xattrs
        Path root = root();
        new LayerUnpacker(LayerUnpacker.Mode.OVERLAY_LAYER).applyTar(new ByteArrayInputStream(new TarBuilder()
                .file("a/.wh.gone", "", 0644).file("d/.wh..wh..opq", "", 0644).build()), "sha256:test", root);
        Map<String, Object> whiteout = Files.readAttributes(root.resolve("a/gone"), "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
        assertEquals(0020000, (Integer) whiteout.get("mode") & 0170000, "a character device");
        assertEquals(0L, whiteout.get("rdev"), "numbered 0/0");
        var getfattr = workshop.testkit.Command.of("getfattr", "--absolute-names", "-n", "trusted.overlay.opaque",
                root.resolve("d").toString()).run();
        assertTrue(getfattr.stdout().contains("trusted.overlay.opaque=\"y\""), getfattr.stdout());
    }

    @Test
    void aLayerCannotForgeOverlayMarkersThroughXattrs() throws IOException {
        Privileged.requireRoot();
        Path root = root();
        new LayerUnpacker(LayerUnpacker.Mode.OVERLAY_LAYER).applyTar(new ByteArrayInputStream(new TarBuilder()
                .file("f", "x".getBytes(), 0644, 0, 0, Map.of("trusted.overlay.opaque", "y", "user.ok", "1")).build()), "sha256:test", root);
        var view = Files.getFileAttributeView(root.resolve("f"), java.nio.file.attribute.UserDefinedFileAttributeView.class);
        assertEquals(List.of("ok"), view.list());
    }

    @Test
    void aNameThatIsNotUtf8IsRefusedWithItsBytes() throws IOException {
        byte[] tar = new RawTar().file(new byte[] {'b', 'a', 'd', (byte) 0xff}, new byte[0], 0644, 0, Map.of()).build();
        var e = assertThrows(IOException.class, () -> new LayerUnpacker(LayerUnpacker.Mode.FLATTEN)
                .applyTar(new ByteArrayInputStream(tar), "sha256:test", root()));
        assertEquals("layer sha256:test: entry 626164ff (hex) is a file name that is not valid UTF-8;"
                + " jrunc supports UTF-8 names only", e.getMessage());
    }

    @Test
    void aFlattenedLayerKeepsTheAttributesOfTheDirectoriesItWritesInto() throws IOException {
        Path root = root();
        flatten(new TarBuilder().dir("tmp", 01777), root);
        flatten(new TarBuilder().file("tmp/x", "x", 0644), root);
        assertEquals(01777, (int) Files.getAttribute(root.resolve("tmp"), "unix:mode") & 07777);
        assertEquals(TarBuilder.MTIME, Files.getLastModifiedTime(root.resolve("tmp")));
    }

    @Test
    void directoryTimesAreNeverSetThroughASymlinkThatReplacedADirectory() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside/b"));
        java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(outside);
        flatten(new TarBuilder().dir("a", 0755).dir("a/b", 0755).symlink("a", outside.getParent().toString()), root());
        assertEquals(before, Files.getLastModifiedTime(outside));
    }

    @Test
    void anImpliedDirectoryTakesTheAttributesOfTheVisibleDirectoryBelow() throws IOException {
        Privileged.requireRoot(); // whiteouts are device nodes
        List<Path> topFirst = List.of(overlayLayer("3", new TarBuilder().file("t/x", "x", 0644).file("d/f", "f", 0644)),
                overlayLayer("2", new TarBuilder().file(".wh.d", "", 0644)),
                overlayLayer("1", new TarBuilder().dir("t", 01777).dir("d", 0700)));
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        ImpliedDirs.copyUp(topFirst, upper);
        assertEquals(01777, (int) Files.getAttribute(upper.resolve("t"), "unix:mode") & 07777);
        assertEquals(TarBuilder.MTIME, Files.getLastModifiedTime(upper.resolve("t")));
        assertEquals(0755, (int) Files.getAttribute(upper.resolve("d"), "unix:mode") & 07777,
                "the 0700 d below was deleted by a whiteout: nothing to copy");
        assertEquals(0755, (int) Files.getAttribute(upper, "unix:mode") & 07777, "the merged root: no ./ entry");
    }

    private Path overlayLayer(String name, TarBuilder tar) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("layer" + name));
        ImpliedDirs.write(dir, new LayerUnpacker(LayerUnpacker.Mode.OVERLAY_LAYER)
                .applyTar(new ByteArrayInputStream(tar.build()), "sha256:" + name, dir));
        return dir;
    }

    @Test
    void refusesPathTraversal() throws IOException {
        Path root = root();
        // tag::hostile-test[]
        var bad = new TarBuilder().file("../escaped", "x", 0644);
        var e = assertThrows(UnsafeLayerException.class,
                () -> flatten(bad, root));
        assertEquals("refusing layer sha256:test: entry"
                + " '../escaped' climbs out of the root with '..'",
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("escaped")));
        // end::hostile-test[]
    }

    @Test
    void refusesAbsolutePaths() throws IOException {
        Path target = tmp.resolve("absolute");
        var e = assertThrows(UnsafeLayerException.class, () -> flatten(new TarBuilder().file(target.toString(), "x", 0644), root()));
        assertTrue(e.getMessage().endsWith("is an absolute path"), e.getMessage());
        assertFalse(Files.exists(target));
    }

    @Test
    void refusesWritingThroughASymlink() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        var e = assertThrows(UnsafeLayerException.class, () -> flatten(new TarBuilder()
                .symlink("escape", outside.toString()).file("escape/pwned", "x", 0644), root()));
        assertEquals("refusing layer sha256:test: entry 'escape/pwned' would be written through the symlink escape -> "
                + outside, e.getMessage());
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void refusesASymlinkFromALowerLayerToo() throws IOException {
        Path root = root();
        flatten(new TarBuilder().symlink("etc", "/etc"), root);
        assertThrows(UnsafeLayerException.class, () -> flatten(new TarBuilder().file("etc/passwd", "root::0:0::/:/bin/sh\n", 0644), root));
    }

    @Test
    void refusesHardlinksOutOfTheRoot() throws IOException {
        var e = assertThrows(UnsafeLayerException.class, () -> flatten(new TarBuilder().hardlink("pw", "../../../../etc/passwd"), root()));
        assertEquals("refusing layer sha256:test: entry 'pw' is a hardlink to '../../../../etc/passwd',"
                + " outside the root or through a symlink", e.getMessage());
        var abs = assertThrows(UnsafeLayerException.class, () -> flatten(new TarBuilder().hardlink("pw", "/etc/passwd"), root()));
        assertTrue(abs.getMessage().contains("entry 'pw' is a hardlink to '/etc/passwd'"), abs.getMessage());
    }

    @Test
    void aFileReplacesASymlinkInsteadOfWritingThroughIt() throws IOException {
        Path outside = Files.writeString(tmp.resolve("victim"), "unchanged");
        Path root = root();
        flatten(new TarBuilder().symlink("f", outside.toString()), root);
        flatten(new TarBuilder().file("f", "new", 0644), root);
        assertEquals("unchanged", Files.readString(outside));
        assertEquals("new", Files.readString(root.resolve("f")));
    }

    @Test
    void aRefusedLayerLeavesNothingBehind() throws IOException {
        Path store = Files.createDirectories(tmp.resolve("store"));
        byte[] tar = new TarBuilder().file("ok-file", "x", 0644).file("../bad", "x", 0644).build();
        OciLayoutWriter.Layer layer = OciLayoutWriter.layer(MediaTypes.Compression.GZIP, tar);
        Path blob = Files.write(tmp.resolve("blob"), layer.blob());
        Descriptor d = new Descriptor(layer.mediaType(), layer.digest(), layer.blob().length, null, Map.of());
        Path target = store.resolve("unpacked");
        assertThrows(UnsafeLayerException.class, () -> new LayerUnpacker(LayerUnpacker.Mode.FLATTEN)
                .unpackNew(blob, d, layer.diffId(), target, store));
        try (Stream<Path> s = Files.list(store)) {
            assertEquals(List.of(), s.toList(), "neither the target nor a temp dir");
        }
    }

    @Test
    void aLayerWhoseContentDoesNotMatchItsDiffIdIsRefused() throws IOException {
        OciLayoutWriter.Layer layer = OciLayoutWriter.layer(MediaTypes.Compression.ZSTD, new TarBuilder().file("f", "x", 0644).build());
        Descriptor d = new Descriptor(layer.mediaType(), layer.digest(), layer.blob().length, null, Map.of());
        Digest wrong = Digest.of("something else".getBytes());
        var e = assertThrows(VerifyingInputStream.DigestMismatchException.class, () -> new LayerUnpacker(LayerUnpacker.Mode.FLATTEN)
                .apply(new ByteArrayInputStream(layer.blob()), d, wrong, root()));
        assertTrue(e.getMessage().startsWith("digest mismatch: expected " + wrong), e.getMessage());
    }

    @Test
    void keepsModesOwnersTimesAndLinks() throws IOException {
        Privileged.requireRoot();
        Path root = root();
        flatten(new TarBuilder().file("suid", "x".getBytes(), 04755, 1000, 1001, Map.of())
                .hardlink("suid-link", "suid").symlink("sym", "suid"), root);
        Map<String, Object> a = Files.readAttributes(root.resolve("suid"), "unix:mode,uid,gid,nlink,lastModifiedTime");
        assertEquals(0104755, a.get("mode"));
        assertEquals(1000, a.get("uid"));
        assertEquals(1001, a.get("gid"));
        assertEquals(2, a.get("nlink"));
        assertEquals(TarBuilder.MTIME, a.get("lastModifiedTime"));
        assertEquals(Path.of("suid"), Files.readSymbolicLink(root.resolve("sym")));
    }
}
