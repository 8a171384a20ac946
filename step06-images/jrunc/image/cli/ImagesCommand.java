package jrunc.image.cli;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import jrunc.image.ImageStore;
import jrunc.image.StoredImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "images", mixinStandardHelpOptions = true,
        description = "Lists the images in the store: reference, manifest digest, size (compressed), created.")
public final class ImagesCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
        try {
            ImageStore s = store.open();
            String format = "%-50s %-19s %10s  %s%n";
            System.out.printf(format, "REFERENCE", "DIGEST", "SIZE", "CREATED");
            for (ImageStore.Entry e : s.list()) {
                StoredImage image = StoredImage.load(s, e);
                System.out.printf(format, e.name(), e.pulledDigest().toString().substring(0, 19),
                        human(image.size()), created(image.configJson().path("created").asText("")));
            }
            return 0;
        } catch (Exception e) {
            return Failure.report("images", e);
        }
    }

    private static String created(String iso) {
        try {
            return OffsetDateTime.parse(iso).withNano(0).toString();
        } catch (DateTimeParseException e) {
            return iso.isEmpty() ? "-" : iso;
        }
    }

    private static String human(long bytes) {
        return bytes < 1024 * 1024 ? String.format(java.util.Locale.ROOT, "%.1fkB", bytes / 1024.0)
                : String.format(java.util.Locale.ROOT, "%.1fMB", bytes / (1024.0 * 1024));
    }
}
