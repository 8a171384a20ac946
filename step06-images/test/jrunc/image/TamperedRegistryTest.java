package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jrunc.image.VerifyingInputStream.DigestMismatchException;
import jrunc.image.harness.Fixtures;
import jrunc.image.harness.LocalRegistry;
import jrunc.image.harness.TamperingProxy;
import jrunc.image.harness.TamperingProxy.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/**
 * What a broken network or a lying mirror does to a pull: a proxy in front of the real registry
 * corrupts, truncates or rate-limits blob downloads.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TamperedRegistryTest {
    @TempDir
    static Path shared;
    static LocalRegistry registry;
    static TamperingProxy proxy;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws IOException {
        Privileged.requireRoot();
        registry = LocalRegistry.open(Files.createDirectories(shared.resolve("registry")));
        registry.push(Fixtures.get().layout(), "busybox", "workshop/busybox:1", null);
        proxy = new TamperingProxy(registry.host());
    }

    @AfterAll
    static void stop() {
        if (proxy != null) proxy.close();
        if (registry != null) registry.close();
    }

    private StoredImage pullThroughProxy(ImageStore store) throws IOException {
        // The proxy listens on 127.0.0.1 too, so it is a loopback (plain HTTP) registry.
        ImageReference ref = ImageReference.parse(proxy.host() + "/workshop/busybox:1");
        return new Puller(store, Progress.forStderr(true))
                .pull(new RegistryClient(ref, false, Optional.empty(), RegistryPullTest.FAST), ref, Platform.host());
    }

    private static void assertNothingStored(ImageStore store) throws IOException {
        try (Stream<Path> blobs = Files.list(store.root().resolve("blobs/sha256"));
             Stream<Path> temps = Files.list(store.root().resolve("tmp"))) {
            assertEquals(List.of(), temps.toList(), "no temp files left");
            for (Path blob : (Iterable<Path>) blobs::iterator) {
                Digest d = new Digest("sha256", blob.getFileName().toString());
                assertEquals(d, Digest.of(Files.readAllBytes(blob)), "every stored blob matches its name");
            }
        }
        assertEquals(List.of(), store.list());
    }

    @Test
    void aCorruptedBlobIsDetectedAndNeverStored() throws IOException {
        // tag::corrupt-test[]
        proxy.fault(Fault.CORRUPT); // flips a byte of every blob
        ImageStore store = new ImageStore(tmp.resolve("store"));
        var e = assertThrows(DigestMismatchException.class,
                () -> pullThroughProxy(store));
        assertTrue(e.getMessage().matches("digest mismatch: expected"
                + " sha256:\\p{XDigit}{64}, got sha256:\\p{XDigit}{64}"));
        assertNothingStored(store);
        // end::corrupt-test[]
    }

    @Test
    void aTruncatedBlobIsDetected() throws IOException {
        proxy.fault(Fault.TRUNCATE_ALWAYS);
        ImageStore store = new ImageStore(tmp.resolve("store"));
        var e = assertThrows(DigestMismatchException.class, () -> pullThroughProxy(store));
        assertTrue(e.getMessage().matches("sha256:[0-9a-f]{64}: truncated, got [0-9]+ of [0-9]+ bytes"), e.getMessage());
        assertNothingStored(store);
    }

    @Test
    void aDroppedConnectionResumesWithARangeRequest() throws IOException {
        proxy.fault(Fault.TRUNCATE_ONCE);
        ImageStore store = new ImageStore(tmp.resolve("store"));
        StoredImage image = pullThroughProxy(store);
        assertTrue(proxy.rangeRequests() >= 1, "resumed with Range");
        Digest layer = image.layers().get(0).digest();
        assertEquals(layer, Digest.of(Files.readAllBytes(store.blob(layer))));
    }

    @Test
    void aPullKilledMidDownloadLeavesNothingOnceTheNextPullRan() throws Exception {
        proxy.fault(Fault.STALL); // half the layer, then the connection hangs
        ImageStore store = new ImageStore(tmp.resolve("store")).init();
        Path temp = store.root().resolve("tmp");
        try (WatchService watch = temp.getFileSystem().newWatchService()) {
            temp.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            Process pull = Command.javaMain("jrunc.image.cli.ImageCli", "pull", "-q", "--store",
                    store.root().toString(), proxy.host() + "/workshop/busybox:1").start();
            try {
                proxy.awaitStall();
                while (!aPartialDownloadIn(temp)) { // woken by inotify
                    WatchKey key = watch.poll(1, TimeUnit.MINUTES);
                    if (key == null) throw new AssertionError("nothing written to " + temp);
                    key.pollEvents();
                    key.reset();
                }
            } finally {
                pull.destroyForcibly().waitFor(); // SIGKILL to that PID: no cleanup of its own
            }
        }
        assertTrue(aPartialDownloadIn(temp), "the killed pull left its download");
        proxy.fault(Fault.NONE);
        assertEquals(1, pullThroughProxy(store).layers().size());
        try (Stream<Path> left = Files.list(temp)) {
            assertEquals(List.of(), left.toList(), "the next pull removed it");
        }
    }

    private static boolean aPartialDownloadIn(Path temp) throws IOException {
        try (Stream<Path> files = Files.list(temp)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith("blob-") && p.toFile().length() > 0);
        }
    }

    @Test
    void aRateLimitIsRetriedAfterABackoff() throws IOException {
        proxy.fault(Fault.RATE_LIMIT_ONCE);
        StoredImage image = pullThroughProxy(new ImageStore(tmp.resolve("store")));
        assertEquals(1, image.layers().size());
    }
}
