package jrunc.runtime;

import com.sun.jna.Memory;
import com.sun.jna.StringArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.sun.jna.Memory;
import com.sun.jna.StringArray;
import jrunc.linux.Capabilities;
import jrunc.linux.LibC;
import jrunc.linux.Rlimits;
import jrunc.linux.Syscall;
import jrunc.linux.Seccomp;
import jrunc.spec.Spec;

/**
 * The last steps before the user's program replaces the init: credentials, capabilities,
 * limits, and the three things a JVM would leak into it. Runs after pivot_root, so only
 * already-bound JNA calls and classes loaded earlier.
 */
public final class ContainerProcess {
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private ContainerProcess() {}

    /**
     * process.env, plus HOME from the container's /etc/passwd when the config does not set
     * it ("/" for a user without an entry), as runc does. Read before pivot_root: passwd is
     * the container's file at a host path then.
     */
    public static String[] environment(Spec.Process p, Path passwd) {
        List<String> env = new ArrayList<>(p.env() == null ? List.of() : p.env());
        if (env.stream().noneMatch(e -> e.startsWith("HOME="))) {
            long uid = p.user() == null || p.user().uid() == null ? 0 : p.user().uid();
            String home = "/";
            try {
                for (String line : Files.readAllLines(passwd)) {
                    String[] f = line.split(":");
                    if (f.length > 5 && f[2].equals(Long.toString(uid))) {
                        home = f[5];
                        break;
                    }
                }
            } catch (IOException | RuntimeException noPasswd) {
                // no readable /etc/passwd: HOME=/
            }
            env.add("HOME=" + home);
        }
        return env.toArray(new String[0]);
    }

    /** Finds args[0] the way execvp would, with the PATH of process.env. */
    public static String resolve(Spec.Process p) {
        String name = p.args().get(0);
        if (name.contains("/")) {
            if (LibC.C.access(name, LibC.F_OK) != 0) {
                throw new JruncException(127, "exec: " + name + ": no such file or directory"
                        + " in the container (process.args[0])");
            }
            return name;
        }
        String path = DEFAULT_PATH;
        if (p.env() != null) {
            for (String e : p.env()) if (e.startsWith("PATH=")) path = e.substring(5);
        }
        for (String dir : path.split(":")) {
            String candidate = dir + "/" + name;
            if (LibC.C.access(candidate, LibC.X_OK) == 0) return candidate;
        }
        throw new JruncException(127, "exec: \"" + name + "\": executable file not found in"
                + " $PATH (" + path + ") (process.args[0])");
    }

