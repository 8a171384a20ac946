package jrunc.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * A client for one registry speaking the distribution spec v2: GET manifests and blobs, with
 * the authentication dance, retries and a digest check on every byte it hands back.
 */
public final class RegistryClient {
    /** Manifests and configs are small; a registry sending megabytes of JSON is misbehaving. */
    public static final long MANIFEST_LIMIT = 4L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String registry;
    private final URI base;
    private final Optional<Credentials> credentials;
    private final Retry retry;
    private final HttpClient http;
    /** Bearer tokens by scope, so parallel layer downloads share one token request. */
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private volatile boolean basicAuth;

    /**
     * The client the commands use: credentials from --creds USER:PASSWORD (may be null), the
     * environment or the docker config file, in that order, and the default retries.
     */
    public static RegistryClient forCommand(ImageReference ref, boolean insecure, String creds) {
        return new RegistryClient(ref, insecure, Credentials.lookup(ref.registry(), creds,
                System.getenv(), Credentials.defaultDockerConfig(System.getenv())), Retry.DEFAULT);
    }

    public RegistryClient(ImageReference ref, boolean insecure, Optional<Credentials> credentials, Retry retry) {
        this.registry = ref.registry();
        this.base = URI.create((ref.isLoopback() || insecure ? "http://" : "https://") + ref.apiHost());
        this.credentials = credentials;
        this.retry = retry;
        // Redirects are followed by hand: blob storage must not receive our Authorization header.
        // HTTP/1.1: registries on plain HTTP do not speak h2c, and an upgrade attempt costs a round trip.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(15)).build();
    }

    /** A manifest or index, its bytes verified against the digest it was asked by (or computed). */
    public record Fetched(byte[] bytes, String mediaType, Digest digest) {}

    public Fetched fetchManifest(String repository, String reference) throws IOException {
        URI uri = base.resolve("/v2/" + repository + "/manifests/" + reference);
        return retry.run("GET " + uri, () -> {
            HttpResponse<InputStream> r = send(repository, get(uri)
                    .header("Accept", MediaTypes.ACCEPT_MANIFESTS), "manifest " + reference);
            String type = r.headers().firstValue("Content-Type").orElse("").replaceFirst(";.*", "");
            byte[] bytes;
            try (InputStream body = r.body()) {
                bytes = body.readNBytes((int) MANIFEST_LIMIT + 1);
            }
            if (bytes.length > MANIFEST_LIMIT) throw new RegistryException("TOO_LARGE", "manifest " + reference + " of " + repository + " is larger than " + MANIFEST_LIMIT + " bytes");
            Digest actual = Digest.of(bytes);
            Digest claimed = reference.contains(":") ? Digest.parse(reference) : null;
            if (claimed != null && !claimed.equals(actual)) {
                throw new VerifyingInputStream.DigestMismatchException("manifest " + repository + "@" + claimed + ": digest mismatch, got " + actual);
            }
            return new Fetched(bytes, type, actual);
        });
    }

