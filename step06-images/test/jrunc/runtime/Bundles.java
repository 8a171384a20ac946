package jrunc.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import workshop.testkit.Command;
import workshop.testkit.Rootfs;

/** OCI bundles for the tests: "runc spec" with terminal false and an absolute cgroup. */
final class Bundles {
    /** The tests' own reader and writer of config.json and jrunc's output (jrunc has none). */
    static final ObjectMapper JSON = new ObjectMapper();

    private Bundles() {}

    /** DIR/config.json from "runc spec", edited; DIR/rootfs a copy of the workshop rootfs. */
    static Path create(Path dir, String cgroup, List<String> args, Consumer<ObjectNode> edit) {
        try {
            Files.createDirectories(dir);
            if (!Files.exists(dir.resolve("rootfs"))) Rootfs.copyInto(dir);
            Files.deleteIfExists(dir.resolve("config.json"));
            Command.of("runc", "spec", "--bundle", dir.toString()).timeout(Duration.ofSeconds(20))
                    .run().assertExit(0);
            ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
            ObjectNode process = (ObjectNode) config.get("process");
            process.put("terminal", false);
            ArrayNode argv = process.putArray("args");
            args.forEach(argv::add);
            // Absolute: runc puts a relative path under its own cgroup, which is not ours.
            ((ObjectNode) config.get("linux")).put("cgroupsPath", cgroup);
            edit.accept(config);
            JSON.writerWithDefaultPrettyPrinter().writeValue(
                    dir.resolve("config.json").toFile(), config);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode edit(Path bundle, Consumer<ObjectNode> edit) {
        try {
            ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
            edit.accept(config);
            JSON.writeValue(bundle.resolve("config.json").toFile(), config);
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void removeTree(Path dir) {
        Command.of("rm", "-rf", dir.toString()).run().assertExit(0);
    }
}
