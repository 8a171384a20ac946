package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;
import workshop.testkit.Workshop;

/**
 * Runs the README's "Try it" block as written, through ./jbang, with only what must differ on a
 * shared machine replaced: a free port for 5000, temp dirs for /tmp/..., and a temp store.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ReadmeTryItTest {
    @TempDir
    Path tmp;

    @Test
    void theTryItCommandsWork() throws IOException {
        Privileged.requireRoot();
        Rootfs.workshopDefault();
        String readme = Files.readString(Workshop.root().resolve("step06-images/README.adoc"));
        String block = readme.substring(readme.indexOf("== Try it"));
        block = block.substring(block.indexOf("----\n") + 5);
        block = block.substring(0, block.indexOf("\n----"));
        String port = Integer.toString(freePort());
        String script = block.replace("sudo ", "")
                .replace("127.0.0.1:5000", "127.0.0.1:" + port)
                .replace("/tmp/", tmp + "/")
                .replace("docker-registry serve " + tmp + "/registry.yml &",
                        "docker-registry serve " + tmp + "/registry.yml >/dev/null 2>&1 & registry=$!\n"
                        + "trap 'kill $registry' EXIT\n"
                        + "for i in $(seq 100); do curl -fs http://127.0.0.1:" + port + "/v2/ >/dev/null && break; sleep 0.1; done");
        var r = Command.of("bash", "-euo", "pipefail", "-c", script)
                .env("JRUNC_STORE", tmp.resolve("store").toString())
                .timeout(Duration.ofMinutes(8)).run();
        r.assertExit(0);
        String ref = "127.0.0.1:" + port + "/workshop/busybox:1";
        assertTrue(r.stdout().matches("(?sm).*^sha256:[0-9a-f]{64}$.*"), r.stdout());
        assertTrue(r.stdout().contains("REFERENCE") && r.stdout().contains(ref), r.stdout());
        assertTrue(r.stdout().contains("\"Cmd\" : [ \"/bin/sh\" ]"), r.stdout());
        assertTrue(r.stdout().contains("hello from jrunc\n"), r.stdout());
        assertTrue(r.stdout().contains("untagged " + ref), r.stdout());
    }

    private static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
