import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the deck's AsciiDoc says, read without Asciidoctor so tests can hold its output against
 * it: the title and attributes, and every listing with the text it must show. A listing's text is
 * its lines, each {@code include::FILE[tag=NAME]} replaced by the tagged region of that file as
 * the file reads today.
 */
final class DeckSource {
    /** A listing block: where it is, and the code it must show. */
    record Listing(String where, String expectedCode) {}

    private static final Pattern ATTRIBUTE_ENTRY = Pattern.compile("^:([\\w-]+):\\s*(.*)$");
    private static final Pattern ATTRIBUTE_REFERENCE = Pattern.compile("\\{([\\w-]+)}");
    private static final Pattern INCLUDE = Pattern.compile("^include::([^\\[]+)\\[(.*)]$");
    private static final Pattern TAG = Pattern.compile("(?:^|,)\\s*tag=([\\w-]+)");
    private static final Pattern TAG_MARKER = Pattern.compile("\\b(?:tag|end)::[\\w-]*\\[]");

    final Map<String, String> attributes = new HashMap<>();
    final List<Listing> listings = new ArrayList<>();

    private DeckSource() {}

    static DeckSource read(Path document) {
        DeckSource deck = new DeckSource();
        deck.readFile(document);
        return deck;
    }

    private void readFile(Path file) {
        List<String> lines = readLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher attribute = ATTRIBUTE_ENTRY.matcher(line);
            Matcher include = INCLUDE.matcher(line);
            if (line.startsWith("= ") && !attributes.containsKey("doctitle")) {
                attributes.put("doctitle", line.substring(2).trim());
            } else if (attribute.matches()) {
                attributes.put(attribute.group(1), substitute(attribute.group(2)));
            } else if (include.matches() && include.group(1).endsWith(".adoc")) {
                readFile(file.resolveSibling(substitute(include.group(1))));
            } else if (line.startsWith("[source") && i + 1 < lines.size()
                    && lines.get(i + 1).equals("----")) {
                int start = i + 2;
                int end = lines.subList(start, lines.size()).indexOf("----") + start;
                if (end < start) throw new IllegalStateException(file + ":" + (i + 1)
                        + ": listing without its closing ----");
                listings.add(new Listing(file.getFileName() + ":" + (i + 1),
                        expand(file, lines.subList(start, end))));
                i = end;
            }
        }
    }

    /** The listing's own lines, with include directives replaced by the tagged regions. */
    private String expand(Path file, List<String> body) {
        StringBuilder code = new StringBuilder();
        for (String line : body) {
            Matcher include = INCLUDE.matcher(line);
            if (!include.matches()) {
                code.append(line).append('\n');
                continue;
            }
            Path source = file.resolveSibling(substitute(include.group(1))).normalize();
            Matcher tag = TAG.matcher(include.group(2));
            if (!tag.find()) throw new IllegalStateException(file + ": include of " + source
                    + " without tag=: the deck shows tagged regions only");
            code.append(taggedRegion(source, tag.group(1)));
        }
        return code.toString();
    }

    /** The lines between tag::NAME[] and end::NAME[], without any tag marker lines. */
    static String taggedRegion(Path source, String tag) {
        List<String> lines = readLines(source);
        int start = indexOfMarker(lines, "tag::" + tag + "[]", source);
        int end = indexOfMarker(lines, "end::" + tag + "[]", source);
        StringBuilder region = new StringBuilder();
        for (String line : lines.subList(start + 1, end)) {
            if (!TAG_MARKER.matcher(line).find()) region.append(line).append('\n');
        }
        return region.toString();
    }

    private static int indexOfMarker(List<String> lines, String marker, Path source) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(marker)) return i;
        }
        throw new IllegalStateException(source + " has no " + marker);
    }

    private String substitute(String text) {
        Matcher reference = ATTRIBUTE_REFERENCE.matcher(text);
        StringBuilder result = new StringBuilder();
        while (reference.find()) {
            String value = attributes.getOrDefault(reference.group(1), reference.group());
            reference.appendReplacement(result, Matcher.quoteReplacement(value));
        }
        return reference.appendTail(result).toString();
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("read " + file, e);
        }
    }
}
