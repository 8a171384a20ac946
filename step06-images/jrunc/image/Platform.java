package jrunc.image;

import java.util.Locale;

/** The os/architecture[/variant] an image was built for, e.g. {@code linux/arm64/v8}. */
public record Platform(String os, String architecture, String variant) {

    public static Platform parse(String text) {
        String[] parts = text.split("/");
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("invalid platform '" + text + "': expected OS/ARCH[/VARIANT], e.g. linux/amd64");
        }
        return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    }

    /**
     * The machine we run on, in Go's architecture names that registries use. On arm64 that is
     * {@code linux/arm64/v8}, as containerd and podman say: it picks an image marked v8 or one
     * with no variant, never a v9 one.
     */
    public static Platform host() {
        return host(System.getProperty("os.arch"));
    }

    static Platform host(String osArch) {
        String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i686" -> "386";
            case "arm" -> "arm";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            case "riscv64" -> "riscv64";
            default -> osArch;
        };
        return new Platform("linux", arch, arch.equals("arm64") ? "v8" : null);
    }

    /** A wanted platform without variant accepts any variant; with one, only that one. */
    public boolean accepts(Platform candidate) {
        return os.equals(candidate.os) && architecture.equals(candidate.architecture)
                && (variant == null || variant.equals(candidate.variant)
                    || (architecture.equals("arm64") && variant.equals("v8") && candidate.variant == null));
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
}
