package jrunc.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * {@code pull}: reference → manifest (choosing a platform if it is an index) → config and layers
 * into the store, each verified → every layer unpacked once → the name recorded in index.json.
 */
public final class Puller {
    private static final int PARALLEL_DOWNLOADS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ImageStore store;
    private final Progress progress;
    private final UnpackLimits limits;

    public Puller(ImageStore store, Progress progress, UnpackLimits limits) {
        this.store = store;
        this.progress = progress;
        this.limits = limits;
    }

    public Puller(ImageStore store, Progress progress) {
        this(store, progress, UnpackLimits.DEFAULT);
    }

    public StoredImage pull(RegistryClient client, ImageReference ref, Platform platform) throws IOException {
        store.init();
        try (FileLock lock = store.lock()) {
            String repo = ref.repository();
            RegistryClient.Fetched top = client.fetchManifest(repo, ref.reference());
            RegistryClient.Fetched manifest = MediaTypes.INDEXES.contains(top.mediaType())
                    ? client.fetchManifest(repo, choose(ref, top, platform).digest().toString())
                    : top;
            JsonNode json = parseManifest(ref, manifest);
            fetch(client, repo, Descriptor.fromJson(json.path("config")), RegistryClient.MANIFEST_LIMIT);
            // tag::store-oci[]
            // skopeo and umoci read only OCI manifests in a
            // layout: a Docker one is stored converted (same
            // config and layers, a new manifest digest), and
            // the index keeps the digest the registry gave.
            byte[] stored = manifest.bytes();
            if (manifest.mediaType().equals(MediaTypes.DOCKER_MANIFEST)) {
                json = MediaTypes.dockerToOci(json);
                stored = JSON.writeValueAsBytes(json);
            }
            Descriptor named = new Descriptor(MediaTypes.OCI_MANIFEST,
                    Digest.of(stored), stored.length, null, Map.of(
                    ImageStore.PULLED_DIGEST, manifest.digest().toString()));
            // end::store-oci[]
            StoredImage image = StoredImage.fromManifest(store, ref.name(), named, json);
            fetchAndUnpackLayers(client, repo, image);
            // Named last: until here a crash leaves only unnamed blobs, which rmi collects.
            store.writeBlob(stored, named.digest());
            store.tag(ref.name(), named);
            return image;
        }
    }

    /** The index entry for our platform, or an error listing those the image has. */
    static Descriptor choose(ImageReference ref, RegistryClient.Fetched index, Platform wanted) throws IOException {
        List<Descriptor> all = new ArrayList<>();
        for (JsonNode m : JSON.readTree(index.bytes()).path("manifests")) all.add(Descriptor.fromJson(m));
        // tag::choose[]
        for (Descriptor d : all) {
            if (d.platform() != null && wanted.accepts(d.platform())) {
                return d;
            }
        }
        List<String> available = all.stream()
                .filter(d -> d.platform() != null)
                .map(d -> d.platform().toString()).distinct().toList();
        throw new RegistryException("NO_MATCHING_PLATFORM",
                "image " + ref + " has no " + wanted + " variant;"
                + " available platforms: " + String.join(", ", available)
                + " - choose one with --platform");
        // end::choose[]
    }

    private static JsonNode parseManifest(ImageReference ref, RegistryClient.Fetched manifest) throws IOException {
        if (!MediaTypes.MANIFESTS.contains(manifest.mediaType())) {
            throw new RegistryException("UNSUPPORTED", ref + ": unsupported manifest media type '" + manifest.mediaType()
                    + "' (supported: OCI image manifest, Docker schema2)");
        }
        JsonNode json = JSON.readTree(manifest.bytes());
        if (json.path("schemaVersion").asInt() != 2) {
            throw new RegistryException("UNSUPPORTED", ref + ": manifest schemaVersion " + json.path("schemaVersion") + " is not 2");
        }
        return json;
    }

