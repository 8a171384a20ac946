package jrunc.image.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import jrunc.image.ImageImporter;
import jrunc.image.ImageReference;
import jrunc.image.StoredImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Makes a root filesystem directory a one-layer image in the store,",
                "so that it runs like a pulled image, with no registry."},
        footer = {"", "Example:", "  jrunc import rootfs workshop/busybox"})
public final class ImportCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;

    @Option(names = "--cmd", paramLabel = "PROGRAM", defaultValue = "/bin/sh",
            description = "the image's default command (default: ${DEFAULT-VALUE})")
    String cmd;

    @Parameters(index = "0", paramLabel = "DIR", description = "the root filesystem, e.g. rootfs")
    Path dir;

    @Parameters(index = "1", paramLabel = "REF", description = "the image's name, e.g. workshop/busybox")
    String ref;

    @Override
    public Integer call() {
        try {
            ImageReference reference = ImageReference.parse(ref);
            StoredImage image = ImageImporter.importDirectory(store.open(), dir, reference, List.of(cmd));
            System.err.println("imported " + dir + " as " + reference);
            System.out.println(image.manifest().digest());
            return 0;
        } catch (Exception e) {
            return Failure.report("import", e);
        }
    }
}
