package jrunc.image.cli;

import java.util.concurrent.Callable;
import jrunc.image.ImageReference;
import jrunc.image.Platform;
import jrunc.image.Progress;
import jrunc.image.Puller;
import jrunc.image.RegistryClient;
import jrunc.image.StoredImage;
import jrunc.image.UnpackLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Downloads an image from a registry into the store and unpacks its layers.",
                "Every byte is checked against its digest while it streams."},
        footer = {"", "Examples:", "  jrunc pull alpine", "  jrunc pull --platform linux/arm64 127.0.0.1:5000/workshop/busybox:oci"})
public final class PullCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "which image of a multi-platform index (default: this machine's)")
    String platform;

    @Option(names = "--insecure", description = "plain HTTP to a non-loopback registry (loopback registries always use HTTP)")
    boolean insecure;

    @Option(names = "--creds", paramLabel = "USER:PASSWORD",
            description = "registry credentials (else $JRUNC_REGISTRY_USER/$JRUNC_REGISTRY_PASSWORD, else ~/.docker/config.json)")
    String creds;

    @Option(names = "--max-layer-size", paramLabel = "SIZE",
            description = "refuse a layer that unpacks to more (default: $" + UnpackLimits.LAYER_ENV + " or 8g)")
    String maxLayerSize;

    @Option(names = "--max-image-size", paramLabel = "SIZE",
            description = "refuse an image whose layers unpack to more (default: $" + UnpackLimits.IMAGE_ENV + " or 32g)")
    String maxImageSize;

    @Option(names = {"-q", "--quiet"}, description = "print only the manifest digest")
    boolean quiet;

    @Parameters(paramLabel = "REF", description = "an image reference: NAME[:TAG][@DIGEST], e.g. alpine, localhost:5000/x:1")
    String ref;

    @Override
    public Integer call() {
        try {
            ImageReference reference = ImageReference.parse(ref);
            Platform wanted = platform != null ? Platform.parse(platform) : Platform.host();
            RegistryClient client = RegistryClient.forCommand(reference, insecure, creds);
            Progress progress = Progress.forStderr(quiet);
            UnpackLimits limits = UnpackLimits.of(maxLayerSize, maxImageSize, System.getenv());
            StoredImage image = new Puller(store.open(), progress, limits).pull(client, reference, wanted);
            if (!quiet) System.err.println("pulled " + reference + " (" + wanted + ")");
            System.out.println(image.pulledDigest());
            return 0;
        } catch (Exception e) {
            return Failure.report("pull", e);
        }
    }
}