    // tag::credentials[]
    /**
     * Bounding set, groups, gid, uid — in the order the kernel allows them — keeping the
     * permitted set across the switch away from uid 0. Limits that need raising go first,
     * while we may still have CAP_SYS_RESOURCE; lowering waits until just before execve.
     */
    public static void becomeUser(Spec.Process p, int lastCap) {
        setLimits(p, true);
        Spec.Capabilities caps = p.capabilities();
        if (caps != null) Capabilities.limitBounding(caps.bounding(), lastCap);
        Spec.User user = p.user();
        // uid_t and gid_t are unsigned 32-bit: intValue() passes the bits of 3000000000 on.
        int uid = user == null || user.uid() == null ? 0 : user.uid().intValue();
        int gid = user == null || user.gid() == null ? 0 : user.gid().intValue();
        List<Long> groups = user == null || user.additionalGids() == null
                ? List.of() : user.additionalGids();
        int[] gids = groups.stream().mapToInt(Long::intValue).toArray();
        LibC.check(LibC.C.setgroups(gids.length, gids), "setgroups", groups.toString());
        LibC.check(LibC.C.prctl(LibC.PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl", "PR_SET_KEEPCAPS");
        LibC.check(LibC.C.setresgid(gid, gid, gid), "setresgid", Integer.toUnsignedString(gid));
        LibC.check(LibC.C.setresuid(uid, uid, uid), "setresuid", Integer.toUnsignedString(uid));
    }

    /**
     * Then the capability sets and no_new_privs: what the process will have, from now on
     * (but see {@link #permittedUntilSeccomp}).
     */
    public static void restrictCapabilities(Spec.Process p, boolean seccomp) {
        LibC.check(LibC.C.prctl(LibC.PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl", "PR_SET_KEEPCAPS");
        Spec.Capabilities caps = p.capabilities();
        if (caps != null) {
            Capabilities.set(caps.effective(), permittedUntilSeccomp(p, seccomp), caps.inheritable());
            Capabilities.raiseAmbient(caps.ambient(), caps.permitted(), caps.inheritable());
        }
        if (Boolean.TRUE.equals(p.noNewPrivileges())) {
            LibC.check(LibC.C.prctl(LibC.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl",
                    "PR_SET_NO_NEW_PRIVS");
        }
    }
    // end::credentials[]

    /**
     * chdir to process.cwd as the container's user, then make sure we landed inside the
     * container: a cwd such as /proc/self/fd/N could name a directory fd of the host's (the
     * CVE-2024-21626 class), and glibc's getcwd fails with ENOENT for a cwd outside our root.
     */
    // tag::verify-cwd[]
    public static void changeDirectory(String cwd) {
        LibC.check(LibC.C.chdir(cwd), "chdir", cwd + " (process.cwd)");
        byte[] buffer = new byte[4096];
        if (LibC.C.getcwd(buffer, buffer.length) == null) {
            int errno = com.sun.jna.Native.getLastError();
            throw new LibC.SyscallException("getcwd after chdir", cwd + " (process.cwd)", errno,
                    errno == LibC.ENOENT ? "process.cwd leads outside the container's root"
                    + " file system: give a path inside it" : null);
        }
    }
    // end::verify-cwd[]

    /** process.rlimits that raise the current hard limit: set now, while we may. */
    static void setLimits(Spec.Process p, boolean raising) {
        limits(p, true).forEach((type, l) -> Rlimits.set(type, l[0], l[1]));
    }

    /** process.rlimits that raise (raising = true) or do not raise the current hard limit. */
    static Map<String, long[]> limits(Spec.Process p, boolean raising) {
        Map<String, long[]> limits = new LinkedHashMap<>();
        if (p.rlimits() == null) return limits;
        for (Spec.Rlimit r : p.rlimits()) {
            long hard = r.hard().longValue();
            if (Long.compareUnsigned(hard, Rlimits.hardLimit(r.type())) > 0 == raising) {
                limits.put(r.type(), new long[] {r.soft().longValue(), hard});
            }
        }
        return limits;
    }

    /**
     * Without no_new_privs the kernel loads a seccomp filter only for a thread with
     * CAP_SYS_ADMIN in effect. runc loads the filter before it drops capabilities and then
     * runs its remaining steps under it; a JVM needs far more calls than a filter may allow,
     * so jrunc keeps CAP_SYS_ADMIN in the permitted set only (not in effect) while it waits
     * for start, raises it for the load alone and drops it right after (see loadFilter).
     */
    static List<String> permittedUntilSeccomp(Spec.Process p, boolean seccomp) {
        List<String> permitted = p.capabilities().permitted();
        return seccomp && !Boolean.TRUE.equals(p.noNewPrivileges())
                ? withSysAdmin(permitted) : permitted;
    }

    static List<String> withSysAdmin(List<String> capabilities) {
        List<String> more = new ArrayList<>(capabilities == null ? List.of() : capabilities);
        more.add("CAP_SYS_ADMIN");
        return more;
    }

    // tag::seccomp-load[]
    /**
     * Last before execve: from here on the filter judges this JVM too, which then makes
     * only capset (without no_new_privs) and execve.
     */
    static void loadFilter(Seccomp filter, Spec.Process p) {
        Spec.Capabilities caps = p.capabilities();
        boolean privileged = caps != null && !Boolean.TRUE.equals(p.noNewPrivileges());
        if (privileged) { // the kernel's rule: no_new_privs or CAP_SYS_ADMIN in effect
            Capabilities.set(withSysAdmin(caps.effective()),
                    withSysAdmin(caps.permitted()), caps.inheritable());
        }
        filter.load();
        if (privileged) {
            Capabilities.set(caps.effective(), caps.permitted(), caps.inheritable());
        }
    }
    // end::seccomp-load[]

    // tag::exec[]
    /**
     * execve with the JVM's leftovers cleaned; returns only by throwing. The other limits
     * come last, with everything execve needs in native memory already: under a small
     * RLIMIT_AS, RLIMIT_DATA or RLIMIT_NPROC this JVM can no longer map memory or start
     * a thread, and the new program is checked against them from its first page on.
     * The filter comes after the limits, as in runc, so that it never judges setrlimit.
     */
    public static void exec(String program, Spec.Process p, String[] env, int keepFds,
            Seccomp filter) {
        Spec.User user = p.user();
        LibC.C.umask(user == null || user.umask() == null ? 0022 : user.umask());
        LibC.check(LibC.C.sigprocmask(LibC.SIG_SETMASK, LibC.emptySignalSet(), null),
                "sigprocmask", "SIG_SETMASK");
        LibC.check(LibC.C.syscall(Syscall.close_range.number(), 3 + keepFds, -1,
                LibC.CLOSE_RANGE_CLOEXEC), "close_range", (3 + keepFds) + "..~0");
        Rlimits.Prepared limits = Rlimits.Prepared.of(limits(p, false));
        Memory path = LibC.cString(program);
        StringArray argv = new StringArray(p.args().toArray(new String[0]), "UTF-8");
        StringArray envp = new StringArray(env, "UTF-8");
        int errno = limits.apply();
        String failed = "setrlimit (process.rlimits) before exec " + program;
        if (errno == 0) {
            if (filter != null) loadFilter(filter, p);
            LibC.C.execve(path, argv, envp);
            errno = com.sun.jna.Native.getLastError();
            failed = "exec " + program;
        }
        throw new JruncException(errno == LibC.ENOENT ? 127 : 126, failed + ": "
                + LibC.C.strerrorname_np(errno) + " (" + LibC.C.strerror(errno) + ")");
    }
    // end::exec[]
}
