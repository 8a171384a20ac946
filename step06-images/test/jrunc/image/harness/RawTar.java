package jrunc.image.harness;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * A tar written byte by byte: names and PAX values are bytes here, as in the format, so a
 * fixture can hold what real layers hold and Java's tar writers cannot produce (binary xattr
 * values such as {@code security.capability}, names in any encoding).
 */
public final class RawTar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public RawTar dir(String name, int mode, int uid, int gid, long mtime) {
        return entry(utf8(name), '5', mode, uid, gid, mtime, new byte[0], Map.of());
    }

    public RawTar file(byte[] name, byte[] content, int mode, long mtime, Map<String, byte[]> xattrs) {
        return entry(name, '0', mode, 0, 0, mtime, content, xattrs);
    }

    public RawTar file(String name, String content, int mode, long mtime) {
        return file(utf8(name), utf8(content), mode, mtime, Map.of());
    }

    private RawTar entry(byte[] name, char type, int mode, int uid, int gid, long mtime, byte[] content,
            Map<String, byte[]> xattrs) {
        if (!xattrs.isEmpty()) {
            ByteArrayOutputStream records = new ByteArrayOutputStream();
            xattrs.forEach((k, v) -> record(records, "SCHILY.xattr." + k, v));
            header(utf8("PaxHeaders/x"), 'x', 0644, 0, 0, mtime, records.size());
            data(records.toByteArray());
        }
        header(name, type, mode, uid, gid, mtime, content.length);
        data(content);
        return this;
    }

    /** "LEN KEY=VALUE\n", LEN counting itself. */
    private static void record(ByteArrayOutputStream records, String key, byte[] value) {
        int rest = 1 + utf8(key).length + 1 + value.length + 1;
        int length = rest + 1;
        while (String.valueOf(length).length() + rest != length) length++;
        records.writeBytes(utf8(length + " " + key + "="));
        records.writeBytes(value);
        records.write('\n');
    }

    private void header(byte[] name, char type, int mode, int uid, int gid, long mtime, long size) {
        byte[] h = new byte[512];
        if (name.length > 100) throw new IllegalArgumentException("name longer than 100 bytes");
        System.arraycopy(name, 0, h, 0, name.length);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = (byte) type;
        System.arraycopy(utf8("ustar\u000000"), 0, h, 257, 8);
        Arrays.fill(h, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : h) sum += b & 0xff;
        octal(h, 148, 7, sum);
        out.writeBytes(h);
    }

    private static void octal(byte[] h, int at, int width, long value) {
        String digits = String.format("%0" + (width - 1) + "o", value);
        System.arraycopy(utf8(digits), 0, h, at, width - 1); // then a NUL
    }

    private void data(byte[] content) {
        out.writeBytes(content);
        out.writeBytes(new byte[(512 - content.length % 512) % 512]);
    }

    public byte[] build() {
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }
}
