package jrunc.image;

import java.util.regex.Pattern;

/**
 * An image reference as docker and podman accept it, with their defaults filled in:
 * {@code alpine} is {@code docker.io/library/alpine:latest}.
 *
 * <p>The first path component is a registry host only if it looks like one (has a dot or a
 * colon, or is {@code localhost}); otherwise the whole thing is a repository on Docker Hub.
 * A digest pins content; a tag is just a name that can move.
 */
public record ImageReference(String registry, String repository, String tag, String digest) {
    public static final String DOCKER_HUB = "docker.io";
    private static final Pattern COMPONENT =
            Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern HOST = Pattern.compile(
            "(?:[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?");

    /** Parses REF; throws IllegalArgumentException naming what is wrong. */
    public static ImageReference parse(String ref) {
        if (ref == null || ref.isBlank()) throw invalid(ref, "it is empty");
        String rest = ref;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            Digest.parse(digest); // rejects malformed digests
        }
        // tag::parse[]
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        String first = slash > 0 ? rest.substring(0, slash) : "";
        if (looksLikeHost(first)) { // "localhost:5000/x", not "library/x"
            registry = canonicalHost(first);
            rest = rest.substring(slash + 1);
        }
        String tag = null;
        int colon = rest.lastIndexOf(':'); // after the host's port
        if (colon >= 0) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
            rest = "library/" + rest; // Docker Hub's official images
        }
        // end::parse[]
        validate(ref, registry, rest, tag);
        if (tag == null && digest == null) tag = "latest";
        return new ImageReference(registry, rest, tag, digest);
    }

    /** Docker Hub has an old name too. */
    private static String canonicalHost(String host) {
        return host.equals("index.docker.io") ? DOCKER_HUB : host;
    }

    private static boolean looksLikeHost(String first) {
        return first.contains(".") || first.contains(":") || first.equals("localhost");
    }

    private static void validate(String ref, String registry, String repository, String tag) {
        if (!HOST.matcher(registry).matches()) throw invalid(ref, "'" + registry + "' is not a registry host");
        if (repository.isEmpty()) throw invalid(ref, "the repository name is empty");
        for (String component : repository.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw invalid(ref, "'" + component + "' is not a valid repository name component"
                        + " (lowercase letters, digits and . _ - separators only)");
            }
        }
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw invalid(ref, "'" + tag + "' is not a valid tag (letters, digits, _ . -; at most 128)");
        }
    }

    private static IllegalArgumentException invalid(String ref, String why) {
        return new IllegalArgumentException("invalid image reference '" + ref + "': " + why);
    }

    /** What the client asks the registry for: the digest when pinned, else the tag. */
    public String reference() {
        return digest != null ? digest : tag;
    }

    /** Docker Hub's API lives on another host than its name. */
    public String apiHost() {
        return registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
    }

    /** Loopback registries speak plain HTTP; everything else must use TLS unless --insecure. */
    public boolean isLoopback() {
        String host = registry.replaceFirst(":[0-9]+$", "");
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
    }

    /** The name stored in the index (tag form when there is a tag, else digest form). */
    public String name() {
        String base = registry + "/" + repository;
        if (tag != null) base += ":" + tag;
        if (digest != null) base += "@" + digest;
        return base;
    }

    @Override
    public String toString() {
        return name();
    }
}
