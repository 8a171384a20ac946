package jrunc.image.cli;

import java.nio.file.Path;
import jrunc.image.ImageStore;
import picocli.CommandLine.Option;

/** {@code --store DIR}, shared by every image command (a picocli mixin). */
public final class StoreOption {
    @Option(names = "--store", paramLabel = "DIR",
            description = "image store (an OCI image layout); default: $JRUNC_STORE or /var/lib/jrunc")
    Path store;

    public ImageStore open() {
        if (store != null) return new ImageStore(store);
        String env = System.getenv("JRUNC_STORE");
        return new ImageStore(env != null && !env.isEmpty() ? Path.of(env) : ImageStore.DEFAULT);
    }
}