    /**
     * Streams a blob into {@code target}, verifying size and digest on the way. A broken
     * connection resumes with a Range request when the registry honours it.
     */
    public void fetchBlob(String repository, Descriptor blob, long limit, Path target, LongConsumer progress) throws IOException {
        URI uri = base.resolve("/v2/" + repository + "/blobs/" + blob.digest());
        Files.deleteIfExists(target);
        retry.run("GET " + uri, () -> {
            long have = Files.exists(target) ? Files.size(target) : 0;
            HttpRequest.Builder request = get(uri);
            if (have > 0) request.header("Range", "bytes=" + have + "-");
            HttpResponse<InputStream> r = followRedirect(send(repository, request, "blob " + blob.digest()), have);
            boolean resumed = r.statusCode() == 206;
            if (!resumed) have = 0;
            try (InputStream body = r.body();
                 OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                VerifyingInputStream in = new VerifyingInputStream(body, blob.digest(), blob.size(), limit);
                if (resumed) rehash(target, in);
                byte[] buffer = new byte[64 * 1024];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    progress.accept(n);
                }
            } catch (VerifyingInputStream.DigestMismatchException e) {
                Files.deleteIfExists(target);
                throw e;
            }
            return null;
        });
    }

    /** The hash must cover the whole blob: feed it what the earlier attempt already stored. */
    private static void rehash(Path partial, VerifyingInputStream in) throws IOException {
        try (InputStream old = Files.newInputStream(partial)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = old.read(buffer)) >= 0; ) in.alreadyRead(buffer, n);
        }
    }

    private HttpResponse<InputStream> followRedirect(HttpResponse<InputStream> r, long have) throws IOException {
        for (int hops = 0; r.statusCode() / 100 == 3 && hops < 5; hops++) {
            r.body().close();
            URI from = r.uri();
            URI location = from.resolve(r.headers().firstValue("Location")
                    .orElseThrow(() -> new IOException("redirect without Location from " + from)));
            HttpRequest.Builder request = HttpRequest.newBuilder(location).GET();
            if (have > 0) request.header("Range", "bytes=" + have + "-");
            r = exchange(request.build());
            if (r.statusCode() >= 400) throw errorOf(r, "blob at " + location, null);
        }
        return r;
    }

    private static HttpRequest.Builder get(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET();
    }

    /** Sends with whatever auth we have; on a 401 answers the challenge once and resends. */
    private HttpResponse<InputStream> send(String repository, HttpRequest.Builder request, String what) throws IOException {
        String scope = "repository:" + repository + ":pull";
        authorize(request, scope);
        HttpResponse<InputStream> r = exchange(request.build());
        // tag::auth[]
        if (r.statusCode() == 401) {
            AuthChallenge challenge = AuthChallenge.parse(
                    r.headers().firstValue("WWW-Authenticate").orElse(""));
            r.body().close();
            if (challenge.isBearer()) {
                tokens.put(scope, fetchToken(challenge, scope));
            } else if (challenge.isBasic() && canTryBasic()) {
                basicAuth = true;
            } else {
                throw unauthorized(repository, what);
            }
            authorize(request, scope);
            r = exchange(request.build()); // once: no loops
        }
        // end::auth[]
        if (r.statusCode() == 401) throw errorOf(r, what + " of " + registry + "/" + repository, unauthorizedHint());
        if (r.statusCode() >= 400) throw errorOf(r, what + " of " + registry + "/" + repository, null);
        return r;
    }

    /** Basic auth is worth one try, with credentials we have not sent yet. */
    private boolean canTryBasic() {
        return credentials.isPresent() && !basicAuth;
    }

    private void authorize(HttpRequest.Builder request, String scope) {
        String token = tokens.get(scope);
        if (token != null) request.setHeader("Authorization", "Bearer " + token);
        else if (basicAuth) request.setHeader("Authorization", credentials.orElseThrow().basicHeader());
    }

    /** The token dance: ask the challenge's realm for a token good for this scope. */
    private String fetchToken(AuthChallenge challenge, String scope) throws IOException {
        String realm = challenge.realm();
        if (realm == null) throw new RegistryException("UNAUTHORIZED", registry + " sent a Bearer challenge without realm");
        // tag::token[]
        Map<String, String> p = challenge.parameters();
        String query = "scope=" + encode(p.getOrDefault("scope", scope));
        if (p.containsKey("service")) {
            query = "service=" + encode(p.get("service")) + "&" + query;
        }
        String sep = realm.contains("?") ? "&" : "?";
        HttpRequest.Builder request = get(URI.create(realm + sep + query));
        // Anonymous unless we have credentials: Docker Hub
        // gives anonymous pull tokens for public images.
        credentials.ifPresent(
                c -> request.header("Authorization", c.basicHeader()));
        HttpResponse<InputStream> r = exchange(request.build());
        // end::token[]
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            r.body().close();
            throw new RegistryException("UNAUTHORIZED", "the token server " + realm + " rejected "
                    + credentials.map(c -> "the credentials of user " + c.user()).orElse("anonymous access")
                    + " (HTTP " + r.statusCode() + ")" + unauthorizedHint());
        }
        if (r.statusCode() != 200) throw errorOf(r, "token from " + realm, null);
        try (InputStream body = r.body()) {
            JsonNode json = JSON.readTree(body.readNBytes((int) MANIFEST_LIMIT));
            String token = json.path("token").asText(json.path("access_token").asText(""));
            if (token.isEmpty()) throw new RegistryException("UNAUTHORIZED", "the token server " + realm + " answered without a token");
            return token;
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private HttpResponse<InputStream> exchange(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + request.uri(), e);
        }
    }

    private RegistryException unauthorized(String repository, String what) {
        return new RegistryException("UNAUTHORIZED", "UNAUTHORIZED: " + registry + " refused " + what
                + " of " + repository + (credentials.isPresent() ? " for user " + credentials.get().user() : "")
                + unauthorizedHint());
    }

    private String unauthorizedHint() {
        return credentials.isPresent()
                ? " - check the user name and password"
                : " - the repository may not exist, or needs credentials (--creds USER:PASS, JRUNC_REGISTRY_USER/JRUNC_REGISTRY_PASSWORD or docker login)";
    }

    /** One clear line from the registry's JSON error body ({"errors":[{"code":...}]}). */
    private RegistryException errorOf(HttpResponse<InputStream> r, String what, String hint) throws IOException {
        String code = "HTTP_" + r.statusCode();
        String message = "";
        try (InputStream body = r.body()) {
            JsonNode errors = JSON.readTree(body.readNBytes(64 * 1024)).path("errors");
            if (errors.isArray() && errors.size() > 0) {
                code = errors.get(0).path("code").asText(code);
                message = errors.get(0).path("message").asText("");
            }
        } catch (IOException | RuntimeException notJson) {
            // Proxies and CDNs answer with HTML: the status code is all we have.
        }
        String line = code + ": " + what + (message.isEmpty() ? "" : ": " + message)
                + " (HTTP " + r.statusCode() + ")" + (hint != null ? hint : hintFor(code));
        return r.statusCode() == 429 || r.statusCode() >= 500
                ? new Retry.RetryableException(code, line)
                : new RegistryException(code, line);
    }

    private static String hintFor(String code) {
        return switch (code) {
            case "MANIFEST_UNKNOWN" -> " - no such tag or digest; check the reference";
            case "NAME_UNKNOWN" -> " - no such repository; check the name (Docker Hub's official images are library/NAME)";
            case "DENIED" -> " - the credentials do not allow this";
            case "TOOMANYREQUESTS" -> " - the registry's rate limit; wait, or log in to get a higher limit";
            default -> "";
        };
    }
}
