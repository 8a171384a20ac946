import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jsoup.Jsoup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tutorial is README.adoc with the steps' chapters included: it must render without a
 * warning, and every listing must show the code its tag names in the step's file today.
 */
class TutorialTest {
    static Path slides;
    static RenderDeck renderer;

    @BeforeAll
    static void startAsciidoctor() {
        slides = RenderDeck.findSlides(Path.of(""));
        renderer = new RenderDeck(slides);
    }

    @AfterAll
    static void stopAsciidoctor() {
        if (renderer != null) renderer.close();
    }

    @Test
    void theTutorialRendersAndShowsEveryTaggedRegion() throws IOException {
        Path readme = slides.resolveSibling("README.adoc");
        Path html = renderer.renderTutorial(readme, slides.resolve("build"));

        List<String> shown = Jsoup.parse(html.toFile()).select("pre").eachText().stream()
                .map(TutorialTest::squeeze).toList();
        List<DeckSource.Listing> listings = DeckSource.read(readme).listings;
        assertFalse(listings.isEmpty(), "README.adoc shows code");
        for (DeckSource.Listing listing : listings) {
            String expected = squeeze(listing.expectedCode());
            assertTrue(shown.stream().anyMatch(code -> code.equals(expected)),
                    listing.where() + " is not shown as written:\n" + listing.expectedCode());
        }
    }

    @Test
    void aChapterIncludingATagThatDoesNotExistFailsTheRender(@TempDir Path scratch)
            throws IOException {
        Path runJava = slides.resolveSibling("step01-chroot/Run.java").toAbsolutePath();
        Path chapter = Files.writeString(scratch.resolve("chapter.adoc"),
                "= Chapter\n\n[source,java]\n----\ninclude::" + runJava + "[tag=no-such-tag]\n----\n");
        RenderDeck.DeckException failure = assertThrows(RenderDeck.DeckException.class,
                () -> renderer.renderTutorial(chapter, scratch));
        assertTrue(failure.getMessage().contains("no-such-tag"), failure.getMessage());
    }

    private static String squeeze(String code) {
        return code.replaceAll("\\s+", " ").trim();
    }
}
