package jrunc.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Prepares and removes a container's root filesystem from a stored image. The layers are
 * shared read-only by every container of the image; each container writes into its own upper
 * dir. Without overlayfs (some nested or exotic filesystems) the layers are applied to a
 * private copy instead: slower and bigger, but the same files.
 *
 * <p>Everything lives in {@code STORE/containers/ID/}; the file {@code layers} there lists the
 * layers in use, so {@code rmi} never deletes a layer a container still stands on.
 */
public final class RootfsBuilder {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private final ImageStore store;

    public RootfsBuilder(ImageStore store) {
        this.store = store;
    }

    /** Whether this kernel can mount overlayfs (it is listed once the module is loaded). */
    public static boolean overlayAvailable() {
        try {
            return Files.readString(Path.of("/proc/filesystems")).contains("\toverlay\n")
                    || new ProcessBuilder("modprobe", "-q", "overlay").start().waitFor() == 0
                    && Files.readString(Path.of("/proc/filesystems")).contains("\toverlay\n");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public Path containerDir(String containerId) {
        if (!ID.matcher(containerId).matches()) {
            throw new IllegalArgumentException("invalid container id '" + containerId + "': letters, digits, _ . - only");
        }
        return store.root().resolve("containers").resolve(containerId);
    }

    public RootfsPlan prepare(ImageReference ref, String containerId, boolean useOverlay) throws IOException {
        Path dir = containerDir(containerId);
        try (FileLock lock = store.init().lock()) {
            StoredImage image = StoredImage.load(store, store.find(ref).orElseThrow(() ->
                    new IllegalArgumentException("image " + ref + " is not in the store " + store.root() + " - pull it first")));
            if (Files.exists(dir)) throw new IllegalStateException("container " + containerId + " already has a root filesystem in " + dir);
            Files.createDirectories(dir);
            try {
                return assemble(image, dir, useOverlay);
            } catch (IOException | RuntimeException e) {
                FileTree.deleteRecursively(dir); // nothing half-built stays behind
                throw e;
            }
        }
    }

    private RootfsPlan assemble(StoredImage image, Path dir, boolean useOverlay) throws IOException {
        List<String> inUse = new ArrayList<>();
        List<Path> lowerTopFirst = new ArrayList<>();
        for (Descriptor layer : image.layers()) {
            inUse.add(layer.digest().hex());
            lowerTopFirst.add(0, store.layerDir(layer.digest()));
        }
        Files.write(dir.resolve("layers"), inUse);
        Path merged = Files.createDirectory(dir.resolve("merged"));
        if (!useOverlay) {
            SafeRoot.makeImpliedDir(merged); // until a layer's "./" says otherwise
            flatten(image, merged);
            return new RootfsPlan(List.of(), null, null, merged, true);
        }
        Path upper = Files.createDirectory(dir.resolve("upper"));
        ImpliedDirs.copyUp(lowerTopFirst, upper);
        return new RootfsPlan(lowerTopFirst, upper, Files.createDirectory(dir.resolve("work")), merged, false);
    }

    public RootfsPlan prepare(ImageReference ref, String containerId) throws IOException {
        return prepare(ref, containerId, overlayAvailable());
    }

    /** The copy fallback: every layer applied in order, whiteouts as deletions. */
    public void flatten(StoredImage image, Path target) throws IOException {
        LayerUnpacker unpacker = new LayerUnpacker(LayerUnpacker.Mode.FLATTEN);
        List<Digest> diffIds = image.diffIds();
        for (int i = 0; i < image.layers().size(); i++) {
            Descriptor layer = image.layers().get(i);
            try (InputStream in = Files.newInputStream(store.blob(layer.digest()))) {
                unpacker.apply(in, layer, diffIds.get(i), target);
            }
        }
    }

    /** Deletes the container's upper, work and merged dirs; the overlay must be unmounted. */
    public void remove(String containerId) throws IOException {
        Path dir = containerDir(containerId);
        if (Files.isDirectory(dir.resolve("merged")) && isMountPoint(dir.resolve("merged"))) {
            throw new IllegalStateException(dir.resolve("merged") + " is still mounted; unmount it before removing the container");
        }
        FileTree.deleteRecursively(dir);
    }

    private static boolean isMountPoint(Path dir) throws IOException {
        String target = " " + dir.toRealPath() + " ";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().anyMatch(l -> l.contains(target));
    }
}
