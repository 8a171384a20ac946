import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deck as the audience sees it: rendered by RenderDeck's own code into slides/build, then
 * opened from file:// in headless Chromium, which cannot reach the network. Screenshots are
 * kept in slides/target/screenshots for a person to look at.
 */
class DeckTest {
    static Path slides;
    static RenderDeck renderer;
    /** The rendered deck, or why it did not render; rendered once, by the first test needing it. */
    static Path deck;
    static RuntimeException renderFailure;

    @BeforeAll
    static void startAsciidoctor() {
        slides = RenderDeck.findSlides(Path.of(""));
        RenderDeck.installAssets(slides, System.out);
        renderer = new RenderDeck(slides);
    }

    @AfterAll
    static void stopAsciidoctor() {
        if (renderer != null) renderer.close();
    }

    /** slides/build/index.html, exactly as {@code ./jbang slides/RenderDeck.java} writes it. */
    static synchronized Path deck() {
        if (deck == null && renderFailure == null) {
            try {
                deck = renderer.render(slides.resolve("index.adoc"), slides.resolve("build"));
            } catch (RuntimeException e) {
                renderFailure = e;
            }
        }
        if (renderFailure != null) throw renderFailure;
        return deck;
    }

    // --- Rendering --------------------------------------------------------------------------

    @Test
    void theDeckRendersWithoutAnyAsciidoctorWarning() {
        Path html = assertDoesNotThrow(DeckTest::deck);
        assertTrue(Files.isRegularFile(html), html + " written");
    }

    @Test
    void anIncludeOfATagThatDoesNotExistFailsTheRender(@TempDir Path scratch) throws IOException {
        Path runJava = slides.resolveSibling("step01-chroot/Run.java");
        Path good = writeDeck(scratch, "good.adoc", javaListing(runJava, "chroot"));
        Path broken = writeDeck(scratch, "broken.adoc", javaListing(runJava, "no-such-tag"));

        assertDoesNotThrow(() -> renderer.render(good, scratch.resolve("out")),
                "the same deck with a tag that exists renders");
        var failure = assertThrows(RenderDeck.DeckException.class,
                () -> renderer.render(broken, scratch.resolve("out")));
        assertTrue(failure.getMessage().contains("no-such-tag")
                        && failure.getMessage().contains("broken.adoc"),
                "names the tag and the deck: " + failure.getMessage());
    }

    @Test
    void aRemoteAssetFailsTheRender(@TempDir Path scratch) throws IOException {
        Path deck = writeDeck(scratch, "remote.adoc", "image::https://example.org/logo.png[]");

        var failure = assertThrows(RenderDeck.DeckException.class,
                () -> renderer.render(deck, scratch.resolve("out")));
        assertTrue(failure.getMessage().contains("https://example.org/logo.png"),
                "names the URL: " + failure.getMessage());
    }

    @Test
    void everyScriptAndStylesheetIsALocalFile() throws IOException {
        Path html = deck();
        Document page = Jsoup.parse(html.toFile());
        List<Element> assets = page.select("script[src], link[href], img[src]");
        assertFalse(assets.isEmpty(), "the page loads reveal.js, its theme and more");
        assertAll(assets.stream().map(asset -> (Executable) () -> {
            String url = asset.hasAttr("src") ? asset.attr("src") : asset.attr("href");
            assertFalse(url.matches("(?i)^(https?:)?//.*"), "remote: " + asset);
            assertTrue(Files.isRegularFile(html.resolveSibling(url).normalize()),
                    "no file for " + asset);
        }));
    }

    // --- In the browser ---------------------------------------------------------------------

    static Document domAfterScripts;

    /**
     * The DOM after reveal.js and highlight.js ran. viewDistance is a reveal.js setting that a
     * query parameter may override: 99 lays out every slide, not just the few around the
     * current one, so each can be checked.
     */
    static synchronized Document dom() {
        if (domAfterScripts == null) {
            URI page = URI.create(deck().toUri() + "?viewDistance=99");
            domAfterScripts = Jsoup.parse(HeadlessChromium.dumpDom(page), page.toString());
        }
        return domAfterScripts;
    }

