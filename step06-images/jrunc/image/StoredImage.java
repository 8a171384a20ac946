package jrunc.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** An image as the store holds it: its manifest's layers, in order, and its config. */
public record StoredImage(String name, Descriptor manifest, Descriptor config, List<Descriptor> layers, JsonNode configJson) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static StoredImage load(ImageStore store, ImageStore.Entry entry) throws IOException {
        JsonNode manifest = JSON.readTree(store.readBlob(entry.manifest().digest()));
        return fromManifest(store, entry.name(), entry.manifest(), manifest);
    }

    public static StoredImage fromManifest(ImageStore store, String name, Descriptor descriptor, JsonNode manifest) throws IOException {
        Descriptor config = Descriptor.fromJson(manifest.path("config"));
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode l : manifest.path("layers")) layers.add(Descriptor.fromJson(l));
        return new StoredImage(name, descriptor, config, layers, JSON.readTree(store.readBlob(config.digest())));
    }

    /** The digest to pull this image by (see {@link ImageStore.Entry#pulledDigest}). */
    public Digest pulledDigest() {
        return new ImageStore.Entry(name, manifest).pulledDigest();
    }

    /** The platform the image's config says it was built for. */
    public Platform platform() {
        return new Platform(configJson.path("os").asText(""), configJson.path("architecture").asText(""),
                configJson.hasNonNull("variant") ? configJson.path("variant").asText() : null);
    }

    /** The digests of the uncompressed layers, as the config lists them (bottom first). */
    public List<Digest> diffIds() {
        List<Digest> ids = new ArrayList<>();
        for (JsonNode d : configJson.path("rootfs").path("diff_ids")) ids.add(Digest.parse(d.asText()));
        if (ids.size() != layers.size()) {
            throw new IllegalStateException("image " + name + ": config lists " + ids.size() + " diff_ids for " + layers.size() + " layers");
        }
        return ids;
    }

    /** Manifest, config and layers: what the image takes in the store (compressed). */
    public long size() {
        return manifest.size() + config.size() + layers.stream().mapToLong(Descriptor::size).sum();
    }
}
