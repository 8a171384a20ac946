package jrunc.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a tar entry's name into a path that is certainly under the root. This is the unpacker's
 * security boundary: a layer is data from the network, and its names are attacker-chosen.
 *
 * <p>Rules: no absolute names, no {@code ..} component, and no existing parent component may be
 * a symlink. The last rule is the O_NOFOLLOW-on-every-component check: a layer that first
 * creates {@code etc -> /etc} and then the entry {@code etc/passwd} would otherwise write the
 * host's file. (docker instead follows such links "inside" the root; refusing is simpler to
 * get right, and image builders record files under their real paths anyway.)
 *
 * <p>Between the check and the write nothing else can change the tree: we unpack into a fresh
 * directory that only this process writes to (0700 under the store), and within one layer the
 * tar stream is processed strictly in order, so each check sees every earlier entry's effect.
 */
final class SafeRoot {
    private final Path root;
    private final String layer;
    private final Set<Path> createdDirs = new LinkedHashSet<>();

    SafeRoot(Path root, String layer) {
        this.root = root;
        this.layer = layer;
    }

    Path root() {
        return root;
    }

    /** The layer's digest, for error messages. */
    @Override
    public String toString() {
        return layer;
    }

    /** The entry's path components, refusing absolute names and "..". */
    List<String> components(String entry) throws UnsafeLayerException {
        // tag::components[]
        if (entry.startsWith("/") && !isRoot(entry)) {
            throw new UnsafeLayerException(layer, entry,
                    "is an absolute path");
        }
        List<String> parts = new ArrayList<>();
        for (String part : entry.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                throw new UnsafeLayerException(layer, entry,
                        "climbs out of the root with '..'");
            }
            parts.add(part);
        }
        // end::components[]
        return parts;
    }

    /**
     * The directory that will hold the entry, checked one component at a time with lstat:
     * every existing component must be a real directory, never a symlink.
     */
    Path parentOf(String entry, List<String> parts, boolean create) throws IOException {
        Path dir = root;
        for (String part : parts.subList(0, parts.size() - 1)) {
            // tag::resolve-parent[]
            dir = dir.resolve(part);
            BasicFileAttributes a = lstat(dir); // never follows
            if (a == null && create) {
                makeImpliedDir(Files.createDirectory(dir));
                createdDirs.add(dir);
            } else if (a == null) {
                throw refuse(entry, "refers to missing " + dir);
            } else if (a.isSymbolicLink()) {
                throw refuse(entry, "would be written through the"
                        + " symlink " + root.relativize(dir) + " -> "
                        + Files.readSymbolicLink(dir));
            } else if (!a.isDirectory()) {
                throw refuse(entry, "is below " + dir + ", not a dir");
            }
            // end::resolve-parent[]
        }
        return dir;
    }

    /** The parent directories {@link #parentOf} had to create, in order. */
    Set<Path> createdDirs() {
        return createdDirs;
    }

    /** A directory the layer has no entry for: 0755 (as Docker makes them), never the umask's. */
    static void makeImpliedDir(Path dir) throws IOException {
        Files.setAttribute(dir, "unix:mode", 0755, LinkOption.NOFOLLOW_LINKS);
    }

    private UnsafeLayerException refuse(String entry, String why) {
        return new UnsafeLayerException(layer, entry, why.replace(root + "/", ""));
    }

    /** The entry's own path, after its parents passed {@link #parentOf}. */
    Path resolve(String entry, boolean createParents) throws IOException {
        List<String> parts = components(entry);
        if (parts.isEmpty()) return root;
        return parentOf(entry, parts, createParents).resolve(parts.get(parts.size() - 1));
    }

    /** Whether {@code path} (under the root) is a directory reached through directories only. */
    boolean isDirectory(Path path) throws IOException {
        Path p = root;
        for (Path part : root.relativize(path)) {
            if (part.toString().isEmpty()) break; // the root itself
            p = p.resolve(part.toString());
            BasicFileAttributes a = lstat(p);
            if (a == null || !a.isDirectory()) return false;
        }
        return true;
    }

    /** "/" or "./" (umoci writes the first): the root itself, harmless. */
    private static boolean isRoot(String entry) {
        return entry.chars().allMatch(c -> c == '/');
    }

    static BasicFileAttributes lstat(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
    }
}
