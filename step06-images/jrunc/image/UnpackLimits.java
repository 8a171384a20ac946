package jrunc.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many bytes a pull may unpack: per layer and for the whole image. A gzip'd layer of
 * zeros is a thousand times smaller than its tar, so the download size says nothing; a
 * "gzip bomb" of a few megabytes would fill the disk. The decompressed tar is counted as it
 * streams, and the layer is refused the moment it crosses a limit.
 *
 * <p>The defaults hold the biggest images in common use (CUDA and PyTorch images have layers
 * of 3 to 6 GiB unpacked); {@code --max-layer-size}/{@code --max-image-size} or
 * JRUNC_MAX_LAYER_SIZE/JRUNC_MAX_IMAGE_SIZE change them.
 */
public record UnpackLimits(long layer, long image) {
    public static final UnpackLimits DEFAULT = new UnpackLimits(8L << 30, 32L << 30);
    public static final String LAYER_ENV = "JRUNC_MAX_LAYER_SIZE";
    public static final String IMAGE_ENV = "JRUNC_MAX_IMAGE_SIZE";

    /** The options if given, else the environment's, else the defaults. */
    public static UnpackLimits of(String layerOption, String imageOption, Map<String, String> env) {
        return new UnpackLimits(
                pick("--max-layer-size", layerOption, LAYER_ENV, env, DEFAULT.layer),
                pick("--max-image-size", imageOption, IMAGE_ENV, env, DEFAULT.image));
    }

    private static long pick(String option, String value, String variable, Map<String, String> env, long fallback) {
        if (value != null) return ByteSize.parse(option, value);
        String fromEnv = env.get(variable);
        return fromEnv != null && !fromEnv.isEmpty() ? ByteSize.parse(variable, fromEnv) : fallback;
    }

    /** A manifest that already claims too much is refused before anything is downloaded. */
    public void checkClaimed(String image, Descriptor layer, long imageTotal) throws TooLargeException {
        if (layer.size() > this.layer) {
            throw new TooLargeException("layer " + layer.digest() + " claims " + Progress.human(layer.size())
                    + ", more than the layer limit of " + Progress.human(this.layer) + hint(LAYER_ENV, "--max-layer-size"));
        }
        if (imageTotal > this.image) {
            throw new TooLargeException("image " + image + " claims " + Progress.human(imageTotal)
                    + ", more than the image limit of " + Progress.human(this.image) + hint(IMAGE_ENV, "--max-image-size"));
        }
    }

    /** Counts what the layers of one image unpack to; shared by the threads unpacking them. */
    public Budget newImage(String image) {
        return new Budget(image);
    }

    public final class Budget {
        private final String image;
        private final AtomicLong total = new AtomicLong();

        private Budget(String image) {
            this.image = image;
        }

        /** {@code tar}, counted against both limits as it is read. */
        public InputStream count(Digest layerDigest, InputStream tar) {
            return new FilterInputStream(tar) {
                long inLayer;

                // tag::count-unpacked[]
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    if (n > 0) {
                        check(layerDigest, inLayer += n, total.addAndGet(n));
                    }
                    return n;
                }
                // end::count-unpacked[]

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }
            };
        }

        private void check(Digest layerDigest, long inLayer, long inImage) throws TooLargeException {
            if (inLayer > layer) {
                throw new TooLargeException("layer " + layerDigest + " unpacks to more than the layer limit of "
                        + Progress.human(layer) + " (a decompression bomb?)" + hint(LAYER_ENV, "--max-layer-size"));
            }
            if (inImage > UnpackLimits.this.image) {
                throw new TooLargeException("image " + image + " unpacks to more than the image limit of "
                        + Progress.human(UnpackLimits.this.image) + " (a decompression bomb?)"
                        + hint(IMAGE_ENV, "--max-image-size"));
            }
        }
    }

    private static String hint(String variable, String option) {
        return " - if the image is really that big, raise it with " + option + " or " + variable;
    }

    /** An image bigger than the limits allow: never retried. */
    public static final class TooLargeException extends IOException {
        public TooLargeException(String message) {
            super(message);
        }
    }
}