    /**
     * Each layer is downloaded and then unpacked into its own directory, a few layers at a
     * time: layers are independent until the overlay stacks them, so unpacking one overlaps
     * downloading the next.
     */
    private void fetchAndUnpackLayers(RegistryClient client, String repo, StoredImage image) throws IOException {
        List<Digest> diffIds = image.diffIds();
        long claimed = 0;
        for (Descriptor layer : image.layers()) limits.checkClaimed(image.name(), layer, claimed += layer.size());
        UnpackLimits.Budget budget = limits.newImage(image.name());
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_DOWNLOADS, r -> {
            Thread t = new Thread(r, "layer");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> running = new ArrayList<>();
            java.util.Set<Digest> seen = new java.util.HashSet<>();
            for (int i = 0; i < image.layers().size(); i++) {
                Descriptor layer = image.layers().get(i);
                Digest diffId = diffIds.get(i);
                if (!seen.add(layer.digest())) continue; // the same (often empty) layer twice

                running.add(pool.submit(() -> {
                    fetch(client, repo, layer, limits.layer());
                    unpack(layer, diffId, budget);
                    return null;
                }));
            }
            for (Future<?> f : running) await(f);
        } finally {
            // After a failure the other layers stop too (downloads and writes are interruptible),
            // and before the store's lock is released: only its holder may write into tmp/.
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Downloads one blob the store lacks: into tmp/, verified, then to its name. */
    private void fetch(RegistryClient client, String repo, Descriptor blob, long limit) throws IOException {
        if (blob.size() > limit) {
            throw new RegistryException("TOO_LARGE", "blob " + blob.digest() + " claims " + blob.size()
                    + " bytes, more than the limit of " + limit);
        }
        if (store.hasBlob(blob.digest())) {
            progress.message(Progress.short12(blob.digest()) + ": already in the store");
            return;
        }
        Path temp = store.newTempFile("blob-");
        try {
            progress.start(blob.digest(), blob.size(), "downloading");
            client.fetchBlob(repo, blob, limit, temp, n -> progress.advance(blob.digest(), n));
            store.commitBlob(temp, blob.digest());
            progress.finish(blob.digest(), "verified");
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private void unpack(Descriptor layer, Digest diffId, UnpackLimits.Budget budget) throws IOException {
        Path dir = store.layerDir(layer.digest());
        if (Files.isDirectory(dir)) return;
        progress.start(layer.digest(), layer.size(), "unpacking");
        try {
            new LayerUnpacker(LayerUnpacker.Mode.OVERLAY_LAYER, budget)
                    .unpackNew(store.blob(layer.digest()), layer, diffId, dir, store.root().resolve("tmp"));
        } catch (UnsafeLayerException | UnpackLimits.TooLargeException namesTheLayer) {
            throw namesTheLayer;
        } catch (IOException e) {
            throw damaged(layer, diffId, e);
        }
        progress.advance(layer.digest(), layer.size());
        progress.finish(layer.digest(), "unpacked");
    }

    /** The blob matched its digest, yet its content is not the tar the config promises. */
    private IOException damaged(Descriptor layer, Digest diffId, IOException e) throws IOException {
        String what = "layer " + layer.digest() + ": ";
        boolean mismatch = e instanceof VerifyingInputStream.DigestMismatchException m && m.actual() != null;
        if (!mismatch && !(e instanceof java.io.EOFException) && !"Truncated TAR archive".equals(e.getMessage())) {
            return new IOException(what + "cannot unpack: " + e.getMessage(), e);
        }
        Optional<String> cut = whereTheTarEnds(layer);
        if (cut.isPresent()) {
            return new IOException(what + "the tar ends early, " + cut.get() + "; the image config's diff_id "
                    + diffId + " is that of a complete tar - the layer was built or uploaded damaged", e);
        }
        return new VerifyingInputStream.DigestMismatchException(what + "its tar has digest "
                + ((VerifyingInputStream.DigestMismatchException) e).actual() + ", but the image config's diff_id"
                + " for it is " + diffId + " - the image is broken or was tampered with");
    }

    /** Reads the layer's tar once more, to say where it is cut short (empty: it is complete). */
    private Optional<String> whereTheTarEnds(Descriptor layer) throws IOException {
        String at = "before its first entry";
        try (InputStream blob = Files.newInputStream(store.blob(layer.digest()));
             TarArchiveInputStream tar = new TarArchiveInputStream(LayerUnpacker.decompress(blob,
                     MediaTypes.compressionOf(layer.mediaType())), StandardCharsets.UTF_8.name())) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                at = "inside the " + entry.getSize() + " bytes of entry '" + entry.getName() + "'";
                tar.transferTo(OutputStream.nullOutputStream());
                at = "after entry '" + entry.getName() + "'";
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(at + " (" + e.getMessage() + ")");
        }
    }

    private static void await(Future<?> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IOException(e.getCause());
        }
    }
}
