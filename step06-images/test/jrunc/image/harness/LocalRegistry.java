package jrunc.image.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import workshop.testkit.Command;

/**
 * Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1 and a free port, with its data
 * in a temp dir: open, with htpasswd Basic auth, or with Bearer tokens from a {@link TokenServer}.
 * Ended by its PID, its files deleted, when closed.
 */
public final class LocalRegistry implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final Process process;

    private LocalRegistry(Path dir, String authYaml) throws IOException {
        Command.of("bin/install-packages", "docker-registry", "skopeo", "umoci", "apache2-utils")
                .timeout(Duration.ofMinutes(10)).run().assertExit(0);
        this.dir = dir;
        this.port = freePort();
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: error
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                  secret: workshop-test-only
                %s
                """.formatted(dir.resolve("data"), port, authYaml));
        this.process = new ProcessBuilder("docker-registry", "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        awaitReady();
    }

    public static LocalRegistry open(Path dir) throws IOException {
        return new LocalRegistry(dir, "");
    }

    /** Basic auth against an htpasswd file with bcrypt hashes (the only kind distribution accepts). */
    public static LocalRegistry basic(Path dir, String user, String password) throws IOException {
        Command.of("bin/install-packages", "apache2-utils").timeout(Duration.ofMinutes(10)).run().assertExit(0);
        var htpasswd = Command.of("htpasswd", "-Bbn", user, password).run();
        htpasswd.assertExit(0);
        Files.writeString(dir.resolve("htpasswd"), htpasswd.stdout());
        return new LocalRegistry(dir, """
                auth:
                  htpasswd:
                    realm: workshop-basic
                    path: %s
                """.formatted(dir.resolve("htpasswd")));
    }

    public static LocalRegistry token(Path dir, TokenServer tokens) throws IOException {
        return new LocalRegistry(dir, """
                auth:
                  token:
                    realm: %s
                    service: %s
                    issuer: %s
                    rootcertbundle: %s
                """.formatted(tokens.realm(), TokenServer.SERVICE, TokenServer.ISSUER, tokens.certificate()));
    }

    /** {@code 127.0.0.1:PORT}: the registry part of image references. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** {@code skopeo copy} of an image of an OCI layout into this registry. */
    public void push(Path layout, String name, String repoAndTag, String creds, String... options) {
        List<String> argv = new ArrayList<>(List.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false"));
        if (creds != null) argv.addAll(List.of("--dest-creds", creds));
        argv.addAll(List.of(options));
        argv.add("oci:" + layout + ":" + name);
        argv.add("docker://" + host() + "/" + repoAndTag);
        Command.of(argv).timeout(Duration.ofMinutes(2)).run().assertExit(0);
    }

    private void awaitReady() throws IOException {
        // Seconds here; under emulation (the arm64 VM) a Go program takes far longer to start.
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited with " + process.exitValue() + ": " + Files.readString(dir.resolve("registry.log")));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://" + host() + "/v2/").toURL().openConnection();
                int status = c.getResponseCode();
                c.disconnect();
                if (status == 200 || status == 401) return;
            } catch (IOException notYet) {
                // still starting
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        close();
        throw new IOException("docker-registry did not answer on " + host() + " within 120 s: "
                + Files.readString(dir.resolve("registry.log")));
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.destroy(); // by PID: only the registry this object started
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
