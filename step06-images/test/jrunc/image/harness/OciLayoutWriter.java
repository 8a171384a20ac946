package jrunc.image.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import jrunc.image.Digest;
import jrunc.image.MediaTypes;
import jrunc.image.Platform;

/**
 * Writes fixture images as an OCI image layout (what skopeo pushes from and umoci unpacks),
 * byte for byte under the test's control: layers, config with diff_ids, manifest, index.
 */
public final class OciLayoutWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final ArrayNode refs = JSON.createArrayNode();

    /** A layer blob ready to be referenced: media type, compressed bytes, uncompressed digest. */
    public record Layer(String mediaType, byte[] blob, Digest diffId) {
        public Digest digest() {
            return Digest.of(blob);
        }
    }

    /** A manifest written to the layout. */
    public record Manifest(Digest digest, long size, Platform platform) {}

    public OciLayoutWriter(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("blobs/sha256"));
            Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    public static Layer layer(MediaTypes.Compression compression, byte[] tar) {
        try {
            return switch (compression) {
                case NONE -> new Layer("application/vnd.oci.image.layer.v1.tar", tar, Digest.of(tar));
                case GZIP -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                        gz.write(tar);
                    }
                    yield new Layer("application/vnd.oci.image.layer.v1.tar+gzip", out.toByteArray(), Digest.of(tar));
                }
                case ZSTD -> new Layer("application/vnd.oci.image.layer.v1.tar+zstd", Zstd.compress(tar), Digest.of(tar));
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes config and manifest; {@code cmd} may be null. Returns the manifest. */
    public Manifest image(List<Layer> layers, Platform platform, List<String> cmd) {
        ObjectNode config = JSON.createObjectNode();
        config.put("created", "2024-05-01T12:00:00Z");
        config.put("architecture", platform.architecture());
        config.put("os", platform.os());
        if (platform.variant() != null) config.put("variant", platform.variant());
        ObjectNode c = config.putObject("config");
        c.putArray("Env").add("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
        if (cmd != null) cmd.forEach(c.putArray("Cmd")::add);
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode diffIds = rootfs.putArray("diff_ids");
        layers.forEach(l -> diffIds.add(l.diffId().toString()));

        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
        manifest.set("config", descriptor(MediaTypes.OCI_CONFIG, blob(bytes(config))));
        ArrayNode ls = manifest.putArray("layers");
        for (Layer l : layers) ls.add(descriptor(l.mediaType(), blob(l.blob())));
        byte[] m = bytes(manifest);
        return new Manifest(blob(m), m.length, platform);
    }

    /** Names a single manifest in index.json (what skopeo's oci:DIR:NAME finds). */
    public void tag(String name, Manifest m) {
        ObjectNode d = descriptor(MediaTypes.OCI_MANIFEST, m.digest(), m.size());
        d.putObject("annotations").put("org.opencontainers.image.ref.name", name);
        refs.add(d);
        writeIndex();
    }

    /** Names a multi-platform image index of the given manifests. */
    public Digest tagIndex(String name, List<Manifest> manifests) {
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode ms = index.putArray("manifests");
        for (Manifest m : manifests) {
            ObjectNode d = descriptor(MediaTypes.OCI_MANIFEST, m.digest(), m.size());
            ObjectNode p = d.putObject("platform");
            p.put("architecture", m.platform().architecture()).put("os", m.platform().os());
            if (m.platform().variant() != null) p.put("variant", m.platform().variant());
            ms.add(d);
        }
        byte[] bytes = bytes(index);
        Digest digest = blob(bytes);
        ObjectNode d = descriptor(MediaTypes.OCI_INDEX, digest, bytes.length);
        d.putObject("annotations").put("org.opencontainers.image.ref.name", name);
        refs.add(d);
        writeIndex();
        return digest;
    }

    private void writeIndex() {
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.set("manifests", refs);
        try {
            Files.write(dir.resolve("index.json"), bytes(index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Digest blob(byte[] content) {
        Digest d = Digest.of(content);
        try {
            Files.write(dir.resolve("blobs/sha256").resolve(d.hex()), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    private ObjectNode descriptor(String mediaType, Digest digest) {
        try {
            return descriptor(mediaType, digest, Files.size(dir.resolve("blobs/sha256").resolve(digest.hex())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode descriptor(String mediaType, Digest digest, long size) {
        ObjectNode d = JSON.createObjectNode();
        d.put("mediaType", mediaType).put("digest", digest.toString()).put("size", size);
        return d;
    }

    private static byte[] bytes(ObjectNode json) {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
