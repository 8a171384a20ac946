package jrunc.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Directories a layer implies: a layer that adds {@code tmp/x} without an entry for {@code tmp}
 * still needs a {@code tmp} in its own directory, and in an overlay that directory's mode,
 * owner and times hide the lower layer's ({@code /tmp} 1777 would become 0755). A layer
 * directory is shared by every image that has the layer, on whatever layers below, so it
 * cannot hold the right attributes itself. Its implied directories are listed beside it
 * ({@code HEX.implied}); each container gets them in its upper directory with the attributes
 * of the directory below, as if overlayfs had copied it up, which is what a tree unpacked
 * layer by layer (umoci) shows. The root is always one of them: the upper directory's own
 * mode would otherwise be the merged "/".
 */
public final class ImpliedDirs {
    /** A directory no layer below gives attributes to: 0755 root, as Docker creates them. */
    private static final Attributes DEFAULT = new Attributes(0755, 0, 0, FileTime.fromMillis(0));

    private record Attributes(int mode, int uid, int gid, FileTime mtime) {}

    private record Layer(Path dir, Set<String> implied) {}

    private ImpliedDirs() {}

    static Path listOf(Path layerDir) {
        return layerDir.resolveSibling(layerDir.getFileName() + ".implied");
    }

    /** Names separated by NUL: the one byte a file name cannot hold. */
    static void write(Path layerDir, List<String> implied) throws IOException {
        Files.write(listOf(layerDir), String.join("\0", implied).getBytes(StandardCharsets.UTF_8));
    }

    private static Set<String> read(Path layerDir) throws IOException {
        Path list = listOf(layerDir);
        Set<String> names = new TreeSet<>();
        // Unpacked before lists existed: only its root (then never from ./) counts as implied.
        if (!Files.exists(list)) return Set.of("");
        for (String n : Files.readString(list, StandardCharsets.UTF_8).split("\0")) names.add(n);
        return names;
    }

    /** Creates in {@code upper} every implied directory that is the topmost one at its path. */
    public static void copyUp(List<Path> lowerTopFirst, Path upper) throws IOException {
        List<Layer> layers = new ArrayList<>();
        Set<String> paths = new TreeSet<>(Comparator.comparingInt((String p) -> p.split("/").length)
                .thenComparing(Comparator.naturalOrder()));
        paths.add("");
        for (Path dir : lowerTopFirst) {
            Layer l = new Layer(dir, read(dir));
            layers.add(l);
            paths.addAll(l.implied());
        }
        Map<Path, FileTime> times = new LinkedHashMap<>();
        // tag::copy-up[]
        for (String p : paths) {
            Visible v = visible(layers, p);
            if (v == null || !v.implied() && !p.isEmpty()) continue;
            // Parents first (shallow paths come first), each with the attributes the merged view has.
            Path target = upper;
            String prefix = "";
            for (String part : p.isEmpty() ? new String[0] : p.split("/")) {
                prefix = prefix.isEmpty() ? part : prefix + "/" + part;
                target = target.resolve(part);
                if (SafeRoot.lstat(target) != null) continue;
                Visible parent = visible(layers, prefix);
                Files.createDirectory(target);
                apply(target, parent == null ? DEFAULT : parent.attributes(), times);
            }
            if (p.isEmpty()) apply(upper, v.attributes(), times);
        }
        // end::copy-up[]
        // Deepest first: creating a directory changed its parent's time.
        List<Path> dirs = new ArrayList<>(times.keySet());
        for (int i = dirs.size() - 1; i >= 0; i--) {
            Files.setLastModifiedTime(dirs.get(i), times.get(dirs.get(i)));
        }
    }

    private static void apply(Path dir, Attributes a, Map<Path, FileTime> times) throws IOException {
        // Owner before mode: chown clears the set-group-ID bit.
        Files.setAttribute(dir, "unix:uid", a.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:gid", a.gid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(dir, "unix:mode", a.mode(), LinkOption.NOFOLLOW_LINKS);
        times.put(dir, a.mtime());
    }

    /** What the merged view shows at {@code path}: whether its topmost directory is implied, and its attributes. */
    private record Visible(boolean implied, Attributes attributes) {}

    private enum Found { DIR, ABSENT, BLOCKED }

    /**
     * Looks through the layers top first as overlayfs does: the first layer holding the path
     * decides, unless its directory is implied; then the layers below give the attributes.
     * A whiteout, a file, or an opaque directory above stops the search. Null: not visible.
     */
    private static Visible visible(List<Layer> layers, String path) throws IOException {
        boolean implied = false;
        for (Layer layer : layers) {
            Path p = layer.dir();
            Found found = Found.DIR;
            boolean opaque = false;
            for (String part : path.isEmpty() ? new String[0] : path.split("/")) {
                opaque |= isOpaque(p);
                p = p.resolve(part);
                BasicFileAttributes a = SafeRoot.lstat(p);
                if (a == null) {
                    found = Found.ABSENT;
                    break;
                }
                if (!a.isDirectory()) {
                    found = Found.BLOCKED;
                    break;
                }
            }
            if (found == Found.DIR) {
                if (!layer.implied().contains(path)) return new Visible(implied, attributesOf(p));
                implied = true;
                if (opaque || isOpaque(p)) break; // nothing below shows through
            }
            if (found == Found.BLOCKED || found == Found.ABSENT && opaque) break;
        }
        return implied ? new Visible(true, DEFAULT) : null;
    }

    private static Attributes attributesOf(Path dir) throws IOException {
        BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        int mode = (int) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        int uid = (int) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int gid = (int) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        return new Attributes(mode, uid, gid, a.lastModifiedTime());
    }

    private static boolean isOpaque(Path dir) {
        byte[] value = new byte[1];
        return UnpackLibC.INSTANCE.lgetxattr(dir.toString(), "trusted.overlay.opaque", value, 1) == 1
                && value[0] == 'y';
    }
}
