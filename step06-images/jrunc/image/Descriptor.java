package jrunc.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * What manifests and indexes point at: a media type, a digest and a size (plus, in an index,
 * the platform, and in our store's index.json, annotations such as the image's name).
 */
public record Descriptor(String mediaType, Digest digest, long size, Platform platform, Map<String, String> annotations) {

    public static Descriptor fromJson(JsonNode node) {
        if (!node.path("digest").isTextual() || !node.path("size").canConvertToLong()) {
            throw new IllegalArgumentException("descriptor without digest or size: " + node);
        }
        long size = node.path("size").asLong();
        if (size < 0) throw new IllegalArgumentException("descriptor with negative size: " + node);
        JsonNode p = node.path("platform");
        Platform platform = p.isObject()
                ? new Platform(p.path("os").asText(""), p.path("architecture").asText(""),
                        p.hasNonNull("variant") ? p.path("variant").asText() : null)
                : null;
        Map<String, String> annotations = new java.util.TreeMap<>();
        node.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
        return new Descriptor(node.path("mediaType").asText(""), Digest.parse(node.path("digest").asText()), size, platform, annotations);
    }
}
