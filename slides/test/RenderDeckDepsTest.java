import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** jbang and Maven must render with the same Asciidoctor: RenderDeck's //DEPS repeat the pom. */
class RenderDeckDepsTest {
    @Test
    void renderDeckDependsOnTheVersionsThePomPins() throws IOException {
        Path slides = RenderDeck.findSlides(Path.of(""));
        String pom = Files.readString(slides.resolve("pom.xml"));
        String script = Files.readString(slides.resolve("RenderDeck.java"));

        for (String artifact : new String[] {"asciidoctorj", "asciidoctorj-revealjs"}) {
            assertEquals(find(pom, "<" + Pattern.quote(artifact) + "\\.version>([^<]+)<"),
                    find(script, "(?m)^//DEPS org\\.asciidoctor:" + Pattern.quote(artifact)
                            + ":(\\S+)$"),
                    artifact + ": RenderDeck.java's //DEPS vs slides/pom.xml");
        }
    }

    private static String find(String text, String regex) {
        Matcher matcher = Pattern.compile(regex).matcher(text);
        return matcher.find() ? matcher.group(1) : "(none)";
    }
}
