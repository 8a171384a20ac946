package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @ParameterizedTest
    @CsvSource({
        "alpine,                                 docker.io, library/alpine,    latest",
        "library/alpine:3.20,                    docker.io, library/alpine,    3.20",
        "bitnami/redis,                          docker.io, bitnami/redis,     latest",
        "index.docker.io/library/alpine:edge,    docker.io, library/alpine,    edge",
        "127.0.0.1:5000/workshop/busybox:oci,    127.0.0.1:5000, workshop/busybox, oci",
        "localhost:5000/x,                       localhost:5000, x,            latest",
        "localhost/x:1,                          localhost, x,                 1",
        "ghcr.io/owner/repo-name/sub_dir:v1.2-rc, ghcr.io, owner/repo-name/sub_dir, v1.2-rc",
    })
    void parsesAsDockerAndPodmanDo(String ref, String registry, String repository, String tag) {
        ImageReference r = ImageReference.parse(ref);
        assertEquals(registry, r.registry());
        assertEquals(repository, r.repository());
        assertEquals(tag, r.tag());
    }

    @Test
    void aDigestPinsTheContentAndNeedsNoTag() {
        ImageReference r = ImageReference.parse("docker.io/library/alpine@" + DIGEST);
        assertEquals(null, r.tag());
        assertEquals(DIGEST, r.reference());
        assertEquals("docker.io/library/alpine@" + DIGEST, r.name());
        assertEquals("registry-1.docker.io", r.apiHost());
    }

    @Test
    void aTagAndADigestTogetherAskForTheDigest() {
        ImageReference r = ImageReference.parse("alpine:3.20@" + DIGEST);
        assertEquals("3.20", r.tag());
        assertEquals(DIGEST, r.reference());
    }

    @Test
    void plainHttpOnlyForLoopback() {
        assertTrue(ImageReference.parse("127.0.0.1:5000/x").isLoopback());
        assertTrue(ImageReference.parse("localhost:5000/x").isLoopback());
        assertFalse(ImageReference.parse("registry.example.com/x").isLoopback());
        assertFalse(ImageReference.parse("alpine").isLoopback());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Alpine", "alpine:", "alpine:bad tag", "alpine@sha256:1234",
        "alpine@md5:ab", "a//b", "/alpine", "UPPER.example.com/Repo"})
    void rejectsInvalidReferencesNamingTheProblem(String ref) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(ref));
        assertTrue(e.getMessage().startsWith("invalid") || e.getMessage().startsWith("unsupported"), e.getMessage());
    }

    @Test
    void errorSaysWhichComponentIsWrong() {
        var e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse("workshop/Busybox"));
        assertEquals("invalid image reference 'workshop/Busybox': 'Busybox' is not a valid repository name"
                + " component (lowercase letters, digits and . _ - separators only)", e.getMessage());
    }
}
