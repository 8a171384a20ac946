import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Privileged;

/**
 * Bad input, as runc answers it: a message that names the JSON field or the id, exit status
 * 1, and nothing left behind (the leak check after the class: no state directory, cgroup or
 * mount; each create's init is gone because create reaps it on failure).
 */
@ExtendWith(Step05.NothingLeaks.class)
class Step05ErrorsTest {
    @TempDir Path bundle;

    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
    }

    /** create with this config.json: refused with exit 1; returns stderr. */
    String refused(String configJson) {
        Step05.write(bundle, configJson);
        var result = Step05.create(bundle, "--bundle", bundle.toString(), "t5-bad").assertExit(1);
        Step05.assertGone("t5-bad");
        return result.stderr();
    }

    String refused(ObjectNode config) {
        return refused(config.toPrettyString());
    }

    @Test
    void invalidJsonNamesTheLineAndColumn() {
        String stderr = refused("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\"args\": [\"sh\",]}\n}");
        assertTrue(stderr.startsWith("step05: " + bundle.resolve("config.json")
                + ": invalid JSON at line 3, column "), stderr);
    }

    @Test
    void aMissingRequiredFieldIsNamed() {
        ObjectNode config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.get("process")).remove("args");
        assertEquals("step05: process.args: missing (required)\n", refused(config));
    }

    @Test
    void aWrongTypeIsNamedWithWhatWasExpected() {
        ObjectNode config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.get("process")).put("args", "sh -c date");
        assertEquals("step05: process.args: expected an array of strings, got string"
                + " \"sh -c date\"\n", refused(config));
    }

    @Test
    void anUnknownNamespaceTypeIsNamed() {
        ObjectNode config = Step05.defaultConfig(bundle);
        config.withArray("/linux/namespaces").addObject().put("type", "uts2");
        assertEquals("step05: linux.namespaces[5].type \"uts2\": not a namespace type (mount,"
                + " uts, ipc, pid, network, user, cgroup, time)\n", refused(config));
    }

    @Test
    void joiningANamespaceByPathIsForJrunc() {
        ObjectNode config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.withArray("/linux/namespaces").get(1)).put("path", "/proc/1/ns/net");
        assertEquals("step05: linux.namespaces[1].path: joining an existing namespace is not"
                + " supported in step05, see jrunc\n", refused(config));
    }

    @Test
    void fieldsThatWouldChangeBehaviourAreRefusedByName() {
        ObjectNode config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.get("process")).putObject("capabilities").putArray("bounding");
        assertEquals("step05: process.capabilities: not handled by step05 (jrunc handles it)\n",
                refused(config));
    }

    @Test
    void aCommandNotFoundFailsCreateAfterThePivotAndLeavesNothing() {
        ObjectNode config = Step05.defaultConfig(bundle);
        Step05.args(config, "no-such-command");
        String stderr = refused(config);
        assertTrue(stderr.startsWith("step05: process.args[0] no-such-command: not found in PATH"
                + " inside "), stderr);
    }

    @Test
    void aDuplicateIdIsRefusedAndTheFirstContainerStays() {
        ObjectNode config = Step05.defaultConfig(bundle);
        Step05.args(config, "true");
        Step05.write(bundle, config);
        Step05.create(bundle, "--bundle", bundle.toString(), "t5-dup").assertExit(0);
        try {
            var second = Step05.create(bundle, "--bundle", bundle.toString(), "t5-dup").assertExit(1);
            assertTrue(second.stderr().startsWith("step05: container t5-dup already exists"),
                    second.stderr());
            assertEquals("created", Step05.status("t5-dup"));
        } finally {
            Step05.step05("delete", "t5-dup").run().assertExit(0);
        }
    }

    @Test
    void anUnknownIdIsNamedByEveryCommand() {
        for (String command : new String[] {"start", "state", "kill", "delete"}) {
            var result = Step05.step05(command, "t5-nobody").run().assertExit(1);
            assertEquals("step05: container t5-nobody does not exist (no "
                    + Step05.ROOT.resolve("t5-nobody/state.json") + ")\n", result.stderr());
        }
    }

    @Test
    void unknownCommandsOptionsAndSignalsAreUsageErrors() {
        assertTrue(Step05.step05("pause", "x").run().assertExit(1).stderr()
                .startsWith("step05: unknown command pause\n\nUsage: "));
        assertTrue(Step05.step05("delete", "--now", "x").run().assertExit(1).stderr()
                .startsWith("step05: delete: unknown option --now\n"));
        assertEquals("step05: kill: unknown signal SIGNOPE (a name such as TERM, SIGKILL, or a"
                + " number from 1 to 64)\n", Step05.step05("kill", "x", "SIGNOPE").run()
                .assertExit(1).stderr());
    }
}
