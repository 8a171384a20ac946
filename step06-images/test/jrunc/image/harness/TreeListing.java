package jrunc.image.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * One line per file of a tree: type, mode, owner, size, content hash, link target, device
 * numbers, user xattrs and (for non-directories) mtime. Two trees with equal listings hold
 * the same files, byte for byte. {@code main} prints it, to list a tree inside a mount namespace.
 */
public final class TreeListing {
    private TreeListing() {}

    public static void main(String[] args) {
        list(Path.of(args[0])).forEach((k, v) -> System.out.println(k + " " + v));
    }

    public static Map<String, String> list(Path root) {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(root)) continue;
                out.put(root.relativize(p).toString(), describe(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static String describe(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,rdev,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        StringBuilder s = new StringBuilder(String.format("mode=%o uid=%s gid=%s", mode, a.get("uid"), a.get("gid")));
        int type = mode & 0170000;
        if (type == 0100000) s.append(" size=").append(a.get("size")).append(" sha256=").append(sha256(p));
        if (type == 0120000) s.append(" -> ").append(Files.readSymbolicLink(p));
        if (type == 0020000 || type == 0060000) s.append(" rdev=").append(a.get("rdev"));
        if (type != 0040000) s.append(" mtime=").append(a.get("lastModifiedTime"));
        if (type == 0100000 || type == 0040000) s.append(xattrs(p));
        return s.toString();
    }

    private static String xattrs(Path p) throws IOException {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        StringBuilder s = new StringBuilder();
        for (String name : new TreeSet<>(view.list())) {
            ByteBuffer value = ByteBuffer.allocate(view.size(name));
            view.read(name, value);
            s.append(" user.").append(name).append('=').append(new String(value.array(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return s.toString();
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[65536];
            for (int n; (n = in.read(buffer)) >= 0; ) md.update(buffer, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