    @Test
    void revealJsStartsOnTheTitleAndEverySlideFitsOnScreen() {
        DeckSource source = DeckSource.read(slides.resolve("index.adoc"));
        Document dom = dom();

        Element reveal = dom.selectFirst("div.reveal");
        assertTrue(reveal != null && reveal.hasClass("ready"),
                "reveal.js marks .reveal ready once initialised: " + reveal);
        String width = source.attributes.getOrDefault("revealjs_width", "960");
        assertTrue(dom.selectFirst("div.slides").attr("style").contains("width: " + width + "px"),
                "reveal.js sized the slides to the deck's " + width + " px");
        Element current = dom.selectFirst("div.slides > section.present");
        assertTrue(current != null, "reveal.js shows a current slide");
        assertEquals(source.attributes.get("doctitle"), current.selectFirst("h1").text(),
                "the first slide shows the deck's title");

        List<String> overflowing = new ArrayList<>();
        for (Element slide : dom.select("div.slides section:not(.stack)")) {
            Matcher top = Pattern.compile("top: ([\\d.]+)px").matcher(slide.attr("style"));
            // Centred slides get top = (slide height - content height) / 2, at least 0.
            if (!top.find() || Double.parseDouble(top.group(1)) <= 0) {
                overflowing.add(slide.id() + " (" + slide.attr("style") + ")");
            }
        }
        assertTrue(overflowing.isEmpty(), "slides taller than the screen: " + overflowing);
    }

    @Test
    void everyListingShowsItsSourceSyntaxHighlighted() {
        List<DeckSource.Listing> expected =
                DeckSource.read(slides.resolve("index.adoc")).listings;
        List<Element> shown = dom().select("div.slides section pre code");

        assertEquals(expected.size(), shown.size(),
                "listings in the deck's source vs code blocks on the slides");
        assertAll(IntStream.range(0, expected.size()).mapToObj(i ->
                (Executable) () -> {
                    DeckSource.Listing listing = expected.get(i);
                    Element code = shown.get(i);
                    assertEquals(words(listing.expectedCode()), words(code.wholeText()),
                            listing.where() + ": the slide shows the code, as the file has it");
                    assertFalse(code.select("span[class^=hljs-]").isEmpty(),
                            listing.where() + ": highlight.js coloured it: " + code);
                }));
    }

    @Test
    void theTitleSlideIsStyledByTheTheme() throws IOException {
        Stylesheets css = Stylesheets.of(deck());
        BufferedImage title = screenshot("#/0", "title.png");

        int background = css.themeColour("--r-background-color");
        int heading = css.themeColour("--r-heading-color");
        assertTrue(pixelsNear(title, background, 0) > title.getWidth() * title.getHeight() / 2,
                "the theme's background " + hex(background) + " fills the title slide");
        assertTrue(pixelsNear(title, heading, 24) > 5_000,
                "the title is drawn in the theme's heading colour " + hex(heading));
        assertTrue(distinctColours(title) >= 16, "anti-aliased text, not a flat page");
    }

    @Test
    void aCodeSlideShowsHighlightedCode() throws IOException {
        // The Java slide with the most keywords, so their colour must show in the picture.
        List<Element> slideList = dom().select("div.slides > section");
        int index = -1;
        int mostKeywords = 0;
        for (int i = 0; i < slideList.size(); i++) {
            int keywords = slideList.get(i).select("pre code.language-java .hljs-keyword").size();
            if (keywords > mostKeywords) {
                index = i;
                mostKeywords = keywords;
            }
        }
        assertTrue(index > 0, "the deck has a slide of Java code with highlighted keywords");

        Stylesheets css = Stylesheets.of(deck());
        BufferedImage code = screenshot("#/" + index, "code.png");
        int codeBackground = css.highlightColour(".hljs", "background");
        int keyword = css.highlightColour(".hljs-keyword", "color");
        assertTrue(pixelsNear(code, codeBackground, 0) > code.getWidth() * code.getHeight() / 20,
                "the code block's background " + hex(codeBackground) + " is on screen");
        assertTrue(pixelsNear(code, keyword, 24) > 50,
                "keywords in the highlight theme's colour " + hex(keyword));
        assertTrue(distinctColours(code) >= 64, "code in several colours");
    }

