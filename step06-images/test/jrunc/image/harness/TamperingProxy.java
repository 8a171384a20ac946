package jrunc.image.harness;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A registry in front of the real one that can misbehave on blob downloads, as networks and
 * broken mirrors do. (The real registry checks digests on push, so bad bytes must be made on
 * the way out.) Everything else is passed through unchanged.
 */
public final class TamperingProxy implements AutoCloseable {
    public enum Fault {
        /** Pass everything through. */
        NONE,
        /** Flip one byte in the middle of every blob. */
        CORRUPT,
        /** Declare the full length, send half, drop the connection - once; honour Range after. */
        TRUNCATE_ONCE,
        /** Send half of the blob, every time. */
        TRUNCATE_ALWAYS,
        /** Answer the first blob request with 429 Too Many Requests. */
        RATE_LIMIT_ONCE,
        /** Send half of each blob over 64 KiB, then hold the connection until the next fault() or close(). */
        STALL
    }

    private static final List<String> FORWARDED = List.of("Accept", "Authorization", "Range");
    private final HttpServer server;
    private final String upstream;
    private final HttpClient http = HttpClient.newHttpClient();
    private final AtomicInteger blobRequests = new AtomicInteger();
    private final AtomicInteger rangeRequests = new AtomicInteger();
    private volatile Fault fault = Fault.NONE;
    private volatile CountDownLatch stalled = new CountDownLatch(1);
    private volatile CountDownLatch released = new CountDownLatch(1);

    public TamperingProxy(String upstreamHost) throws IOException {
        this.upstream = "http://" + upstreamHost;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::forward);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
    }

    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    public void fault(Fault f) {
        released.countDown(); // a stalled download ends with a dropped connection
        stalled = new CountDownLatch(1);
        released = new CountDownLatch(1);
        fault = f;
        blobRequests.set(0);
        rangeRequests.set(0);
    }

    /** Waits until a {@link Fault#STALL}ed client has received half of a blob. */
    public void awaitStall() throws InterruptedException {
        if (!stalled.await(2, TimeUnit.MINUTES)) throw new AssertionError("no blob download stalled");
    }

    /** Blob requests that asked to resume with a Range header. */
    public int rangeRequests() {
        return rangeRequests.get();
    }

    private void forward(HttpExchange exchange) throws IOException {
        try (exchange) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(upstream + exchange.getRequestURI()))
                    .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
            for (String h : FORWARDED) {
                String v = exchange.getRequestHeaders().getFirst(h);
                if (v != null) request.header(h, v);
            }
            boolean blob = exchange.getRequestURI().getPath().contains("/blobs/");
            if (blob && exchange.getRequestHeaders().containsKey("Range")) rangeRequests.incrementAndGet();
            int n = blob ? blobRequests.incrementAndGet() : 0;
            if (blob && fault == Fault.RATE_LIMIT_ONCE && n == 1) {
                byte[] body = "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}".getBytes();
                exchange.sendResponseHeaders(429, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            r.headers().map().forEach((k, vs) -> {
                if (!k.equalsIgnoreCase("content-length") && !k.equalsIgnoreCase("transfer-encoding") && !k.startsWith(":")) {
                    vs.forEach(v -> exchange.getResponseHeaders().add(k, v));
                }
            });
            byte[] body = r.body();
            boolean tamper = blob && r.statusCode() == 200 && body.length > 1;
            if (tamper && fault == Fault.CORRUPT) body[body.length / 2] ^= 0x01;
            boolean truncate = tamper && (fault == Fault.TRUNCATE_ALWAYS || (fault == Fault.TRUNCATE_ONCE && n == 1));
            if (truncate && fault == Fault.TRUNCATE_ALWAYS) {
                byte[] half = java.util.Arrays.copyOf(body, body.length / 2);
                exchange.sendResponseHeaders(200, half.length);
                exchange.getResponseBody().write(half);
                return;
            }
            exchange.sendResponseHeaders(r.statusCode(), body.length == 0 ? -1 : body.length);
            OutputStream out = exchange.getResponseBody();
            boolean stall = tamper && fault == Fault.STALL && body.length > 64 * 1024;
            if (truncate || stall) {
                CountDownLatch release = released;
                out.write(body, 0, body.length / 2);
                out.flush();
                if (stall) {
                    stalled.countDown();
                    release.await();
                }
                // Closing a fixed-length response early makes the server drop the connection.
                throw new IOException("TamperingProxy drops the connection mid-blob");
            }
            out.write(body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
