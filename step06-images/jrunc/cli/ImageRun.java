package jrunc.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import jrunc.image.ImageConfigToSpec;
import jrunc.image.ImageFiles;
import jrunc.image.ImageReference;
import jrunc.image.ImageStore;
import jrunc.image.Platform;
import jrunc.image.Progress;
import jrunc.image.Puller;
import jrunc.image.RegistryClient;
import jrunc.image.RootfsBuilder;
import jrunc.image.RootfsPlan;
import jrunc.image.StoredImage;
import jrunc.image.UnpackLimits;
import jrunc.linux.LibC;
import jrunc.linux.OverlayMount;
import jrunc.runtime.Creator;
import jrunc.runtime.JruncException;
import jrunc.runtime.Lifecycle;

/**
 * {@code run IMAGE [COMMAND...]}: what docker and podman do before they call a runtime. Pull the
 * image if the store lacks it, stack its layers with overlayfs under a fresh upper directory,
 * write a config.json from the image's config and the user's options, then create and start it
 * like any bundle. The overlay is mounted on the host only until the init has pivoted into its
 * own copy of it, so the host's mount table is back to what it was while the command runs.
 */
final class ImageRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the user asked for on the command line. */
    record Request(String image, String name, boolean remove,
            ImageConfigToSpec.Overrides overrides, Platform platform, boolean insecure,
            String creds) {}

    private ImageRun() {}

    static int run(Path stateRoot, ImageStore store, Request r) throws IOException {
        ImageReference ref = ImageReference.parse(r.image());
        StoredImage image = findOrPull(store, ref, r);
        String id = r.name() != null ? r.name() : "jrunc-" + randomHex();
        RootfsBuilder rootfs = new RootfsBuilder(store);
        // tag::image-run[]
        RootfsPlan plan = rootfs.prepare(ref, id);
        Path bundle = rootfs.containerDir(id);
        try {
            mountOverlay(plan);
            writeConfig(bundle, image, r.overrides(), plan);
            var options = new Creator.Options(stateRoot, id,
                    bundle, null, null, 0);
            // Once created, the init holds its own copy of the
            // overlay mount: the host's can go before start.
            return Lifecycle.run(options, false,
                    () -> unmount(plan));
        } finally {
            unmount(plan);
            keepOrRemove(rootfs, id, r.remove());
        }
        // end::image-run[]
    }

    static void writeConfig(Path bundle, StoredImage image, ImageConfigToSpec.Overrides overrides,
            RootfsPlan plan) throws IOException {
        ObjectNode spec = ImageConfigToSpec.toSpec(image.configJson(), overrides, "merged",
                ImageFiles.of(plan));
        JSON.writerWithDefaultPrettyPrinter().writeValue(bundle.resolve("config.json").toFile(), spec);
    }

    /** --rm: the container's files go; otherwise they stay for the user (and delete). */
    static void keepOrRemove(RootfsBuilder rootfs, String id, boolean remove) throws IOException {
        if (remove) {
            rootfs.remove(id);
        } else {
            System.err.println("jrunc: container " + id + " keeps its files in "
                    + rootfs.containerDir(id) + " until: jrunc delete " + id);
        }
    }

    /** The stored image, unless it is missing or not of the --platform asked for. */
    static StoredImage findOrPull(ImageStore store, ImageReference ref, Request r) throws IOException {
        Optional<ImageStore.Entry> entry = store.find(ref);
        if (entry.isEmpty()) {
            System.err.println("jrunc: image " + ref + " is not in " + store.root() + ": pulling it");
            return pull(store, ref, r);
        }
        StoredImage stored = StoredImage.load(store, entry.get());
        Platform has = stored.platform();
        if (r.platform() == null || r.platform().accepts(has)) return stored;
        String mismatch = "image " + ref + " in " + store.root() + " is " + has + ", not " + r.platform();
        System.err.println("jrunc: " + mismatch + ": pulling " + r.platform());
        try {
            return pull(store, ref, r); // the name moves to it, as docker's tag does
        } catch (IOException | RuntimeException e) {
            throw new JruncException(mismatch + ", and pulling " + r.platform() + " failed: " + e.getMessage());
        }
    }

    private static StoredImage pull(ImageStore store, ImageReference ref, Request r) throws IOException {
        RegistryClient client = RegistryClient.forCommand(ref, r.insecure(), r.creds());
        return new Puller(store, Progress.forStderr(false), UnpackLimits.of(null, null, System.getenv()))
                .pull(client, ref, r.platform() != null ? r.platform() : Platform.host());
    }

    /** Nothing to mount for the copy fallback: merged is a plain directory then. */
    static void mountOverlay(RootfsPlan plan) {
        if (plan.copied()) return;
        OverlayMount.mount(plan.lowerDirs().stream().map(Path::toString).toList(),
                plan.upper().toString(), plan.work().toString(), plan.merged().toString());
    }

    /** Lazily, and idempotent: EINVAL says it is not (or no longer) mounted. */
    static void unmount(RootfsPlan plan) {
        if (plan.copied()) return;
        String merged = plan.merged().toString();
        if (LibC.C.umount2(merged, LibC.MNT_DETACH) == -1) {
            int errno = Native.getLastError();
            // EINVAL: not mounted any more, the first call already detached it.
            if (errno != LibC.EINVAL) throw new LibC.SyscallException("umount2", merged, errno, null);
        }
    }

    private static String randomHex() {
        byte[] bytes = new byte[6];
        ThreadLocalRandom.current().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
