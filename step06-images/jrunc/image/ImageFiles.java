package jrunc.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Reads a file of an image before its root filesystem is mounted (for /etc/passwd when the
 * image config names a user), looking through the overlay layers top first as overlayfs would.
 */
public interface ImageFiles {
    Optional<String> read(String pathInImage) throws IOException;

    static ImageFiles none() {
        return path -> Optional.empty();
    }

    static ImageFiles of(RootfsPlan plan) {
        if (plan.copied()) return path -> readPlain(plan.merged(), path);
        return path -> {
            for (Path layer : plan.lowerDirs()) {
                Path file;
                try {
                    file = new SafeRoot(layer, "image").resolve(path, false);
                } catch (UnsafeLayerException notInThisLayer) {
                    continue; // a parent is missing (or a symlink) in this layer
                }
                BasicFileAttributes a = SafeRoot.lstat(file);
                if (a == null) continue;
                if (a.isOther()) return Optional.empty(); // an overlayfs whiteout: deleted above
                if (a.isRegularFile()) return Optional.of(Files.readString(file));
                return Optional.empty();
            }
            return Optional.empty();
        };
    }

    private static Optional<String> readPlain(Path root, String path) throws IOException {
        Path file;
        try {
            file = new SafeRoot(root, "image").resolve(path, false);
        } catch (UnsafeLayerException missing) {
            return Optional.empty();
        }
        BasicFileAttributes a = SafeRoot.lstat(file);
        return a != null && a.isRegularFile() ? Optional.of(Files.readString(file)) : Optional.empty();
    }
}
