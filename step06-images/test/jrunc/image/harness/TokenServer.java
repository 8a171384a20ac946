package jrunc.image.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import workshop.testkit.Command;

/**
 * The token server of the Bearer flow, the part of Docker Hub a registry points its 401s at.
 * Policy: anonymous users may pull repositories under {@code public/}; the one known user may
 * pull and push everything; a wrong password gets 401. Tokens are JWTs signed RS256 with a
 * throw-away key whose self-signed certificate is the registry's rootcertbundle and travels in
 * the token's x5c header.
 */
public final class TokenServer implements AutoCloseable {
    public static final String SERVICE = "jrunc-test-registry";
    public static final String ISSUER = "jrunc-test-issuer";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Path certificate;
    private final PrivateKey key;
    private final String certDerBase64;
    private final String user;
    private final String password;
    private final AtomicInteger requests = new AtomicInteger();

    public TokenServer(Path dir, String user, String password) throws IOException, GeneralSecurityException {
        this.user = user;
        this.password = password;
        this.certificate = dir.resolve("token-cert.pem");
        Path keyFile = dir.resolve("token-key.pem");
        Command.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=" + ISSUER, "-keyout", keyFile.toString(), "-out", certificate.toString())
                .timeout(Duration.ofSeconds(60)).run().assertExit(0);
        this.key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pem(keyFile)));
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(certificate));
        this.certDerBase64 = Base64.getEncoder().encodeToString(cert.getEncoded());
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", this::token);
        server.start();
    }

    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    public Path certificate() {
        return certificate;
    }

    /** How many tokens were asked for: a client should reuse one per scope. */
    public int requests() {
        return requests.get();
    }

    private void token(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        try (exchange) {
            String subject = authenticate(exchange.getRequestHeaders().getFirst("Authorization"));
            if (subject == null) {
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            ArrayNode access = JSON.createArrayNode();
            for (String scope : query(exchange, "scope")) grant(subject, scope, access);
            ObjectNode body = JSON.createObjectNode();
            String jwt = sign(subject, access);
            body.put("token", jwt).put("access_token", jwt).put("expires_in", 300);
            byte[] bytes = JSON.writeValueAsBytes(body);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** "" for anonymous, the user for the right password, null for a wrong one. */
    private String authenticate(String header) {
        if (header == null) return "";
        String decoded = new String(Base64.getDecoder().decode(header.replaceFirst("^Basic ", "")), StandardCharsets.UTF_8);
        return decoded.equals(user + ":" + password) ? user : null;
    }

    private static void grant(String subject, String scope, ArrayNode access) {
        String[] parts = scope.split(":");
        if (parts.length < 3 || !parts[0].equals("repository")) return;
        String name = String.join(":", List.of(parts).subList(1, parts.length - 1));
        List<String> actions = new ArrayList<>();
        for (String action : parts[parts.length - 1].split(",")) {
            boolean allowed = !subject.isEmpty() || (action.equals("pull") && name.startsWith("public/"));
            if (allowed) actions.add(action);
        }
        ObjectNode a = access.addObject();
        a.put("type", "repository").put("name", name);
        actions.forEach(a.putArray("actions")::add);
    }

    private String sign(String subject, ArrayNode access) throws GeneralSecurityException, IOException {
        ObjectNode header = JSON.createObjectNode().put("typ", "JWT").put("alg", "RS256");
        header.putArray("x5c").add(certDerBase64);
        long now = Instant.now().getEpochSecond();
        ObjectNode claims = JSON.createObjectNode().put("iss", ISSUER).put("sub", subject)
                .put("aud", SERVICE).put("iat", now).put("nbf", now - 10)
                .put("exp", now + 300).put("jti", UUID.randomUUID().toString());
        claims.set("access", access);
        String signingInput = b64(JSON.writeValueAsBytes(header)) + "." + b64(JSON.writeValueAsBytes(claims));
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initSign(key);
        rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + b64(rs256.sign());
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static byte[] pem(Path file) throws IOException {
        String text = Files.readString(file).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(text);
    }

    private static List<String> query(HttpExchange exchange, String name) {
        List<String> values = new ArrayList<>();
        String q = exchange.getRequestURI().getRawQuery();
        if (q == null) return values;
        for (String pair : q.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                values.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
