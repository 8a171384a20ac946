package jrunc.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * {@code import}: a root filesystem directory becomes a one-layer OCI image in the store, so
 * the workshop's busybox rootfs can be run as an image with no registry at all. The layer is a
 * gzip'd tar of the directory; its two digests (compressed for the manifest, uncompressed for
 * the config's diff_ids) are computed while it is written, as a registry would check them.
 */
public final class ImageImporter {
    static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageImporter() {}

    /** Imports {@code dir} as image {@code ref} (replacing an image of that name); returns it. */
    public static StoredImage importDirectory(ImageStore store, Path dir, ImageReference ref,
            List<String> cmd) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("import " + dir + ": not a directory (ENOENT)"
                    + "; the workshop's busybox rootfs is built by bin/build-rootfs");
        }
        store.init();
        try (FileLock lock = store.lock()) {
            // tag::import-layer[]
            Path tar = store.newTempFile("import-");
            MessageDigest compressed = sha256();
            MessageDigest uncompressed = sha256();
            try (OutputStream file = Files.newOutputStream(tar);
                 var gzip = new GzipCompressorOutputStream(
                         new DigestOutputStream(file, compressed));
                 var out = new TarArchiveOutputStream(
                         new DigestOutputStream(gzip, uncompressed))) {
                out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                writeTree(dir, out);
            }
            // end::import-layer[]
            Digest layerDigest = digest(compressed);
            Digest diffId = digest(uncompressed);
            Descriptor layer = new Descriptor(LAYER_TYPE, layerDigest, Files.size(tar), null, Map.of());
            store.commitBlob(tar, layerDigest);

            byte[] config = JSON.writeValueAsBytes(config(diffId, cmd));
            Descriptor configDescriptor = new Descriptor(MediaTypes.OCI_CONFIG, Digest.of(config),
                    config.length, null, Map.of());
            store.writeBlob(config, configDescriptor.digest());
            byte[] manifest = JSON.writeValueAsBytes(manifest(configDescriptor, layer));
            Descriptor manifestDescriptor = new Descriptor(MediaTypes.OCI_MANIFEST,
                    Digest.of(manifest), manifest.length, null, Map.of());
            store.writeBlob(manifest, manifestDescriptor.digest());

            Path layerDir = store.layerDir(layerDigest);
            if (!Files.isDirectory(layerDir)) {
                new LayerUnpacker(LayerUnpacker.Mode.OVERLAY_LAYER).unpackNew(store.blob(layerDigest),
                        layer, diffId, layerDir, store.root().resolve("tmp"));
            }
            store.tag(ref.name(), manifestDescriptor);
            return StoredImage.fromManifest(store, ref.name(), manifestDescriptor, JSON.readTree(manifest));
        }
    }

    /** Every entry below dir, parents before children, in a stable order, with owners and modes. */
    private static void writeTree(Path dir, TarArchiveOutputStream out) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir)) {
            paths = walk.filter(p -> !p.equals(dir)).sorted().toList();
        }
        for (Path path : paths) {
            String name = dir.relativize(path).toString();
            Map<String, Object> unix = Files.readAttributes(path, "unix:mode,uid,gid,lastModifiedTime",
                    LinkOption.NOFOLLOW_LINKS);
            TarArchiveEntry entry;
            boolean regular = false;
            if (Files.isSymbolicLink(path)) {
                entry = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
                entry.setLinkName(Files.readSymbolicLink(path).toString());
            } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                entry = new TarArchiveEntry(name + "/");
            } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                entry = new TarArchiveEntry(name);
                entry.setSize(Files.size(path));
                regular = true;
            } else {
                continue; // sockets, fifos and devices are not part of a root filesystem image
            }
            entry.setMode((Integer) unix.get("mode") & 07777);
            entry.setUserId((Integer) unix.get("uid"));
            entry.setGroupId((Integer) unix.get("gid"));
            entry.setModTime(((FileTime) unix.get("lastModifiedTime")).toMillis());
            out.putArchiveEntry(entry);
            if (regular) {
                try (InputStream in = Files.newInputStream(path)) {
                    in.transferTo(out);
                }
            }
            out.closeArchiveEntry();
        }
    }

    private static ObjectNode config(Digest diffId, List<String> cmd) {
        ObjectNode config = JSON.createObjectNode();
        Platform host = Platform.host();
        config.put("architecture", host.architecture()).put("os", host.os());
        ObjectNode c = config.putObject("config");
        c.putArray("Env").add(ImageConfigToSpec.DEFAULT_PATH);
        cmd.forEach(c.putArray("Cmd")::add);
        c.put("WorkingDir", "/");
        ObjectNode rootfs = config.putObject("rootfs").put("type", "layers");
        rootfs.putArray("diff_ids").add(diffId.toString());
        return config;
    }

    private static ObjectNode manifest(Descriptor config, Descriptor layer) {
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_MANIFEST);
        m.putObject("config").put("mediaType", config.mediaType())
                .put("digest", config.digest().toString()).put("size", config.size());
        m.putArray("layers").addObject().put("mediaType", layer.mediaType())
                .put("digest", layer.digest().toString()).put("size", layer.size());
        return m;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static Digest digest(MessageDigest d) {
        return new Digest("sha256", HexFormat.of().formatHex(d.digest()));
    }
}
