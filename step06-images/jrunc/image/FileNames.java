package jrunc.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * A tar holds file names as bytes; Linux stores them as bytes. Java's paths are strings,
 * encoded with the charset the JVM chose at start-up from the locale ({@code sun.jnu.encoding}):
 * under {@code LC_ALL=C} that is ASCII and every other name fails. jrunc's entry point restarts
 * the JVM under {@code C.UTF-8} for that reason (see {@code Jrunc.main}), so a name's bytes
 * survive the round trip when they are UTF-8, which image builders write. Other bytes are
 * refused with the name shown, rather than written as U+FFFD.
 */
final class FileNames {
    private FileNames() {}

    static String decode(byte[] name, String layer) throws IOException {
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(name)).toString();
            if (!s.chars().allMatch(c -> c < 0x80) && !jvmNamesAreUtf8()) {
                throw new IOException("layer " + layer + ": entry '" + s + "' is not ASCII and this JVM encodes file names as "
                        + System.getProperty("sun.jnu.encoding") + "; run jrunc under a UTF-8 locale (LC_ALL=C.UTF-8)");
            }
            return s;
        } catch (CharacterCodingException e) {
            throw new IOException("layer " + layer + ": entry " + HexFormat.of().formatHex(name)
                    + " (hex) is a file name that is not valid UTF-8; jrunc supports UTF-8 names only");
        }
    }

    static boolean jvmNamesAreUtf8() {
        return "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"));
    }
}
