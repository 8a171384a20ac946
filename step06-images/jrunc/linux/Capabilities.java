package jrunc.linux;

import com.sun.jna.Memory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Capability names and the five sets a process gets (capabilities(7)). */
public final class Capabilities {
    static final String[] NAMES = {"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER",
            "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
            "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK",
            "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
            "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG",
            "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
            "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON",
            "BPF", "CHECKPOINT_RESTORE"};
    public static final Map<String, Integer> NUMBERS = new TreeMap<>();

    static {
        for (int i = 0; i < NAMES.length; i++) NUMBERS.put("CAP_" + NAMES[i], i);
    }

    private Capabilities() {}

    /** The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
    public static int lastCap() {
        try {
            return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/kernel/cap_last_cap")).get(0).trim());
        } catch (Exception e) {
            return NAMES.length - 1;
        }
    }

    /** This process's bounding set (CapBnd in /proc/self/status): what any child can get. */
    public static long boundingSet() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapBnd:")) return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("read /proc/self/status: " + e.getMessage(), e);
        }
        return -1;
    }

    /** The first of names that is not in the bounding set, or null. */
    public static String missingFrom(long bounding, List<String> names) {
        if (names == null) return null;
        for (String name : names) if ((bounding & (1L << NUMBERS.get(name))) == 0) return name;
        return null;
    }

    public static boolean isAmbientPossible(String name, List<String> permitted,
            List<String> inheritable) {
        return permitted != null && permitted.contains(name) && inheritable != null
                && inheritable.contains(name);
    }

    /** Bit mask of the named capabilities; names were validated already. */
    static long mask(List<String> names) {
        long mask = 0;
        if (names != null) for (String name : names) mask |= 1L << NUMBERS.get(name);
        return mask;
    }

    // tag::drop-bounding[]
    /** Bounding set first: it caps what execve can ever grant. */
    public static void limitBounding(List<String> keep, int lastCap) {
        long wanted = mask(keep);
        for (int cap = 0; cap <= lastCap; cap++) {
            if ((wanted & (1L << cap)) == 0) {
                LibC.check(LibC.C.prctl(LibC.PR_CAPBSET_DROP, cap, 0, 0, 0),
                        "prctl PR_CAPBSET_DROP", "cap " + cap);
            }
        }
    }
    // end::drop-bounding[]

    /** capset(2) for this thread: effective, permitted, inheritable (64-bit, version 3). */
    public static void set(List<String> effective, List<String> permitted,
            List<String> inheritable) {
        long e = mask(effective), p = mask(permitted), i = mask(inheritable);
        Memory header = new Memory(8);
        header.setInt(0, 0x20080522); // _LINUX_CAPABILITY_VERSION_3
        header.setInt(4, 0);
        Memory data = new Memory(24);
        data.setInt(0, (int) e);
        data.setInt(4, (int) p);
        data.setInt(8, (int) i);
        data.setInt(12, (int) (e >>> 32));
        data.setInt(16, (int) (p >>> 32));
        data.setInt(20, (int) (i >>> 32));
        LibC.check(LibC.C.syscall(Syscall.capset.number(), header, data), "capset",
                "effective=" + effective + " permitted=" + permitted);
    }

    /**
     * Ambient capabilities survive execve of unprivileged programs. The kernel only raises
     * one that is also permitted and inheritable; like runc, jrunc skips the others silently
     * (runc's own default spec asks for three it cannot raise).
     */
    public static void raiseAmbient(List<String> ambient, List<String> permitted,
            List<String> inheritable) {
        if (ambient == null) return;
        for (String name : ambient) {
            if (!isAmbientPossible(name, permitted, inheritable)) continue;
            LibC.check(LibC.C.prctl(LibC.PR_CAP_AMBIENT, LibC.PR_CAP_AMBIENT_RAISE,
                    NUMBERS.get(name), 0, 0), "prctl PR_CAP_AMBIENT_RAISE", name,
                    errno -> "an ambient capability must also be permitted and inheritable");
        }
    }
}
