package jrunc.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import jrunc.linux.Capabilities;
import jrunc.linux.MountOptions;
import jrunc.linux.Namespaces;
import jrunc.linux.Seccomp;
import jrunc.spec.SpecLoader;
import picocli.CommandLine.Command;

/**
 * runtime-spec's features document (features.md), which containerd and CRI-O read to learn
 * what a runtime can do. Every list comes from the table jrunc itself checks a config.json
 * against, so it names exactly what create accepts.
 */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = "Print what jrunc supports, as runtime-spec's features JSON.")
final class FeaturesCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        ObjectNode f = SpecLoader.JSON.createObjectNode();
        f.put("ociVersionMin", "1.0.0").put("ociVersionMax", "1.0.2");
        strings(f, "hooks", List.of("prestart", "createRuntime", "createContainer",
                "startContainer", "poststart", "poststop"));
        strings(f, "mountOptions", MountOptions.supported());
        ObjectNode linux = f.putObject("linux");
        strings(linux, "namespaces", Namespaces.FLAGS.keySet().stream().sorted().toList());
        strings(linux, "capabilities", Capabilities.NUMBERS.entrySet().stream()
                .sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList());
        // cgroupfs paths on either version; no systemd driver (--systemd-cgroup is refused).
        linux.putObject("cgroup").put("v1", true).put("v2", true).put("systemd", false)
                .put("systemdUser", false);
        ObjectNode seccomp = linux.putObject("seccomp").put("enabled", seccompAvailable());
        strings(seccomp, "actions", Seccomp.ACTIONS.keySet().stream().sorted().toList());
        strings(seccomp, "operators", Seccomp.OPERATORS.keySet().stream().sorted().toList());
        strings(seccomp, "archs", Seccomp.ARCHITECTURES.stream().sorted().toList());
        strings(seccomp, "knownFlags", Seccomp.FLAGS.keySet().stream().sorted().toList());
        strings(seccomp, "supportedFlags", Seccomp.FLAGS.keySet().stream().sorted().toList());
        // jrunc applies no LSM profile or label (it refuses them where the LSM is enabled).
        linux.putObject("apparmor").put("enabled", false);
        linux.putObject("selinux").put("enabled", false);
        System.out.println(SpecLoader.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(f));
        return 0;
    }

    private static void strings(ObjectNode parent, String field, Collection<String> values) {
        ArrayNode array = parent.putArray(field);
        values.forEach(array::add);
    }

    /** Filters are compiled with libseccomp: without the library none can be loaded. */
    private static boolean seccompAvailable() {
        try {
            Seccomp.bind();
            return true;
        } catch (IllegalStateException | LinkageError e) {
            return false;
        }
    }
}
