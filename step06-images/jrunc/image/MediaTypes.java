package jrunc.image;

import java.util.Set;

/** The manifest and layer formats a registry may answer with (OCI and Docker's older names). */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

    /**
     * Sent as Accept on every manifest request. Without it a registry serves a Docker image
     * as the legacy schema1 and answers 404 for an OCI one.
     */
    public static final String ACCEPT_MANIFESTS =
            String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST);

    public static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
    public static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);

    private MediaTypes() {}

    /** How a layer is compressed, from its media type (OCI and Docker spellings). */
    public static Compression compressionOf(String layerMediaType) {
        if (layerMediaType.endsWith("+zstd") || layerMediaType.endsWith(".zstd")) return Compression.ZSTD;
        if (layerMediaType.endsWith("gzip")) return Compression.GZIP;
        if (layerMediaType.endsWith(".tar") || layerMediaType.endsWith("tar.v1")) return Compression.NONE;
        throw new IllegalArgumentException("unsupported layer media type " + layerMediaType);
    }

    public enum Compression { NONE, GZIP, ZSTD }
}
