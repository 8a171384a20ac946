package jrunc.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import jrunc.json.JsonWriter;
import jrunc.linux.Capabilities;
import jrunc.linux.MountOptions;
import jrunc.linux.Namespaces;
import jrunc.linux.Seccomp;
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
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("ociVersionMin", "1.0.0");
        f.put("ociVersionMax", "1.0.2");
        f.put("hooks", List.of("prestart", "createRuntime", "createContainer", "startContainer",
                "poststart", "poststop"));
        f.put("mountOptions", MountOptions.supported());
        Map<String, Object> linux = new LinkedHashMap<>();
        f.put("linux", linux);
        linux.put("namespaces", Namespaces.FLAGS.keySet().stream().sorted().toList());
        linux.put("capabilities", Capabilities.NUMBERS.entrySet().stream()
                .sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList());
        // cgroupfs paths on either version; no systemd driver (--systemd-cgroup is refused).
        Map<String, Object> cgroup = new LinkedHashMap<>();
        cgroup.put("v1", true);
        cgroup.put("v2", true);
        cgroup.put("systemd", false);
        cgroup.put("systemdUser", false);
        linux.put("cgroup", cgroup);
        Map<String, Object> seccomp = new LinkedHashMap<>();
        linux.put("seccomp", seccomp);
        seccomp.put("enabled", seccompAvailable());
        seccomp.put("actions", Seccomp.ACTIONS.keySet().stream().sorted().toList());
        seccomp.put("operators", Seccomp.OPERATORS.keySet().stream().sorted().toList());
        seccomp.put("archs", Seccomp.ARCHITECTURES.stream().sorted().toList());
        seccomp.put("knownFlags", Seccomp.FLAGS.keySet().stream().sorted().toList());
        seccomp.put("supportedFlags", Seccomp.FLAGS.keySet().stream().sorted().toList());
        // jrunc applies no LSM profile or label (it refuses them where the LSM is enabled).
        linux.put("apparmor", Map.of("enabled", false));
        linux.put("selinux", Map.of("enabled", false));
        System.out.println(JsonWriter.pretty(f));
        return 0;
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