    // --- Helpers ----------------------------------------------------------------------------

    private static Path writeDeck(Path dir, String name, String slide) throws IOException {
        return Files.writeString(dir.resolve(name), """
                = A test deck
                :source-highlighter: highlightjs

                == The slide

                %s
                """.formatted(slide));
    }

    private static String javaListing(Path source, String tag) {
        return "[source,java]\n----\ninclude::" + source + "[tag=" + tag + "]\n----";
    }

    private static String words(String text) {
        return text.trim().replaceAll("\\s+", " ");
    }

    private static BufferedImage screenshot(String fragment, String name) throws IOException {
        Path dir = Files.createDirectories(slides.resolve("target/screenshots"));
        Path png = dir.resolve(name);
        Files.deleteIfExists(png);
        HeadlessChromium.screenshot(URI.create(deck().toUri() + fragment), png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1280, image.getWidth(), "screenshot width");
        return image;
    }

    /** How many pixels are within tolerance (per channel) of rgb. */
    private static long pixelsNear(BufferedImage image, int rgb, int tolerance) {
        long matching = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int pixel = image.getRGB(x, y);
                if (Math.abs(((pixel >> 16) & 0xff) - ((rgb >> 16) & 0xff)) <= tolerance
                        && Math.abs(((pixel >> 8) & 0xff) - ((rgb >> 8) & 0xff)) <= tolerance
                        && Math.abs((pixel & 0xff) - (rgb & 0xff)) <= tolerance) {
                    matching++;
                }
            }
        }
        return matching;
    }

    private static int distinctColours(BufferedImage image) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) colours.add(image.getRGB(x, y) & 0xffffff);
        }
        return colours.size();
    }

    private static String hex(int rgb) {
        return String.format("#%06x", rgb);
    }

    /** The colours the page's own stylesheets ask for, read from the files it links. */
    record Stylesheets(String theme, String highlight) {
        static Stylesheets of(Path html) throws IOException {
            Document page = Jsoup.parse(html.toFile());
            return new Stylesheets(read(html, page.selectFirst("link#theme")),
                    read(html, page.selectFirst("link[href*=/plugin/highlight/]")));
        }

        private static String read(Path html, Element link) throws IOException {
            assertTrue(link != null, "the page links the stylesheet");
            return Files.readString(html.resolveSibling(link.attr("href")));
        }

        /** A CSS custom property of the reveal.js theme, like --r-background-color: #191919. */
        int themeColour(String property) {
            Matcher value = Pattern.compile(Pattern.quote(property) + ":\\s*(#[0-9a-fA-F]{3,6})")
                    .matcher(theme);
            assertTrue(value.find(), "the theme sets " + property);
            return rgb(value.group(1));
        }

        /** A colour of the highlight.js theme: the rule whose selectors include selector. */
        int highlightColour(String selector, String property) {
            String rules = highlight.replaceAll("(?s)/\\*.*?\\*/", "");
            Matcher rule = Pattern.compile("([^{}]+)\\{([^}]*)}").matcher(rules);
            while (rule.find()) {
                for (String s : rule.group(1).split(",")) {
                    if (!s.trim().equals(selector)) continue;
                    Matcher value = Pattern.compile("(?:^|[;\\s])" + property
                            + ":\\s*(#[0-9a-fA-F]{3,6})").matcher(rule.group(2));
                    if (value.find()) return rgb(value.group(1));
                }
            }
            throw new AssertionError("the highlight theme gives " + selector + " no " + property);
        }

        private static int rgb(String hex) {
            String digits = hex.substring(1);
            if (digits.length() == 3) {
                digits = digits.replaceAll("(.)", "$1$1");
            }
            return Integer.parseInt(digits, 16);
        }
    }
}
