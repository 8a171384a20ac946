package jrunc.image;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Applies one image layer (a tar, maybe gzip or zstd compressed) to a directory.
 *
 * <p>Two targets, two ways to express deletions:
 * <ul>
 * <li>{@link Mode#OVERLAY_LAYER}: an empty directory that becomes one overlayfs lower dir. A
 *   whiteout {@code .wh.NAME} becomes overlayfs's whiteout (a 0/0 char device NAME), an opaque
 *   marker {@code .wh..wh..opq} the xattr {@code trusted.overlay.opaque=y} on its directory;
 *   the kernel hides the lower layers' entries at mount time.</li>
 * <li>{@link Mode#FLATTEN}: a directory already holding the lower layers (the copy fallback).
 *   A whiteout deletes the lower entry; an opaque marker deletes the directory's lower entries,
 *   but never what this same layer put there.</li>
 * </ul>
 */
public final class LayerUnpacker {
    public enum Mode { OVERLAY_LAYER, FLATTEN }

    static final String WHITEOUT = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";

    private final Mode mode;
    /** Counts the unpacked bytes against a pull's limits; null: no limit. */
    private final UnpackLimits.Budget budget;
    private final boolean root = "root".equals(System.getProperty("user.name"));

    /** Without size limits: for layers a pull has already checked, or that import made. */
    public LayerUnpacker(Mode mode) {
        this(mode, null);
    }

    public LayerUnpacker(Mode mode, UnpackLimits.Budget budget) {
        this.mode = mode;
        this.budget = budget;
    }

    public static InputStream decompress(InputStream raw, MediaTypes.Compression compression) throws IOException {
        InputStream in = new BufferedInputStream(raw, 64 * 1024);
        return switch (compression) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 64 * 1024); // also reads concatenated members
            case ZSTD -> new ZstdInputStream(in);
        };
    }

    /**
     * Unpacks the layer blob {@code blob} into {@code target}, a directory that does not exist
     * yet: first into a temp dir, renamed only on success, so a refused layer leaves nothing.
     */
    public void unpackNew(Path blob, Descriptor layer, Digest diffId, Path target, Path tempDir) throws IOException {
        Path work = Files.createTempDirectory(tempDir, "layer-");
        try (InputStream in = Files.newInputStream(blob)) {
            List<String> implied = apply(in, layer, diffId, work);
            // Written first: a layer directory never exists without its list.
            if (mode == Mode.OVERLAY_LAYER) ImpliedDirs.write(target, implied);
            Files.move(work, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            FileTree.deleteRecursively(work);
        }
    }

    /**
     * Applies the compressed layer stream {@code in} to {@code dir}, checking its diff_id.
     * Returns the directories the layer implied (see {@link #applyTar}).
     */
    public List<String> apply(InputStream in, Descriptor layer, Digest diffId, Path dir) throws IOException {
        InputStream tar = decompress(in, MediaTypes.compressionOf(layer.mediaType()));
        if (budget != null) tar = budget.count(layer.digest(), tar);
        // The config names each layer by the digest of its *uncompressed* tar (diff_id).
        VerifyingInputStream verified = diffId == null ? null
                : new VerifyingInputStream(tar, diffId, -1, Long.MAX_VALUE);
        List<String> implied = applyTar(verified != null ? verified : tar, layer.digest().toString(), dir);
        if (verified != null) {
            byte[] rest = new byte[8192];
            while (verified.read(rest) >= 0) { } // tar padding; end of stream checks the digest
        }
        return implied;
    }

    /**
     * The heart of it: one entry after the other, each checked by {@link SafeRoot}. Returns the
     * directories this layer implied: parents of its entries that it has no entry for (and
     * "" for the root without a "./" entry). They are made 0755, whatever the umask; in an
     * overlay layer they would hide the lower layer's directory, so {@link ImpliedDirs} gives
     * them its attributes when a container's root is assembled. In a flattened tree the lower
     * directory is simply kept, with its times.
     */
    public List<String> applyTar(InputStream tarStream, String layerName, Path dir) throws IOException {
        SafeRoot safe = new SafeRoot(dir, layerName);
        Set<Path> fromThisLayer = new HashSet<>();
        Set<Path> created = new HashSet<>(); // this layer's entries
        Set<Path> explicitDirs = new HashSet<>();
        Deque<Map.Entry<Path, FileTime>> dirTimes = new ArrayDeque<>();
        Map<Path, FileTime> lowerTimes = new LinkedHashMap<>(); // lower dirs this layer writes into
        if (mode == Mode.OVERLAY_LAYER) SafeRoot.makeImpliedDir(dir); // not the temp dir's 0700
        // Tar reads 512-byte records: buffer them, or each becomes a call down the whole stack.
        LayerTarInputStream tar = new LayerTarInputStream(new BufferedInputStream(tarStream, 256 * 1024));
        for (TarArchiveEntry e; (e = tar.next()) != null; ) {
            String name = FileNames.decode(tar.name(e), layerName);
            var parts = safe.components(name);
            if (parts.isEmpty()) { // "./": the root itself, its metadata only
                if (e.isDirectory()) {
                    explicitDirs.add(dir);
                    setMetadata(e, tar, dir, dirTimes);
                }
                continue;
            }
            if (mode == Mode.FLATTEN) rememberLowerTimes(dir, parts, fromThisLayer, lowerTimes);
            Path parent = safe.parentOf(name, parts, true);
            String base = parts.get(parts.size() - 1);
            for (Path p = parent; p.startsWith(dir) && !p.equals(dir); p = p.getParent()) fromThisLayer.add(p);

            if (base.equals(OPAQUE)) {
                opaque(parent, fromThisLayer);
                continue;
            }
            if (base.startsWith(WHITEOUT)) {
                whiteout(safe, name, parent, base.substring(WHITEOUT.length()), fromThisLayer);
                continue;
            }
            Path target = parent.resolve(base);
            fromThisLayer.add(target);
            created.add(target);
            if (e.isDirectory()) explicitDirs.add(target);
            create(safe, e, tar, name, target, layerName);
            setMetadata(e, tar, target, dirTimes);
        }
        // Directory times last: creating their children changed them.
        // A later entry may have replaced a directory above by a symlink: never set times through one.
        for (var t : lowerTimes.entrySet()) {
            if (!created.contains(t.getKey()) && safe.isDirectory(t.getKey())) setTimes(t.getKey(), t.getValue());
        }
        for (var t : dirTimes) {
            if (safe.isDirectory(t.getKey())) setTimes(t.getKey(), t.getValue());
        }
        if (mode == Mode.FLATTEN) return List.of();
        List<String> implied = new ArrayList<>();
        if (!explicitDirs.contains(dir)) implied.add("");
        for (Path p : safe.createdDirs()) {
            if (!explicitDirs.contains(p) && safe.isDirectory(p)) implied.add(dir.relativize(p).toString());
        }
        return implied;
    }

    /** The times of the lower layers' directories above an entry: creating it changes them. */
    private static void rememberLowerTimes(Path dir, List<String> parts, Set<Path> fromThisLayer,
            Map<Path, FileTime> lowerTimes) throws IOException {
        Path p = dir;
        for (int i = 0; i < parts.size(); i++) {
            if (!fromThisLayer.contains(p) && !lowerTimes.containsKey(p)) {
                BasicFileAttributes a = SafeRoot.lstat(p);
                if (a == null || !a.isDirectory()) return; // created by this entry, or refused later
                lowerTimes.put(p, a.lastModifiedTime());
            }
            if (i < parts.size() - 1) p = p.resolve(parts.get(i));
        }
    }

    private void whiteout(SafeRoot safe, String entry, Path parent, String hidden, Set<Path> fromThisLayer) throws IOException {
        if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
            throw new UnsafeLayerException(safe.toString(), entry, "is a whiteout of no valid name");
        }
        // tag::whiteout[]
        Path target = parent.resolve(hidden);
        if (fromThisLayer.contains(target)) {
            return; // a whiteout hides lower layers only
        }
        FileTree.deleteRecursively(target);
        if (mode == Mode.OVERLAY_LAYER) {
            // overlayfs's own whiteout: a 0/0 character device
            int rc = UnpackLibC.INSTANCE.mknod(target.toString(),
                    UnpackLibC.S_IFCHR, 0);
            UnpackLibC.check(rc, "mknod (whiteout)", target);
        }
        // end::whiteout[]
    }

    private void opaque(Path dir, Set<Path> fromThisLayer) throws IOException {
        if (mode == Mode.OVERLAY_LAYER) {
            setXattr(dir, "trusted.overlay.opaque", "y".getBytes(StandardCharsets.UTF_8));
            return;
        }
        // Delete what the lower layers put under dir; keep this layer's own entries.
        // tag::opaque[]
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d,
                    BasicFileAttributes a) throws IOException {
                if (d.equals(dir) || fromThisLayer.contains(d)) {
                    return FileVisitResult.CONTINUE; // ours: look in
                }
                FileTree.deleteRecursively(d); // a lower layer's
                return FileVisitResult.SKIP_SUBTREE;
            }

            @Override
            public FileVisitResult visitFile(Path f,
                    BasicFileAttributes a) throws IOException {
                if (!fromThisLayer.contains(f)) Files.delete(f);
                return FileVisitResult.CONTINUE;
            }
        });
        // end::opaque[]
    }

    private void create(SafeRoot safe, TarArchiveEntry e, LayerTarInputStream content, String name, Path target,
            String layerName) throws IOException {
        BasicFileAttributes existing = SafeRoot.lstat(target);
        if (e.isDirectory()) {
            if (existing != null && existing.isDirectory()) return;
            FileTree.deleteRecursively(target);
            Files.createDirectory(target);
            return;
        }
        // Never open or link over an existing entry: it may be a symlink pointing anywhere.
        FileTree.deleteRecursively(target);
        if (e.isSymbolicLink()) {
            // stored, never followed
            Files.createSymbolicLink(target, Path.of(FileNames.decode(content.linkName(e), layerName)));
        } else if (e.isLink()) {
            hardlink(safe, name, FileNames.decode(content.linkName(e), layerName), target);
        } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
            int type = e.isCharacterDevice() ? UnpackLibC.S_IFCHR : e.isBlockDevice() ? UnpackLibC.S_IFBLK : UnpackLibC.S_IFIFO;
            long dev = e.isFIFO() ? 0 : UnpackLibC.INSTANCE.gnu_dev_makedev(e.getDevMajor(), e.getDevMinor());
            UnpackLibC.check(UnpackLibC.INSTANCE.mknod(target.toString(), type | (e.getMode() & 07777), dev), "mknod", target);
        } else if (e.isFile()) {
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                byte[] buffer = new byte[256 * 1024];
                for (int n; (n = content.read(buffer)) >= 0; ) out.write(buffer, 0, n);
            }
        } else {
            throw new IOException("layer " + safe + ": entry '" + name + "' has unsupported tar type " + (char) e.getLinkFlag());
        }
    }

    /** A hardlink's target is a name in the same archive: the same rules as for entry names. */
    private void hardlink(SafeRoot safe, String name, String linkName, Path target) throws IOException {
        Path existing;
        try {
            existing = safe.resolve(linkName, false);
        } catch (UnsafeLayerException e) {
            throw new UnsafeLayerException(safe.toString(), name, "is a hardlink to '" + linkName
                    + "', outside the root or through a symlink");
        }
        BasicFileAttributes a = SafeRoot.lstat(existing);
        if (a == null) {
            throw new UnsafeLayerException(safe.toString(), name, "is a hardlink to '" + linkName + "', which this layer does not contain");
        }
        if (a.isDirectory()) {
            throw new UnsafeLayerException(safe.toString(), name, "is a hardlink to the directory '" + linkName + "'");
        }
        Files.createLink(target, existing); // link(2) does not follow a symlink target on Linux
    }

    private void setMetadata(TarArchiveEntry e, LayerTarInputStream tar, Path target,
            Deque<Map.Entry<Path, FileTime>> dirTimes) throws IOException {
        if (e.isLink()) return; // a hardlink shares its target's inode, owner, mode and times
        boolean link = e.isSymbolicLink();
        if (root) {
            // Owner before mode: chown clears the set-user-ID bit.
            Files.setAttribute(target, "unix:uid", (int) e.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(target, "unix:gid", (int) e.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
        }
        if (!link) Files.setAttribute(target, "unix:mode", e.getMode() & 07777);
        // tag::xattr-bytes[]
        for (var x : tar.xattrs().entrySet()) {
            // A layer must not forge overlayfs's own markers (whiteouts, redirects, opaque).
            if (x.getKey().startsWith("trusted.overlay.")) continue;
            setXattr(target, x.getKey(), x.getValue()); // bytes, as in the tar
        }
        // end::xattr-bytes[]
        FileTime mtime = e.getLastModifiedTime();
        if (e.isDirectory()) dirTimes.push(Map.entry(target, mtime));
        else setTimes(target, mtime);
    }

    /** Access and modification time, as the tar says; the entry is never opened. */
    private static void setTimes(Path p, FileTime time) throws IOException {
        java.time.Instant i = time.toInstant();
        long[] times = {i.getEpochSecond(), i.getNano(), i.getEpochSecond(), i.getNano()};
        UnpackLibC.check(UnpackLibC.INSTANCE.utimensat(UnpackLibC.AT_FDCWD, p.toString(), times,
                UnpackLibC.AT_SYMLINK_NOFOLLOW), "utimensat", p);
    }

    private static void setXattr(Path p, String name, byte[] value) throws IOException {
        UnpackLibC.check(UnpackLibC.INSTANCE.lsetxattr(p.toString(), name, value, value.length, 0), "lsetxattr " + name, p);
    }
}
