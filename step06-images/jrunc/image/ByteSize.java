package jrunc.image;

import java.util.Locale;

/** Sizes as docker writes them on its command line: 512k, 64m, 1g, or bytes. */
public final class ByteSize {
    private ByteSize() {}

    public static long parse(String option, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 'b' -> 1;
            default -> 0;
        };
        String digits = unit == 0 ? t : t.substring(0, t.length() - 1);
        try {
            long value = Math.multiplyExact(Long.parseLong(digits), unit == 0 ? 1 : unit);
            if (value > 0) return value;
        } catch (NumberFormatException | ArithmeticException notASize) {
            // below
        }
        throw new IllegalArgumentException(option + " " + text + ": not a size (e.g. 512k, 64m, 1g)");
    }
}
