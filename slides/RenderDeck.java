///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.asciidoctor:asciidoctorj:3.0.1
//DEPS org.asciidoctor:asciidoctorj-revealjs:5.1.0
//JAVA_OPTIONS --enable-native-access=ALL-UNNAMED

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.asciidoctor.Asciidoctor;
import org.asciidoctor.Attributes;
import org.asciidoctor.Options;
import org.asciidoctor.SafeMode;
import org.asciidoctor.ast.Cursor;
import org.asciidoctor.log.LogHandler;
import org.asciidoctor.log.LogRecord;
import org.asciidoctor.log.Severity;

/**
 * Renders the workshop deck, slides/index.adoc, to slides/build/index.html: a reveal.js
 * presentation that opens from file:// and never touches the network.
 *
 * <p>In order: npm installs the browser side (reveal.js, highlight.js, Font Awesome) pinned by
 * package-lock.json into slides/node_modules; AsciidoctorJ renders the deck with the revealjs
 * backend, its asset attributes pointing at those copies; then the page is checked: any
 * Asciidoctor warning (a missing include tag, say) or any asset that is remote or missing
 * fails the render, so a deck that renders is a deck that can be presented.
 */
public class RenderDeck implements AutoCloseable {
    static final String USAGE = """
            Usage: ./jbang slides/RenderDeck.java [--help]

            Renders slides/index.adoc to slides/build/index.html, a reveal.js deck that
            works offline: open it in a browser (file://), F for full screen, S for notes.
            Also renders the tutorial, README.adoc, to slides/build/README.html.

            First installs reveal.js, highlight.js and Font Awesome, as pinned in
            slides/package-lock.json, into slides/node_modules with `npm ci` (needs npm;
            runs again only when package-lock.json changes).

            Fails on any Asciidoctor warning or error (an include tag that does not exist,
            a missing file) and if the page would load anything from the network.
            Exit status: 0 rendered, 1 render failed, 2 usage error.
            """;

    /** The npm packages the page loads, as folders under node_modules. */
    static final String REVEAL_JS = "reveal.js";
    static final String HIGHLIGHT_JS = "@highlightjs/cdn-assets";
    static final String FONT_AWESOME_CSS = "font-awesome/css/font-awesome.min.css";

