package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** docker's rules for combining an image's config with the options of {@code run}. */
class ImageConfigToSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ImageFiles ETC = path -> Optional.ofNullable(Map.of(
            "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n",
            "etc/group", "root:x:0:\nstaff:x:50:\n").get(path));

    private static JsonNode image(String config) throws IOException {
        return JSON.readTree("{\"config\":" + config + "}");
    }

    private static ImageConfigToSpec.Overrides run(List<String> command, List<String> entrypoint, List<String> env, String workdir, String user) {
        return new ImageConfigToSpec.Overrides(command, entrypoint, env, workdir, user, null, false, null, null, null);
    }

    private static List<String> strings(JsonNode array) {
        return JSON.convertValue(array, JSON.getTypeFactory().constructCollectionType(List.class, String.class));
    }

    @Test
    void argumentsAfterTheImageReplaceCmdButNotEntrypoint() throws IOException {
        JsonNode img = image("{\"Entrypoint\":[\"/bin/busybox\"],\"Cmd\":[\"sh\"]}");
        var spec = ImageConfigToSpec.toSpec(img, run(List.of("echo", "hi"), null, List.of(), null, null), "rootfs", ETC);
        assertEquals(List.of("/bin/busybox", "echo", "hi"), strings(spec.path("process").path("args")));
        var plain = ImageConfigToSpec.toSpec(img, ImageConfigToSpec.Overrides.none(), "rootfs", ETC);
        assertEquals(List.of("/bin/busybox", "sh"), strings(plain.path("process").path("args")));
    }

    @Test
    void aNewEntrypointDropsTheImagesCmd() throws IOException {
        JsonNode img = image("{\"Entrypoint\":[\"/bin/busybox\"],\"Cmd\":[\"sh\"]}");
        var spec = ImageConfigToSpec.toSpec(img, run(List.of(), List.of("/bin/true"), List.of(), null, null), "rootfs", ETC);
        assertEquals(List.of("/bin/true"), strings(spec.path("process").path("args")));
    }

    @Test
    void noCommandAnywhereIsAClearError() throws IOException {
        var e = assertThrows(IllegalArgumentException.class, () -> ImageConfigToSpec.toSpec(image("{}"),
                ImageConfigToSpec.Overrides.none(), "rootfs", ETC));
        assertEquals("the image has no Entrypoint or Cmd: name the command after the image, e.g. run IMAGE /bin/sh", e.getMessage());
    }

    @Test
    void envOverridesByNameAndPathHasADefault() throws IOException {
        JsonNode img = image("{\"Cmd\":[\"sh\"],\"Env\":[\"A=1\",\"B=2\"]}");
        var spec = ImageConfigToSpec.toSpec(img, run(List.of(), null, List.of("B=3", "C=x=y"), null, null), "rootfs", ETC);
        assertEquals(List.of("A=1", "B=3", ImageConfigToSpec.DEFAULT_PATH, "C=x=y"), strings(spec.path("process").path("env")));
    }

    @Test
    void workingDirFromImageOrOption() throws IOException {
        JsonNode img = image("{\"Cmd\":[\"sh\"],\"WorkingDir\":\"/srv\"}");
        assertEquals("/srv", ImageConfigToSpec.toSpec(img, ImageConfigToSpec.Overrides.none(), "rootfs", ETC).path("process").path("cwd").asText());
        assertEquals("/tmp", ImageConfigToSpec.toSpec(img, run(List.of(), null, List.of(), "/tmp", null), "rootfs", ETC).path("process").path("cwd").asText());
        assertEquals("/", ImageConfigToSpec.toSpec(image("{\"Cmd\":[\"sh\"]}"), ImageConfigToSpec.Overrides.none(), "rootfs", ETC).path("process").path("cwd").asText());
    }

    @Test
    void usersByNameOrNumberAreLookedUpInTheImage() throws IOException {
        assertEquals(List.of(33, 33), ids("www"));
        assertEquals(List.of(33, 50), ids("www:staff"));
        assertEquals(List.of(1234, 0), ids("1234"));
        assertEquals(List.of(33, 7), ids("33:7"));
        assertEquals(List.of(0, 0), ids(""));
        var e = assertThrows(IllegalArgumentException.class, () -> ids("nobody"));
        assertEquals("user 'nobody' not found in the image's /etc/passwd", e.getMessage());
    }

    private static List<Integer> ids(String user) throws IOException {
        JsonNode u = ImageConfigToSpec.toSpec(image("{\"Cmd\":[\"sh\"],\"User\":\"" + user + "\"}"),
                ImageConfigToSpec.Overrides.none(), "rootfs", ETC).path("process").path("user");
        return List.of(u.path("uid").asInt(), u.path("gid").asInt());
    }

    @Test
    void resourceLimitsBecomeCgroupSettings() throws IOException {
        var o = new ImageConfigToSpec.Overrides(List.of(), null, List.of(), null, null, "box", false, 64L << 20, 0.5, 20L);
        JsonNode spec = ImageConfigToSpec.toSpec(image("{\"Cmd\":[\"sh\"]}"), o, "rootfs", ETC);
        JsonNode r = spec.path("linux").path("resources");
        assertEquals(64L << 20, r.path("memory").path("limit").asLong());
        assertEquals(50_000, r.path("cpu").path("quota").asLong());
        assertEquals(100_000, r.path("cpu").path("period").asLong());
        assertEquals(20, r.path("pids").path("limit").asLong());
        assertEquals("box", spec.path("hostname").asText());
    }
}
