import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json mapped onto steps 02-04, in-process: flags, mounts, limits, and refusals. */
class BundleTest {
    @TempDir Path bundle;

    Bundle read(ObjectNode config) {
        Step05.write(bundle, config);
        return Bundle.read(bundle);
    }

    String refusal(ObjectNode config) {
        Step05.write(bundle, config);
        return assertThrows(Bundle.ConfigException.class, () -> Bundle.read(bundle)).getMessage();
    }

    @Test
    void theDefaultSpecIsStep04sContainer() {
        Bundle b = read(Step05.defaultConfig(bundle));

        assertEquals(LibC.CLONE_NEWNS | LibC.CLONE_NEWUTS | LibC.CLONE_NEWIPC | LibC.CLONE_NEWPID
                | LibC.CLONE_NEWNET, b.namespaces());
        assertEquals(new Cgroups.Limits(64L << 20, null, 64L), b.limits());
        assertEquals(List.of("sh"), b.args());
        assertEquals("step05", b.hostname());
        assertEquals(List.of(), b.warnings());
        Bundle.Mount sys = b.mounts().get(5);
        assertEquals(new Bundle.Mount("sysfs", "/sys", "sysfs", LibC.MS_NOSUID | LibC.MS_NOEXEC
                | LibC.MS_NODEV | LibC.MS_RDONLY, null), sys);
        Bundle.Mount dev = b.mounts().get(1);
        assertEquals(LibC.MS_NOSUID | LibC.MS_STRICTATIME, dev.flags());
        assertEquals("mode=755,size=65536k", dev.data());
        Bundle.Mount shared = b.mounts().get(6);
        assertEquals(LibC.MS_BIND | LibC.MS_REC, shared.flags(), "rbind, rw");
    }

    @Test
    void cpuQuotaOverPeriodIsStep04sShareOfACpu() {
        ObjectNode config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.get("linux").get("resources")).putObject("cpu")
                .put("quota", 25_000).put("period", 50_000);
        assertEquals(0.5, read(config).limits().cpus());
    }

    @Test
    void aRelativeCgroupsPathIsUnderTheHierarchyRootNotOurOwnCgroup() {
        ObjectNode config = Step05.defaultConfig(bundle);
        ObjectNode linux = (ObjectNode) config.get("linux");
        linux.put("cgroupsPath", "team/web");
        assertEquals("/team/web", read(config).cgroupsPath());
        linux.put("cgroupsPath", "/team/web");
        assertEquals("/team/web", read(config).cgroupsPath());
        linux.put("cgroupsPath", "/a/b/c");
        assertEquals("linux.cgroupsPath \"/a/b/c\": step05 takes /PARENT/NAME, under the root of"
                + " each cgroup hierarchy (jrunc takes any depth)", refusal(config));
        linux.put("cgroupsPath", "../escape");
        assertEquals("linux.cgroupsPath \"../escape\": step05 takes /PARENT/NAME, under the root"
                + " of each cgroup hierarchy (jrunc takes any depth)", refusal(config));
    }

    @Test
    void unknownButHarmlessFieldsAreWarnedAbout() {
        ObjectNode config = Step05.defaultConfig(bundle);
        config.put("vendorExtension", 1);
        ((ObjectNode) config.get("process")).putObject("consoleSize").put("height", 24);
        assertEquals(List.of("process.consoleSize: unknown to step05, ignored",
                "vendorExtension: unknown to step05, ignored"), read(config).warnings());
    }

    @Test
    void refusalsNameTheField() {
        ObjectNode config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.get("linux").get("resources").get("memory")).put("swap", 1);
        assertEquals("linux.resources.memory.swap: not handled by step05 (jrunc handles it)",
                refusal(config));

        config = Step05.defaultConfig(bundle);
        config.withArray("/linux/namespaces").addObject().put("type", "user");
        assertEquals("linux.namespaces[5].type \"user\": not handled by step05 (jrunc handles it)",
                refusal(config));

        config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.withArray("/mounts").get(0)).put("type", "cgroup");
        assertEquals("mounts[0].type cgroup: not handled by step05 (jrunc handles it)",
                refusal(config));

        config = Step05.defaultConfig(bundle);
        config.withArray("/mounts").remove(0);
        assertEquals("mounts: no proc mount at /proc; step05 needs one (the init reopens"
                + " exec.fifo through /proc/self/fd)", refusal(config));

        config = Step05.defaultConfig(bundle);
        config.withArray("/linux/namespaces").remove(3);
        assertEquals("hostname \"step05\": setting it needs a uts namespace in linux.namespaces"
                + " (else it would rename the host)", refusal(config));

        config = Step05.defaultConfig(bundle);
        config.withArray("/linux/namespaces").remove(4);
        assertEquals("linux.namespaces: no \"mount\" namespace; step05 needs one (it pivots the"
                + " root, which must not happen on the host)", refusal(config));

        config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.get("process")).put("terminal", true);
        assertEquals("process.terminal true: not handled by step05, which has no console (jrunc"
                + " handles it with --console-socket)", refusal(config));

        config = Step05.defaultConfig(bundle);
        ((ObjectNode) config.get("linux").get("resources").get("memory")).put("limit", "64m");
        assertEquals("linux.resources.memory.limit: expected an integer, got string \"64m\"",
                refusal(config));
    }

    @Test
    void aDuplicateKeyIsInvalidJson() {
        Step05.write(bundle, "{\"ociVersion\": \"1.0.2\", \"ociVersion\": \"1.0.2\"}");
        String message = assertThrows(Bundle.ConfigException.class, () -> Bundle.read(bundle))
                .getMessage();
        assertEquals(bundle.resolve("config.json") + ": invalid JSON at line 1, column 37:"
                + " Duplicate field 'ociVersion'", message);
    }
}