    public static void main(String[] args) {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.print(USAGE);
            return;
        }
        if (args.length > 0) {
            System.err.print("slides: unknown argument " + args[0] + "\n\n" + USAGE);
            System.exit(2);
        }
        try {
            Path slides = findSlides(Path.of(""));
            installAssets(slides, System.out);
            System.out.println("slides: rendering index.adoc (AsciidoctorJ, revealjs backend)");
            try (RenderDeck renderer = new RenderDeck(slides)) {
                Path html = renderer.render(slides.resolve("index.adoc"), slides.resolve("build"));
                System.out.println("slides: wrote " + Path.of("").toAbsolutePath().relativize(html)
                        + ": no warnings, every asset local; open it in a browser");
                Path tutorial = renderer.renderTutorial(slides.resolveSibling("README.adoc"),
                        slides.resolve("build"));
                System.out.println("slides: wrote " + Path.of("").toAbsolutePath()
                        .relativize(tutorial) + ": the tutorial (README.adoc), no warnings");
            }
        } catch (DeckException e) {
            System.err.println("slides: " + e.getMessage());
            System.exit(1);
        }
    }

    /** The slides/ folder, found from the working directory or one above it. */
    static Path findSlides(Path start) {
        for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("slides/RenderDeck.java"))) {
                return dir.resolve("slides").normalize();
            }
        }
        throw new DeckException("no slides/RenderDeck.java in " + start.toAbsolutePath()
                + " or above it: run this from the workshop repository");
    }

    // --- 1. The browser side, from the npm registry -------------------------------------------

    /**
     * Runs {@code npm ci} in slides/ unless node_modules was installed from this very
     * package-lock.json: a stamp in node_modules holds the lock file's hash, and npm ci
     * deletes node_modules first, so a half-finished install never looks complete.
     */
    static void installAssets(Path slides, PrintStream out) {
        Path lock = slides.resolve("package-lock.json");
        Path stamp = slides.resolve("node_modules/.installed-from-lock");
        String lockHash = sha256(lock);
        if (Files.isRegularFile(stamp) && lockHash.equals(readString(stamp))) {
            out.println("slides: node_modules/ is installed from package-lock.json: nothing to do");
            return;
        }
        out.println("slides: npm ci in " + slides
                + " (reveal.js, highlight.js and Font Awesome, pinned in package-lock.json)");
        ProcessBuilder npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund",
                "--ignore-scripts").directory(slides.toFile()).redirectErrorStream(true);
        int status;
        try {
            Process process = npm.start();
            // Copy npm's report through our stream, so callers (and tests) can capture it.
            process.getInputStream().transferTo(out);
            status = process.waitFor();
        } catch (IOException e) {
            throw new DeckException("npm ci in " + slides + ": cannot start npm (" + e.getMessage()
                    + ")\n  hint: install Node.js with npm (Debian: apt-get install npm)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeckException("npm ci in " + slides + ": interrupted");
        }
        if (status != 0) {
            throw new DeckException("npm ci in " + slides + " failed with exit status " + status
                    + "\n  hint: it needs the npm registry; its output is above");
        }
        writeString(stamp, lockHash);
    }

    // --- 2. Rendering ---------------------------------------------------------------------------

    private final Path slides;
    private final Asciidoctor asciidoctor;

    /**
     * AsciidoctorJ also prints every message through java.util.logging; render() reports them
     * all in its exception, so that second copy is switched off (held here: JUL keeps loggers
     * only weakly).
     */
    private static final Logger ASCIIDOCTOR_JUL = Logger.getLogger("asciidoctor");

    /** Starts Asciidoctor (a JRuby runtime: seconds), to render any number of documents. */
    RenderDeck(Path slides) {
        this.slides = slides;
        ASCIIDOCTOR_JUL.setLevel(Level.OFF);
        this.asciidoctor = Asciidoctor.Factory.create();
    }

    /**
     * Renders document to outDir/NAME.html with the revealjs backend and checks the result.
     *
     * @throws DeckException listing every warning and error Asciidoctor logged, or every asset
     *     of the page that is remote or missing; then no page is left in outDir to present
     */
    Path render(Path document, Path outDir) {
        Options options = Options.builder()
                .backend("revealjs")
                .standalone(true)
                // The slides include the steps' code from ../stepNN-*/: SAFE would jail includes
                // to the document's folder. UNSAFE is fine for the repository's own files.
                .safe(SafeMode.UNSAFE)
                .toDir(outDir.toFile())
                .mkDirs(true)
                .attributes(assetAttributes(outDir))
                .build();
        Path html = convertCleanly(document, outDir, options);
        List<String> assetProblems = assetProblems(html);
        if (!assetProblems.isEmpty()) {
            deleteIfExists(html);
            throw new DeckException(html + " would not work offline:\n  "
                    + String.join("\n  ", assetProblems)
                    + "\n  hint: every asset must come from slides/node_modules or slides/ (see"
                    + " assetAttributes); of reveal.js's themes, some @import web fonts");
        }
        return html;
    }

    /**
     * Renders the tutorial (the repository's README.adoc and the steps' chapters it includes)
     * to outDir/README.html, with the same rule as the deck: any warning, such as an include
     * tag that no longer exists in a step's code, fails the render.
     */
    Path renderTutorial(Path readme, Path outDir) {
        Options options = Options.builder()
                .backend("html5")
                .standalone(true)
                .safe(SafeMode.UNSAFE)
                .toDir(outDir.toFile())
                .mkDirs(true)
                .build();
        return convertCleanly(readme, outDir, options);
    }

    /** Converts document into outDir; throws, leaving no page behind, on any warning. */
    private Path convertCleanly(Path document, Path outDir, Options options) {
        List<LogRecord> problems = new ArrayList<>();
        LogHandler collect = record -> {
            if (record.getSeverity().compareTo(Severity.WARN) >= 0) problems.add(record);
        };
        asciidoctor.registerLogHandler(collect);
        try {
            asciidoctor.convertFile(document.toFile(), options);
        } finally {
            asciidoctor.unregisterLogHandler(collect);
        }
        String name = document.getFileName().toString().replaceFirst("\\.adoc$", "") + ".html";
        Path html = outDir.resolve(name);
        if (!problems.isEmpty()) {
            deleteIfExists(html);
            Path repository = slides.getParent();
            StringBuilder message = new StringBuilder(document.getFileName() + ": Asciidoctor"
                    + " reported " + problems.size() + " problem(s); it must render cleanly:");
            for (LogRecord problem : problems) {
                message.append("\n  ").append(problem.getSeverity()).append(": ")
                        .append(where(problem.getCursor(), repository))
                        .append(problem.getMessage());
            }
            throw new DeckException(message.toString());
        }
        return html;
    }

    /**
     * Where the page finds reveal.js, highlight.js, Font Awesome and the deck's own deck.css:
     * relative paths from outDir, so the page opens from file:// wherever slides/ is. Set here,
     * not in the deck, because they depend on where the page is written; the document cannot
     * override them.
     */
    Attributes assetAttributes(Path outDir) {
        Path nodeModules = slides.resolve("node_modules");
        return Attributes.builder()
                .attribute("revealjsdir", relative(outDir, nodeModules.resolve(REVEAL_JS)))
                .attribute("highlightjsdir", relative(outDir, nodeModules.resolve(HIGHLIGHT_JS)))
                .attribute("iconfont-cdn", relative(outDir, nodeModules.resolve(FONT_AWESOME_CSS)))
                .attribute("customcss", relative(outDir, slides.resolve("deck.css")))
                .build();
    }

    private static String relative(Path from, Path to) {
        return from.toAbsolutePath().normalize().relativize(to.toAbsolutePath().normalize())
                .toString();
    }

    private static String where(Cursor cursor, Path repository) {
        if (cursor == null || cursor.getPath() == null) return "";
        Path file = cursor.getDir() == null ? Path.of(cursor.getPath())
                : Path.of(cursor.getDir(), cursor.getPath());
        String shown = file.startsWith(repository) ? repository.relativize(file).toString()
                : file.toString();
        return shown + ":" + cursor.getLineNumber() + ": ";
    }

    @Override
    public void close() {
        asciidoctor.shutdown();
    }

    // --- 3. Does the page work offline? ---------------------------------------------------------

    /** An element that makes the browser fetch something (not {@code <a href>}, a link). */
    private static final Pattern FETCHING_TAG = Pattern.compile(
            "<(script|link|img|source|video|audio|iframe|embed|section)\\b([^>]*)>",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern FETCHING_ATTRIBUTE = Pattern.compile(
            "\\b(src|href|data-background-(?:image|video|iframe))\\s*=\\s*(\"([^\"]*)\"|'([^']*)')",
            Pattern.CASE_INSENSITIVE);
    /** reveal.js plugins, loaded from Reveal.initialize({dependencies: [{src: '…'}]}). */
    private static final Pattern SCRIPT_DEPENDENCY = Pattern.compile("\\bsrc\\s*:\\s*'([^']*)'");
    /** What a stylesheet pulls in: url(…) and @import "…". */
    private static final Pattern CSS_REFERENCE = Pattern.compile(
            "url\\(\\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\"'\\s]*))\\s*\\)"
                    + "|@import\\s+(?:\"([^\"]*)\"|'([^']*)')");

    /**
     * Everything the page would load that is remote (http:, https:, protocol-relative) or
     * missing on disk, following the page's own stylesheets into their imports and fonts.
     * Empty when the page works offline.
     */
    static List<String> assetProblems(Path html) {
        List<String> problems = new ArrayList<>();
        String page = readString(html);
        Set<Path> stylesheets = new LinkedHashSet<>();
        Matcher tag = FETCHING_TAG.matcher(page);
        while (tag.find()) {
            Matcher attribute = FETCHING_ATTRIBUTE.matcher(tag.group(2));
            while (attribute.find()) {
                String url = attribute.group(3) != null ? attribute.group(3) : attribute.group(4);
                String where = "<" + tag.group(1) + " " + attribute.group(1) + "=\"" + url + "\">";
                Path local = checkReference(url, html, where, problems);
                if (local != null && local.toString().endsWith(".css")) stylesheets.add(local);
            }
        }
        Matcher dependency = SCRIPT_DEPENDENCY.matcher(page);
        while (dependency.find()) {
            checkReference(dependency.group(1), html, "reveal.js dependency '"
                    + dependency.group(1) + "'", problems);
        }
        Set<Path> seen = new LinkedHashSet<>();
        List<Path> queue = new ArrayList<>(stylesheets);
        while (!queue.isEmpty()) {
            Path css = queue.remove(0);
            if (!seen.add(css) || !Files.isRegularFile(css)) continue;
            Matcher reference = CSS_REFERENCE.matcher(readString(css));
            while (reference.find()) {
                String url = firstNonNull(reference);
                String where = "url(" + url + ") in " + html.getParent().relativize(css);
                Path local = checkReference(url, css, where, problems);
                if (local != null && local.toString().endsWith(".css")) queue.add(local);
            }
        }
        return problems;
    }

    /** The local file a reference names, or null if it names none; records what is wrong. */
    private static Path checkReference(String url, Path from, String where, List<String> problems) {
        String trimmed = url.trim();
        if (trimmed.matches("(?i)(https?:)?//.*")) {
            problems.add("remote: " + where);
            return null;
        }
        if (trimmed.isEmpty() || trimmed.startsWith("#")
                || trimmed.matches("(?i)(data|about|blob):.*")) {
            return null;
        }
        if (trimmed.matches("(?i)[a-z][a-z0-9+.-]*:.*")) {
            problems.add("not a local file: " + where);
            return null;
        }
        Path file = from.getParent().resolve(trimmed.replaceFirst("[?#].*", "")).normalize();
        if (!Files.exists(file)) problems.add("missing: " + where + " (no " + file + ")");
        return file;
    }

    private static String firstNonNull(Matcher matcher) {
        for (int group = 1; group <= matcher.groupCount(); group++) {
            if (matcher.group(group) != null) return matcher.group(group);
        }
        return "";
    }

    // --- Small helpers --------------------------------------------------------------------------

    private static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new DeckException("read " + file + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("delete " + file, e);
        }
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("read " + file, e);
        }
    }

    private static void writeString(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("write " + file, e);
        }
    }

    /** A render that must not be presented: the message says what to fix. */
    static final class DeckException extends RuntimeException {
        DeckException(String message) {
            super(message);
        }
    }
}
