package jrunc.image.cli;

import java.nio.channels.FileLock;
import java.util.List;
import java.util.concurrent.Callable;
import jrunc.image.Digest;
import jrunc.image.ImageReference;
import jrunc.image.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "rmi", mixinStandardHelpOptions = true,
        description = {"Removes an image's name from the store, then every blob and unpacked layer",
                "that no other image (and no container) still uses."})
public final class RmiCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;

    @Parameters(paramLabel = "REF", arity = "1..*", description = "the image(s) to remove, as pulled")
    List<String> refs;

    @Override
    public Integer call() {
        try {
            ImageStore s = store.open();
            if (!java.nio.file.Files.exists(s.root().resolve("index.json"))) {
                throw new IllegalArgumentException("no image store at " + s.root());
            }
            try (FileLock lock = s.lock()) {
                for (String ref : refs) {
                    ImageReference r = ImageReference.parse(ref);
                    if (!s.untag(r.name())) throw new IllegalArgumentException("no image " + r + " in " + s.root());
                    System.out.println("untagged " + r);
                }
                for (Digest d : s.collectGarbage()) System.out.println("deleted " + d);
            }
            return 0;
        } catch (Exception e) {
            return Failure.report("rmi", e);
        }
    }
}
