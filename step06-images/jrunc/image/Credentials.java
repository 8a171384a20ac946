package jrunc.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A user name and password for one registry. Looked up in the order a user expects: the
 * {@code --creds} flag, then JRUNC_REGISTRY_USER/JRUNC_REGISTRY_PASSWORD, then
 * ~/.docker/config.json (written by {@code docker login}): its credential helpers or its
 * {@code auths} section.
 */
public record Credentials(String user, String password) {
    private static final int HELPER_TIMEOUT_SECONDS = 60;

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

    /**
     * As docker reads its config: a helper named for the registry in {@code credHelpers}, else
     * the {@code credsStore} helper, else the {@code auth} of {@code auths}. A file that cannot
     * be read costs its credentials only: a warning, and the pull goes on anonymously.
     */
    static Optional<Credentials> fromDockerConfig(String registry, Path file) {
        if (file == null || !Files.isRegularFile(file)) return Optional.empty();
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            warn("cannot read " + file + " (" + why + "): pulling without its credentials");
            return Optional.empty();
        }
        // Docker Hub is stored under its historical v1 URL; other registries under host[:port].
        String[] keys = registry.equals(ImageReference.DOCKER_HUB)
                ? new String[] {"https://index.docker.io/v1/", "docker.io", "index.docker.io"}
                : new String[] {registry, "https://" + registry, "http://" + registry};
        for (String key : keys) {
            String helper = config.path("credHelpers").path(key).asText("");
            if (!helper.isEmpty()) return fromHelper(helper, keys[0], file);
        }
        String store = config.path("credsStore").asText("");
        if (!store.isEmpty()) return fromHelper(store, keys[0], file);
        for (String key : keys) {
            String auth = config.path("auths").path(key).path("auth").asText("");
            if (auth.isEmpty()) continue;
            try {
                return Optional.of(parse(new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8)));
            } catch (IllegalArgumentException e) {
                warn(file + ": the auth of " + key + " is not base64 of USER:PASSWORD: pulling without it");
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * docker's credential helper protocol: {@code docker-credential-NAME get} reads the server
     * on stdin and prints {"Username": ..., "Secret": ...}, or "credentials not found".
     */
    static Optional<Credentials> fromHelper(String name, String server, Path config) {
        String program = "docker-credential-" + name;
        String output;
        try {
            Process helper = new ProcessBuilder(program, "get")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (var in = helper.getOutputStream()) {
                in.write((server + "\n").getBytes(StandardCharsets.UTF_8));
            }
            if (!helper.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                helper.destroyForcibly();
                throw new IllegalArgumentException(program + " get did not answer within "
                        + HELPER_TIMEOUT_SECONDS + " s (it is the credential helper " + config + " names)");
            }
            output = new String(helper.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (helper.exitValue() != 0) {
                if (output.contains("credentials not found")) return Optional.empty();
                throw new IllegalArgumentException(program + " get failed (exit " + helper.exitValue() + "): " + output);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot run " + program + ", the credential helper " + config
                    + " names for " + server + " - is it installed and on PATH? (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + program, e);
        }
        JsonNode answer;
        try {
            answer = new ObjectMapper().readTree(output);
        } catch (IOException e) {
            throw new IllegalArgumentException(program + " get answered no JSON: " + output.lines().findFirst().orElse(""));
        }
        String user = answer.path("Username").asText("");
        if (user.equals("<token>")) {
            throw new IllegalArgumentException(program + " gave an identity token for " + server
                    + ", which jrunc does not support - use --creds USER:PASSWORD");
        }
        return Optional.of(new Credentials(user, answer.path("Secret").asText("")));
    }

    private static void warn(String message) {
        System.err.println("jrunc: warning: " + message);
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
