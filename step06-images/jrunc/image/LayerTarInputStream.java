package jrunc.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * commons-compress's tar reader, keeping what a layer holds as bytes as bytes. In a tar, names,
 * link targets and PAX values (xattrs: {@code security.capability} is binary) are byte strings;
 * commons-compress decodes PAX values as UTF-8, which replaces invalid bytes by U+FFFD. So the
 * header fields are read as ISO-8859-1 (one char per byte, lossless), and the records of each
 * {@code x} header are copied aside while commons-compress parses them.
 */
final class LayerTarInputStream extends TarArchiveInputStream {
    private static final String XATTR = "SCHILY.xattr.";
    private final ByteArrayOutputStream paxRecords = new ByteArrayOutputStream();
    private TarArchiveEntry paxHeader;
    private Map<String, byte[]> pax = Map.of();

    LayerTarInputStream(InputStream in) {
        super(in, StandardCharsets.ISO_8859_1.name());
    }

    /** The next entry; its raw PAX records are then available from {@link #name} and friends. */
    TarArchiveEntry next() throws IOException {
        paxHeader = null;
        paxRecords.reset();
        TarArchiveEntry e = getNextEntry();
        pax = paxHeader == null ? Map.of() : parseRecords(paxRecords.toByteArray());
        return e;
    }

    /** The entry's name as the tar's bytes: PAX {@code path} wins over the header's field. */
    byte[] name(TarArchiveEntry e) {
        byte[] p = pax.get("path");
        return p != null ? p : e.getName().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A link's target as the tar's bytes: PAX {@code linkpath} wins over the header's field. */
    byte[] linkName(TarArchiveEntry e) {
        byte[] p = pax.get("linkpath");
        return p != null ? p : e.getLinkName().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The entry's extended attributes (SCHILY.xattr.NAME records), values byte for byte. */
    Map<String, byte[]> xattrs() {
        Map<String, byte[]> x = new LinkedHashMap<>();
        pax.forEach((k, v) -> {
            if (k.startsWith(XATTR)) x.put(k.substring(XATTR.length()), v);
        });
        return x;
    }

    // commons-compress reads a PAX header's records through these methods: keep a copy.
    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0 && inPaxHeader()) paxRecords.write(buf, off, n);
        return n;
    }

    private boolean inPaxHeader() {
        TarArchiveEntry current = getCurrentEntry();
        if (current == null || !current.isPaxHeader()) return false;
        if (current != paxHeader) { // a second x header for the same entry: the last one counts
            paxHeader = current;
            paxRecords.reset();
        }
        return true;
    }

    /** PAX records are {@code "LEN KEY=VALUE\n"}, LEN counting the whole record in bytes. */
    static Map<String, byte[]> parseRecords(byte[] data) throws IOException {
        Map<String, byte[]> records = new LinkedHashMap<>();
        int at = 0;
        while (at < data.length && data[at] != 0) {
            int space = indexOf(data, (byte) ' ', at);
            int length;
            try {
                length = Integer.parseInt(new String(data, at, space - at, StandardCharsets.US_ASCII));
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                throw new IOException("malformed PAX record at byte " + at + " of an extended header");
            }
            int end = at + length;
            int equals = indexOf(data, (byte) '=', space);
            if (length <= 0 || end > data.length || equals < 0 || equals >= end || data[end - 1] != '\n') {
                throw new IOException("malformed PAX record at byte " + at + " of an extended header");
            }
            String key = new String(data, space + 1, equals - space - 1, StandardCharsets.UTF_8);
            records.put(key, Arrays.copyOfRange(data, equals + 1, end - 1));
            at = end;
        }
        return records;
    }

    private static int indexOf(byte[] data, byte b, int from) {
        for (int i = from; i < data.length; i++) if (data[i] == b) return i;
        return -1;
    }
}
