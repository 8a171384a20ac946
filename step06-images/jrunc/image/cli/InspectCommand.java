package jrunc.image.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.Callable;
import jrunc.image.ImageReference;
import jrunc.image.ImageStore;
import jrunc.image.StoredImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Prints an image's config (Entrypoint, Cmd, Env, layers' diff_ids, history) as JSON.")
public final class InspectCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;

    @Parameters(paramLabel = "REF", description = "an image in the store")
    String ref;

    @Override
    public Integer call() {
        try {
            ImageStore s = store.open();
            ImageReference r = ImageReference.parse(ref);
            ImageStore.Entry entry = s.find(r).orElseThrow(() ->
                    new IllegalArgumentException("no image " + r + " in " + s.root() + " - pull it first"));
            StoredImage image = StoredImage.load(s, entry);
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(image.configJson()));
            return 0;
        } catch (Exception e) {
            return Failure.report("inspect", e);
        }
    }
}
