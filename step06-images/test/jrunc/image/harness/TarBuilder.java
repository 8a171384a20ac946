package jrunc.image.harness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a layer tar entry by entry, including what a normal archiver would never write
 * (names with "..", absolute names, links out of the root): the hostile fixtures need them.
 */
public final class TarBuilder {
    public static final FileTime MTIME = FileTime.from(Instant.parse("2024-05-01T12:00:00Z"));
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes, StandardCharsets.UTF_8.name());

    public TarBuilder() {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    public TarBuilder dir(String name, int mode) {
        return add(entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, mode), null);
    }

    public TarBuilder file(String name, String content, int mode) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), mode, 0, 0, Map.of());
    }

    public TarBuilder file(String name, byte[] content, int mode, int uid, int gid, Map<String, String> xattrs) {
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, mode);
        e.setSize(content.length);
        e.setIds(uid, gid);
        xattrs.forEach((k, v) -> e.addPaxHeader("SCHILY.xattr." + k, v));
        return add(e, content);
    }

    public TarBuilder symlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK, 0777);
        e.setLinkName(target);
        return add(e, null);
    }

    public TarBuilder hardlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_LINK, 0644);
        e.setLinkName(target);
        return add(e, null);
    }

    public TarBuilder charDevice(String name, int major, int minor) {
        TarArchiveEntry e = entry(name, TarConstants.LF_CHR, 0666);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        return add(e, null);
    }

    public TarBuilder fifo(String name) {
        return add(entry(name, TarConstants.LF_FIFO, 0600), null);
    }

    /** Every file below {@code dir} (a real directory tree, e.g. the workshop's rootfs). */
    public TarBuilder tree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                if (p.equals(dir)) continue;
                String name = dir.relativize(p).toString();
                int mode = (int) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
                if (Files.isSymbolicLink(p)) symlink(name, Files.readSymbolicLink(p).toString());
                else if (Files.isDirectory(p)) dir(name, mode);
                else if (Files.isRegularFile(p)) file(name, Files.readAllBytes(p), mode, 0, 0, Map.of());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public byte[] build() {
        try {
            tar.finish();
            tar.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static TarArchiveEntry entry(String name, byte type, int mode) {
        // preserveAbsolutePath=true: keep "/" and ".." exactly as given.
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        int fileType = switch (type) {
            case TarConstants.LF_DIR -> 0040000;
            case TarConstants.LF_SYMLINK -> 0120000;
            case TarConstants.LF_CHR -> 0020000;
            case TarConstants.LF_FIFO -> 0010000;
            default -> 0100000;
        };
        e.setMode(fileType | mode);
        e.setModTime(MTIME);
        return e;
    }

    private TarBuilder add(TarArchiveEntry e, byte[] content) {
        try {
            tar.putArchiveEntry(e);
            if (content != null) tar.write(content);
            tar.closeArchiveEntry();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return this;
    }
}
