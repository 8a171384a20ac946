package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import jrunc.image.harness.Fixtures;
import jrunc.image.harness.LocalRegistry;
import jrunc.image.harness.TokenServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.Privileged;

/** Basic auth (htpasswd) and the Bearer token dance, against real registries. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RegistryAuthTest {
    static final String USER = "alice";
    static final String PASSWORD = "wonderland";
    @TempDir
    static Path shared;
    static LocalRegistry basic;
    static LocalRegistry token;
    static TokenServer tokens;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws IOException, GeneralSecurityException {
        Privileged.requireRoot();
        Path layout = Fixtures.get().layout();
        basic = LocalRegistry.basic(Files.createDirectories(shared.resolve("basic")), USER, PASSWORD);
        basic.push(layout, "busybox", "private/busybox:1", USER + ":" + PASSWORD);
        tokens = new TokenServer(Files.createDirectories(shared.resolve("tokens")), USER, PASSWORD);
        token = LocalRegistry.token(Files.createDirectories(shared.resolve("token")), tokens);
        token.push(layout, "busybox", "public/busybox:1", USER + ":" + PASSWORD);
        token.push(layout, "busybox", "private/busybox:1", USER + ":" + PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (basic != null) basic.close();
        if (token != null) token.close();
        if (tokens != null) tokens.close();
    }

    private StoredImage pull(LocalRegistry registry, String repo, Credentials creds) throws IOException {
        ImageReference ref = ImageReference.parse(registry.host() + "/" + repo);
        return new Puller(new ImageStore(tmp.resolve("store")), Progress.forStderr(true))
                .pull(new RegistryClient(ref, false, Optional.ofNullable(creds), RegistryPullTest.FAST), ref, Platform.host());
    }

    private static Command.Result cli(String... args) {
        return Command.javaMain("jrunc.image.cli.ImageCli", args).timeout(Duration.ofMinutes(2)).run();
    }

    @Test
    void basicAuthWithTheRightPassword() throws IOException {
        StoredImage image = pull(basic, "private/busybox:1", new Credentials(USER, PASSWORD));
        assertEquals(1, image.layers().size());
    }

    @Test
    void basicAuthWithAWrongPasswordIsOneLine() {
        var r = cli("pull", "--store", tmp.resolve("store").toString(), "--creds", USER + ":wrong",
                basic.host() + "/private/busybox:1");
        r.assertExit(125);
        assertEquals("jrunc pull: UNAUTHORIZED: manifest 1 of " + basic.host() + "/private/busybox:"
                + " authentication required (HTTP 401) - check the user name and password\n", r.stderr());
    }

    @Test
    void basicAuthWithoutCredentialsSaysHowToGiveThem() {
        var r = cli("pull", "--store", tmp.resolve("store").toString(), basic.host() + "/private/busybox:1");
        r.assertExit(125);
        assertTrue(r.stderr().startsWith("jrunc pull: UNAUTHORIZED: " + basic.host() + " refused manifest 1 of private/busybox"
                + " - the repository may not exist, or needs credentials (--creds USER:PASS"), r.stderr());
    }

    @Test
    void credentialsFromTheEnvironment() {
        cli("pull", "--store", tmp.resolve("store").toString(), basic.host() + "/private/busybox:1");
        var r = Command.javaMain("jrunc.image.cli.ImageCli", "pull", "-q", "--store", tmp.resolve("store").toString(),
                basic.host() + "/private/busybox:1")
                .env("JRUNC_REGISTRY_USER", USER).env("JRUNC_REGISTRY_PASSWORD", PASSWORD).run();
        r.assertExit(0);
        assertTrue(r.stdout().matches("sha256:[0-9a-f]{64}\n"), r.stdout());
    }

    @Test
    void credentialsFromDockerConfigJson() throws IOException {
        Path config = Files.writeString(tmp.resolve("config.json"), "{\"auths\":{\"" + basic.host() + "\":{\"auth\":\""
                + java.util.Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes()) + "\"}}}");
        assertEquals(Optional.of(new Credentials(USER, PASSWORD)),
                Credentials.lookup(basic.host(), null, Map.of(), config));
        assertEquals(Optional.empty(), Credentials.lookup("other.example.com", null, Map.of(), config));
    }

    @Test
    void aCredentialHelperNamedInTheDockerConfigIsAskedAsDockerAsksIt() throws IOException {
        // Knows alice's password for this registry only, as docker-credential-pass would.
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.writeString(bin.resolve("docker-credential-workshop"), """
                #!/bin/sh
                read -r server
                if [ "$1" = get ] && [ "$server" = "%s" ]; then
                  echo '{"ServerURL":"'"$server"'","Username":"%s","Secret":"%s"}'
                else
                  echo "credentials not found in native keychain"; exit 1
                fi
                """.formatted(basic.host(), USER, PASSWORD));
        Files.setPosixFilePermissions(bin.resolve("docker-credential-workshop"), PosixFilePermissions.fromString("rwxr-xr-x"));
        // credHelpers wins over credsStore (whose helper does not exist), as in docker.
        Path docker = Files.createDirectories(tmp.resolve("docker"));
        Files.writeString(docker.resolve("config.json"), "{\"credsStore\": \"missing\", \"credHelpers\": {\""
                + basic.host() + "\": \"workshop\"}}");
        var r = Command.javaMain("jrunc.image.cli.ImageCli", "pull", "-q", "--store", tmp.resolve("store").toString(),
                basic.host() + "/private/busybox:1")
                .env("DOCKER_CONFIG", docker.toString()).env("PATH", bin + ":" + System.getenv("PATH")).run();
        r.assertExit(0);
        assertTrue(r.stdout().matches("sha256:[0-9a-f]{64}\n"), r.stdout());

        Files.writeString(docker.resolve("config.json"), "{\"credsStore\": \"missing\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> Credentials.lookup(basic.host(), null, Map.of(),
                docker.resolve("config.json")));
        assertTrue(e.getMessage().startsWith("cannot run docker-credential-missing, the credential helper "
                + docker.resolve("config.json") + " names for " + basic.host() + " - is it installed and on PATH? ("),
                e.getMessage());
    }

    @Test
    void aMalformedDockerConfigIsAWarningAndThePullGoesOnAnonymously() throws IOException {
        Path docker = Files.createDirectories(tmp.resolve("docker"));
        Files.writeString(docker.resolve("config.json"), "{\"auths\": {");
        var r = Command.javaMain("jrunc.image.cli.ImageCli", "pull", "-q", "--store", tmp.resolve("store").toString(),
                token.host() + "/public/busybox:1").env("DOCKER_CONFIG", docker.toString()).run();
        r.assertExit(0);
        assertTrue(r.stderr().startsWith("jrunc: warning: cannot read " + docker.resolve("config.json")
                + " (Unexpected end-of-input"), r.stderr());
        assertTrue(r.stderr().endsWith("): pulling without its credentials\n"), r.stderr());
        assertEquals(1, r.stderr().lines().count(), r.stderr());
    }

    @Test
    void anonymousPullWithATokenReusedForEveryBlob() throws IOException {
        int before = tokens.requests();
        StoredImage image = pull(token, "public/busybox:1", null);
        assertEquals(1, image.layers().size());
        assertEquals(1, tokens.requests() - before, "one token for manifest, config and layer");
    }

    @Test
    void anonymousPullOfAPrivateRepositoryIsRefused() {
        var e = assertThrows(RegistryException.class, () -> pull(token, "private/busybox:1", null));
        assertEquals("UNAUTHORIZED", e.code());
        assertTrue(e.getMessage().contains("needs credentials"), e.getMessage());
    }

    @Test
    void aUserGetsATokenForThePrivateRepository() throws IOException {
        assertEquals(1, pull(token, "private/busybox:1", new Credentials(USER, PASSWORD)).layers().size());
    }

    @Test
    void aWrongPasswordIsRejectedByTheTokenServer() {
        var e = assertThrows(RegistryException.class, () -> pull(token, "private/busybox:1", new Credentials(USER, "nope")));
        assertEquals("the token server " + tokens.realm() + " rejected the credentials of user alice (HTTP 401)"
                + " - check the user name and password", e.getMessage());
    }
}
