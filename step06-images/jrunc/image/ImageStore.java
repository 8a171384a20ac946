package jrunc.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * The content-addressed image store, laid out as an OCI image layout so that skopeo and umoci
 * can read it ({@code oci:STORE:NAME}, {@code umoci unpack --image STORE:NAME}):
 * <pre>
 *   STORE/oci-layout               {"imageLayoutVersion": "1.0.0"}
 *   STORE/index.json               one manifest descriptor per image name
 *   STORE/blobs/sha256/HEX         manifests, configs and layers, named by their digest
 *   STORE/layers/sha256/HEX/       each layer unpacked once (overlayfs lower dir) - ours
 *   STORE/layers/sha256/HEX.implied  the directories it implies (see ImpliedDirs) - ours
 *   STORE/tmp/                     downloads and unpacks in progress - ours
 * </pre>
 * A blob only appears under its name after its digest was checked, by an atomic rename; a
 * crash leaves at most a file in tmp/, which the next command that locks the store deletes.
 * Two images sharing a layer share the blob and its dir.
 */
public final class ImageStore {
    public static final Path DEFAULT = Path.of("/var/lib/jrunc");
    public static final String REF_NAME = "org.opencontainers.image.ref.name";
    /** The manifest digest the registry gave, when the store keeps a converted manifest. */
    public static final String PULLED_DIGEST = "dev.workshop.jrunc.pulled-digest";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    public ImageStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Creates the layout if missing; our private dirs are 0700 (they hold other users' files). */
    public ImageStore init() throws IOException {
        Files.createDirectories(root.resolve("blobs/sha256"));
        for (String own : List.of("tmp", "layers/sha256")) {
            Path dir = root.resolve(own);
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        if (!Files.exists(root.resolve("oci-layout"))) writeAtomically(root.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
        if (!Files.exists(root.resolve("index.json"))) writeIndex(JSON.createArrayNode());
        return this;
    }

    public Path blob(Digest digest) {
        return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    }

    public boolean hasBlob(Digest digest) {
        return Files.isRegularFile(blob(digest));
    }

    /** The directory holding layer {@code digest} unpacked (overlayfs format). */
    public Path layerDir(Digest digest) {
        return root.resolve("layers").resolve(digest.algorithm()).resolve(digest.hex());
    }

    public Path newTempFile(String prefix) throws IOException {
        return Files.createTempFile(root.resolve("tmp"), prefix, ".part");
    }

    public Path newTempDir(String prefix) throws IOException {
        return Files.createTempDirectory(root.resolve("tmp"), prefix);
    }

    // tag::commit-blob[]
    /** Moves an already verified temp file to its content address. */
    public void commitBlob(Path verified, Digest digest) throws IOException {
        Path target = blob(digest);
        if (Files.exists(target)) {
            Files.delete(verified); // shared layer: stored once
            return;
        }
        try (FileChannel ch = FileChannel.open(verified, WRITE)) {
            ch.force(true); // the bytes are on disk before the name
        }
        Files.move(verified, target, ATOMIC_MOVE);
    }
    // end::commit-blob[]

    public void writeBlob(byte[] content, Digest digest) throws IOException {
        if (hasBlob(digest)) return;
        Path temp = newTempFile("blob-");
        Files.write(temp, content);
        commitBlob(temp, digest);
    }

    public byte[] readBlob(Digest digest) throws IOException {
        return Files.readAllBytes(blob(digest));
    }

    /** An image the store knows by name. */
    public record Entry(String name, Descriptor manifest) {
        /** The digest to pull this image by: the registry's, as pull printed it. */
        public Digest pulledDigest() {
            String pulled = manifest.annotations().get(PULLED_DIGEST);
            return pulled != null ? Digest.parse(pulled) : manifest.digest();
        }
    }

    public List<Entry> list() throws IOException {
        List<Entry> entries = new ArrayList<>();
        Path index = root.resolve("index.json");
        if (!Files.exists(index)) return entries;
        for (JsonNode m : JSON.readTree(index.toFile()).path("manifests")) {
            Descriptor d = Descriptor.fromJson(m);
            entries.add(new Entry(d.annotations().getOrDefault(REF_NAME, ""), d));
        }
        return entries;
    }

    public Optional<Entry> find(ImageReference ref) throws IOException {
        return list().stream().filter(e -> e.name().equals(ref.name())).findFirst();
    }

    /** Points {@code name} at {@code manifest}, replacing an older image of that name. */
    public void tag(String name, Descriptor manifest) throws IOException {
        ArrayNode manifests = JSON.createArrayNode();
        for (Entry e : list()) if (!e.name().equals(name)) manifests.add(toJson(e.manifest(), e.name()));
        manifests.add(toJson(manifest, name));
        writeIndex(manifests);
    }

    /** Removes the name; returns false if there was none. Blobs are left to {@link #collectGarbage}. */
    public boolean untag(String name) throws IOException {
        ArrayNode manifests = JSON.createArrayNode();
        boolean found = false;
        for (Entry e : list()) {
            if (e.name().equals(name)) found = true;
            else manifests.add(toJson(e.manifest(), e.name()));
        }
        if (found) writeIndex(manifests);
        return found;
    }

    /** Deletes every blob and unpacked layer that no name in index.json reaches any more. */
    public List<Digest> collectGarbage() throws IOException {
        Set<String> reachable = new HashSet<>();
        for (Entry e : list()) markReachable(e.manifest().digest(), reachable);
        reachable.addAll(layersOfContainers());
        List<Digest> removed = new ArrayList<>();
        try (Stream<Path> blobs = Files.list(root.resolve("blobs/sha256"))) {
            for (Path blob : (Iterable<Path>) blobs::iterator) {
                String hex = blob.getFileName().toString();
                if (reachable.contains(hex)) continue;
                Digest d = new Digest("sha256", hex);
                FileTree.deleteRecursively(layerDir(d));
                Files.deleteIfExists(ImpliedDirs.listOf(layerDir(d)));
                Files.delete(blob);
                removed.add(d);
            }
        }
        return removed;
    }

    /** Layers that containers stand on (RootfsBuilder lists them in containers/ID/layers). */
    private Set<String> layersOfContainers() throws IOException {
        Set<String> inUse = new HashSet<>();
        Path containers = root.resolve("containers");
        if (!Files.isDirectory(containers)) return inUse;
        try (Stream<Path> dirs = Files.list(containers)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                Path layers = dir.resolve("layers");
                if (Files.isRegularFile(layers)) inUse.addAll(Files.readAllLines(layers));
            }
        }
        return inUse;
    }

    private void markReachable(Digest digest, Set<String> reachable) throws IOException {
        if (!reachable.add(digest.hex()) || !hasBlob(digest)) return;
        JsonNode json;
        try {
            json = JSON.readTree(readBlob(digest));
        } catch (IOException notJson) {
            return; // a layer
        }
        // Only manifests and indexes point further; a config has a "config" key of its own.
        if (json == null || json.path("schemaVersion").asInt() != 2) return;
        for (JsonNode m : json.path("manifests")) markReachable(Descriptor.fromJson(m).digest(), reachable);
        if (json.has("config")) markReachable(Descriptor.fromJson(json.get("config")).digest(), reachable);
        for (JsonNode l : json.path("layers")) markReachable(Descriptor.fromJson(l).digest(), reachable);
    }

    /**
     * One pull or rmi at a time per store: a garbage collection must never see a blob that a
     * concurrent pull has stored but not yet named in index.json. tmp/ is only written under
     * this lock, so whatever is in it now was left by a command that died (the kernel drops a
     * dead process's lock): it goes.
     */
    // tag::store-lock[]
    public FileLock lock() throws IOException {
        FileChannel channel = FileChannel.open(root.resolve("lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.lock();
            emptyTemp();
            return lock;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }
    // end::store-lock[]

    private void emptyTemp() throws IOException {
        Path tmp = root.resolve("tmp");
        if (!Files.isDirectory(tmp)) return;
        try (Stream<Path> left = Files.list(tmp)) {
            for (Path p : (Iterable<Path>) left::iterator) FileTree.deleteRecursively(p);
        }
    }

    private static ObjectNode toJson(Descriptor d, String name) {
        ObjectNode node = JSON.createObjectNode();
        node.put("mediaType", d.mediaType());
        node.put("digest", d.digest().toString());
        node.put("size", d.size());
        ObjectNode annotations = node.putObject("annotations");
        d.annotations().forEach(annotations::put);
        annotations.put(REF_NAME, name);
        return node;
    }

    /** index.json is replaced, never edited: readers see the old or the new one. */
    private void writeIndex(ArrayNode manifests) throws IOException {
        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        index.set("manifests", manifests);
        writeAtomically(root.resolve("index.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
    }

    private static void writeAtomically(Path file, byte[] content) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(content));
            ch.force(true);
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new UncheckedIOException("the store " + file.getParent() + " is on a filesystem without atomic rename", e);
        }
    }
}
