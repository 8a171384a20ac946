package jrunc.linux;

import java.util.ArrayList;
import java.util.List;
import jrunc.spec.Spec;

/**
 * Which device nodes a container may open or create, as runc decides it. The cgroup starts
 * denying every device; config.json's linux.resources.devices rules apply in order, then the
 * standard allow-list below, which runc appends to every container whatever the config says.
 * Without this, a process with CAP_MKNOD makes a node for any disk and opens it.
 */
public final class DeviceRules {
    private DeviceRules() {}

    /** A devices cgroup rule; type 'a' (all), 'b' or 'c'; major/minor ANY is the "*" wildcard. */
    public record Rule(boolean allow, char type, long major, long minor, String access) {
        public static final long ANY = -1;

        /** The form devices.allow and devices.deny take: "c 1:3 rwm", or "a" for every device. */
        public String cgroupV1() {
            if (type == 'a') return "a";
            return type + " " + (major == ANY ? "*" : major) + ":" + (minor == ANY ? "*" : minor)
                    + " " + access;
        }

        boolean sameDevice(Rule other) {
            return type == other.type && major == other.major && minor == other.minor;
        }
    }

    private static Rule allowChar(long major, long minor, String access) {
        return new Rule(true, 'c', major, minor, access);
    }

    /** runc 1.1's AllowedDevices (libcontainer/specconv), in its order. */
    static final List<Rule> STANDARD = List.of(
            allowChar(Rule.ANY, Rule.ANY, "m"),                 // mknod of any char device
            new Rule(true, 'b', Rule.ANY, Rule.ANY, "m"),       // mknod of any block device
            allowChar(1, 3, "rwm"),                             // /dev/null
            allowChar(1, 8, "rwm"),                             // /dev/random
            allowChar(1, 7, "rwm"),                             // /dev/full
            allowChar(5, 0, "rwm"),                             // /dev/tty
            allowChar(1, 5, "rwm"),                             // /dev/zero
            allowChar(1, 9, "rwm"),                             // /dev/urandom
            allowChar(136, Rule.ANY, "rwm"),                    // /dev/pts/* (and /dev/console)
            allowChar(5, 2, "rwm"),                             // /dev/ptmx
            allowChar(10, 200, "rwm"));                         // /dev/net/tun

    /**
     * The rules to apply after denying everything: config.json's (null or empty: none) in
     * order, then {@link #STANDARD}. A missing type is 'a', a missing major or minor is "*",
     * a missing access is "rwm" (runc's reading of the runtime-spec).
     */
    public static List<Rule> forContainer(List<Spec.DeviceRule> fromSpec) {
        List<Rule> rules = new ArrayList<>();
        if (fromSpec != null) {
            for (Spec.DeviceRule r : fromSpec) {
                rules.add(new Rule(Boolean.TRUE.equals(r.allow()),
                        r.type() == null || r.type().isEmpty() ? 'a' : r.type().charAt(0),
                        r.major() == null || r.major() < 0 ? Rule.ANY : r.major(),
                        r.minor() == null || r.minor() < 0 ? Rule.ANY : r.minor(),
                        r.access() == null || r.access().isEmpty() ? "rwm" : r.access()));
            }
        }
        rules.addAll(STANDARD);
        return rules;
    }

    /**
     * What the rules amount to: a default verdict and exceptions to it, worked out the way the
     * v1 devices controller does when the same lines are written to devices.deny/devices.allow
     * one by one, starting from "deny a". cgroup v2 has no such controller, so its eBPF
     * program is built from this; both versions then give the same answers.
     */
    public record Policy(boolean defaultAllow, List<Rule> exceptions) {
        /** The kernel's rules (security/device_cgroup.c, devcgroup_update_access). */
        public static Policy of(List<Rule> rules) {
            boolean defaultAllow = false;
            List<Rule> exceptions = new ArrayList<>();
            for (Rule rule : rules) {
                if (rule.type() == 'a') {
                    // "a" resets: everything allowed (or denied), no exceptions left.
                    defaultAllow = rule.allow();
                    exceptions.clear();
                } else if (rule.allow() == defaultAllow) {
                    // A rule agreeing with the default takes its access away from an exception
                    // for exactly this type:major:minor (a wildcard exception is not narrowed).
                    remove(exceptions, rule);
                } else {
                    add(exceptions, rule);
                }
            }
            return new Policy(defaultAllow, List.copyOf(exceptions));
        }

        /** An exception for a device that already has one widens its access (the kernel merges). */
        private static void add(List<Rule> exceptions, Rule rule) {
            for (int i = 0; i < exceptions.size(); i++) {
                Rule e = exceptions.get(i);
                if (e.sameDevice(rule)) {
                    exceptions.set(i, new Rule(e.allow(), e.type(), e.major(), e.minor(),
                            union(e.access(), rule.access())));
                    return;
                }
            }
            exceptions.add(rule);
        }

        private static void remove(List<Rule> exceptions, Rule rule) {
            for (int i = exceptions.size() - 1; i >= 0; i--) {
                Rule e = exceptions.get(i);
                if (!e.sameDevice(rule)) continue;
                String left = e.access().replaceAll("[" + rule.access() + "]", "");
                if (left.isEmpty()) {
                    exceptions.remove(i);
                } else {
                    exceptions.set(i, new Rule(e.allow(), e.type(), e.major(), e.minor(), left));
                }
            }
        }

        private static String union(String a, String b) {
            StringBuilder out = new StringBuilder();
            for (char c : "rwm".toCharArray()) {
                if (a.indexOf(c) >= 0 || b.indexOf(c) >= 0) out.append(c);
            }
            return out.toString();
        }
    }
}
