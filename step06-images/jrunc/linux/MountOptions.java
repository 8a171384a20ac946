package jrunc.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A mount's "options" list split the way mount(8) and runc split it: words that are flags of
 * mount(2), words that change propagation afterwards, and the rest, which is the
 * filesystem's own data string ("mode=755,size=65536k"). tmpcopyup (podman adds it to every
 * tmpfs) asks for the destination's files to be copied into the new tmpfs.
 */
public record MountOptions(long flags, List<Long> propagation, String data, boolean copyUp) {
    /** word → {flag to set, flag to clear}: a later word wins ("ro,rw" is read-write). */
    static final Map<String, long[]> FLAGS = Map.ofEntries(
            Map.entry("defaults", new long[] {0, 0}),
            Map.entry("ro", new long[] {LibC.MS_RDONLY, 0}),
            Map.entry("rw", new long[] {0, LibC.MS_RDONLY}),
            Map.entry("suid", new long[] {0, LibC.MS_NOSUID}),
            Map.entry("nosuid", new long[] {LibC.MS_NOSUID, 0}),
            Map.entry("dev", new long[] {0, LibC.MS_NODEV}),
            Map.entry("nodev", new long[] {LibC.MS_NODEV, 0}),
            Map.entry("exec", new long[] {0, LibC.MS_NOEXEC}),
            Map.entry("noexec", new long[] {LibC.MS_NOEXEC, 0}),
            Map.entry("sync", new long[] {LibC.MS_SYNCHRONOUS, 0}),
            Map.entry("async", new long[] {0, LibC.MS_SYNCHRONOUS}),
            Map.entry("dirsync", new long[] {LibC.MS_DIRSYNC, 0}),
            Map.entry("remount", new long[] {LibC.MS_REMOUNT, 0}),
            Map.entry("mand", new long[] {LibC.MS_MANDLOCK, 0}),
            Map.entry("nomand", new long[] {0, LibC.MS_MANDLOCK}),
            Map.entry("atime", new long[] {0, LibC.MS_NOATIME}),
            Map.entry("noatime", new long[] {LibC.MS_NOATIME, 0}),
            Map.entry("diratime", new long[] {0, LibC.MS_NODIRATIME}),
            Map.entry("nodiratime", new long[] {LibC.MS_NODIRATIME, 0}),
            Map.entry("bind", new long[] {LibC.MS_BIND, 0}),
            Map.entry("rbind", new long[] {LibC.MS_BIND | LibC.MS_REC, 0}),
            Map.entry("relatime", new long[] {LibC.MS_RELATIME, 0}),
            Map.entry("norelatime", new long[] {0, LibC.MS_RELATIME}),
            Map.entry("strictatime", new long[] {LibC.MS_STRICTATIME, 0}),
            Map.entry("nostrictatime", new long[] {0, LibC.MS_STRICTATIME}),
            Map.entry("lazytime", new long[] {LibC.MS_LAZYTIME, 0}),
            Map.entry("nolazytime", new long[] {0, LibC.MS_LAZYTIME}),
            Map.entry("silent", new long[] {LibC.MS_SILENT, 0}),
            Map.entry("loud", new long[] {0, LibC.MS_SILENT}),
            Map.entry("nosymfollow", new long[] {LibC.MS_NOSYMFOLLOW, 0}),
            Map.entry("symfollow", new long[] {0, LibC.MS_NOSYMFOLLOW}));
    static final Map<String, Long> PROPAGATION = Map.of(
            "private", LibC.MS_PRIVATE, "rprivate", LibC.MS_PRIVATE | LibC.MS_REC,
            "shared", LibC.MS_SHARED, "rshared", LibC.MS_SHARED | LibC.MS_REC,
            "slave", LibC.MS_SLAVE, "rslave", LibC.MS_SLAVE | LibC.MS_REC,
            "unbindable", LibC.MS_UNBINDABLE, "runbindable", LibC.MS_UNBINDABLE | LibC.MS_REC);
    /** Options runc knows that jrunc does not implement; rejected by name. */
    public static final List<String> UNSUPPORTED = List.of("idmap", "ridmap",
            "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec",
            "rnoatime", "ratime", "rrelatime", "rnorelatime", "rstrictatime", "rnostrictatime",
            "rnosymfollow", "rsymfollow", "rnodiratime", "rdiratime");

    public static MountOptions parse(List<String> options) {
        long flags = 0;
        List<Long> propagation = new ArrayList<>();
        List<String> data = new ArrayList<>();
        boolean copyUp = false;
        if (options != null) {
            for (String option : options) {
                long[] flag = FLAGS.get(option);
                if (option.equals(COPY_UP)) {
                    copyUp = true;
                } else if (flag != null) {
                    flags = (flags & ~flag[1]) | flag[0];
                } else if (PROPAGATION.containsKey(option)) {
                    propagation.add(PROPAGATION.get(option));
                } else if (UNSUPPORTED.contains(option)) {
                    throw new IllegalArgumentException("mount option " + option
                            + " is not supported by jrunc");
                } else {
                    data.add(option);
                }
            }
        }
        return new MountOptions(flags, propagation, String.join(",", data), copyUp);
    }

    static final String COPY_UP = "tmpcopyup";

    /** Every option word jrunc implements ("features" lists them), sorted. */
    public static List<String> supported() {
        List<String> all = new ArrayList<>(FLAGS.keySet());
        all.addAll(PROPAGATION.keySet());
        all.add(COPY_UP);
        all.sort(null);
        return all;
    }

    public boolean isBind() {
        return (flags & LibC.MS_BIND) != 0;
    }
}
