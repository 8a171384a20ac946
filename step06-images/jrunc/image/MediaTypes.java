package jrunc.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Set;

/** The manifest and layer formats a registry may answer with (OCI and Docker's older names). */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";

    /** Docker's names for what OCI defines the same way (the JSON and tars do not change). */
    private static final Map<String, String> DOCKER_TO_OCI = Map.of(
            DOCKER_MANIFEST, OCI_MANIFEST,
            DOCKER_CONFIG, OCI_CONFIG,
            "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip");

    /**
     * Sent as Accept on every manifest request. Without it a registry serves a Docker image
     * as the legacy schema1 and answers 404 for an OCI one.
     */
    public static final String ACCEPT_MANIFESTS =
            String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST);

    public static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
    public static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);

    private MediaTypes() {}

    /**
     * A Docker schema2 manifest as the OCI manifest it is equivalent to: only media types
     * change, so the config and layer digests stay; the manifest's own digest does not.
     */
    public static ObjectNode dockerToOci(JsonNode dockerManifest) {
        ObjectNode oci = dockerManifest.deepCopy();
        oci.put("mediaType", OCI_MANIFEST);
        ociType((ObjectNode) oci.path("config"));
        for (JsonNode layer : oci.path("layers")) ociType((ObjectNode) layer);
        return oci;
    }

    private static void ociType(ObjectNode descriptor) {
        String type = descriptor.path("mediaType").asText("");
        if (type.startsWith("application/vnd.oci.")) return;
        String oci = DOCKER_TO_OCI.get(type);
        if (oci == null) throw new RegistryException("UNSUPPORTED", "unsupported media type '" + type + "' in a Docker manifest");
        descriptor.put("mediaType", oci);
    }

    /** How a layer is compressed, from its media type (OCI and Docker spellings). */
    public static Compression compressionOf(String layerMediaType) {
        if (layerMediaType.endsWith("+zstd") || layerMediaType.endsWith(".zstd")) return Compression.ZSTD;
        if (layerMediaType.endsWith("gzip")) return Compression.GZIP;
        if (layerMediaType.endsWith(".tar") || layerMediaType.endsWith("tar.v1")) return Compression.NONE;
        throw new IllegalArgumentException("unsupported layer media type " + layerMediaType);
    }

    public enum Compression { NONE, GZIP, ZSTD }
}
