package jrunc.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * A user name and password for one registry. Looked up in the order a user expects: the
 * {@code --creds} flag, then JRUNC_REGISTRY_USER/JRUNC_REGISTRY_PASSWORD, then the
 * {@code auths} section of ~/.docker/config.json (written by {@code docker login}).
 */
public record Credentials(String user, String password) {

    /** {@code USER:PASS} as on skopeo's and podman's command lines. */
    public static Credentials parse(String userColonPassword) {
        int colon = userColonPassword.indexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("--creds needs USER:PASSWORD, got '" + userColonPassword.replaceAll(":.*", ":…") + "'");
        return new Credentials(userColonPassword.substring(0, colon), userColonPassword.substring(colon + 1));
    }

    public static Optional<Credentials> lookup(String registry, String flag, Map<String, String> env, Path dockerConfig) {
        if (flag != null) return Optional.of(parse(flag));
        String user = env.get("JRUNC_REGISTRY_USER");
        if (user != null) return Optional.of(new Credentials(user, env.getOrDefault("JRUNC_REGISTRY_PASSWORD", "")));
        return fromDockerConfig(registry, dockerConfig);
    }

    /** The docker config file of the current user ($DOCKER_CONFIG or ~/.docker). */
    public static Path defaultDockerConfig(Map<String, String> env) {
        String dir = env.get("DOCKER_CONFIG");
        return dir != null ? Path.of(dir, "config.json") : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    }

    static Optional<Credentials> fromDockerConfig(String registry, Path file) {
        if (file == null || !Files.isRegularFile(file)) return Optional.empty();
        JsonNode auths;
        try {
            auths = new ObjectMapper().readTree(file.toFile()).path("auths");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        // Docker Hub is stored under its historical v1 URL; other registries under host[:port].
        for (String key : registry.equals(ImageReference.DOCKER_HUB)
                ? new String[] {"https://index.docker.io/v1/", "docker.io", "index.docker.io"}
                : new String[] {registry, "https://" + registry, "http://" + registry}) {
            String auth = auths.path(key).path("auth").asText("");
            if (!auth.isEmpty()) {
                return Optional.of(parse(new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8)));
            }
        }
        return Optional.empty();
    }

    /** The value of an {@code Authorization: Basic ...} header. */
    public String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return user + ":***"; // never print a password
    }
}
