package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registry's error codes, as a registry sends them (status and the distribution spec's
 * {"errors":[...]} body), each become one line that names the code, what was asked for, and a
 * hint. Docker's distribution 2.8 never sends some of them (DENIED, NAME_UNKNOWN for a
 * manifest), so a small server on 127.0.0.1 plays the registry here.
 */
class RegistryErrorsTest {
    HttpServer server;
    final AtomicInteger manifestRequests = new AtomicInteger();
    volatile int status;
    volatile String code;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v2/", exchange -> {
            byte[] body;
            int answer;
            if (exchange.getRequestURI().getPath().equals("/v2/")) {
                answer = 200;
                body = "{}".getBytes(StandardCharsets.UTF_8);
            } else {
                manifestRequests.incrementAndGet();
                answer = status;
                body = ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"the registry says "
                        + code.toLowerCase() + "\"}]}").getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    RegistryException fetchFails(int status, String code) {
        this.status = status;
        this.code = code;
        ImageReference ref = ImageReference.parse("127.0.0.1:" + server.getAddress().getPort() + "/team/app:1");
        RegistryClient client = new RegistryClient(ref, false, Optional.empty(), new Retry(3, Duration.ofMillis(10)));
        return assertThrows(RegistryException.class, () -> client.fetchManifest(ref.repository(), ref.reference()));
    }

    @Test
    void deniedIsOneLineWithAHint() {
        RegistryException e = fetchFails(403, "DENIED");
        assertEquals("DENIED", e.code());
        assertTrue(e.getMessage().startsWith("DENIED: "), e.getMessage());
        assertTrue(e.getMessage().contains("the registry says denied (HTTP 403) - the credentials do not allow this"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void nameUnknownSaysToCheckTheRepository() {
        RegistryException e = fetchFails(404, "NAME_UNKNOWN");
        assertEquals("NAME_UNKNOWN", e.code());
        assertTrue(e.getMessage().contains("(HTTP 404) - no such repository"), e.getMessage());
    }

    @Test
    void tooManyRequestsIsRetriedThenOneLine() {
        RegistryException e = fetchFails(429, "TOOMANYREQUESTS");
        assertEquals("TOOMANYREQUESTS", e.code());
        assertTrue(e.getMessage().contains("the registry's rate limit"), e.getMessage());
        assertEquals(3, manifestRequests.get(), "retried up to the limit");
    }
}
