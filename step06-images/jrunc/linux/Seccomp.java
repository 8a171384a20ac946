package jrunc.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A seccomp filter, compiled by libseccomp (the library runc, crun and podman use) through
 * JNA. The kernel runs the filter, a BPF program, on every system call of the thread that
 * loaded it and of everything it execs; it sees the call's number, the architecture and the
 * six arguments, and answers with an action. Build with {@link #create}, {@link #addRule} and
 * friends, then {@link #load}: only that last call needs the process to be ready for it.
 */
public final class Seccomp implements AutoCloseable {
    /** Actions by their runtime-spec name; ERRNO and TRACE carry an errno in the low 16 bits. */
    public static final Map<String, Integer> ACTIONS = Map.of(
            "SCMP_ACT_KILL", 0x00000000, // the thread, as runc 1.1 reads it
            "SCMP_ACT_KILL_THREAD", 0x00000000,
            "SCMP_ACT_KILL_PROCESS", 0x80000000,
            "SCMP_ACT_TRAP", 0x00030000,
            "SCMP_ACT_ERRNO", 0x00050000,
            "SCMP_ACT_TRACE", 0x7ff00000,
            "SCMP_ACT_LOG", 0x7ffc0000,
            "SCMP_ACT_ALLOW", 0x7fff0000);

    /** enum scmp_compare. */
    public static final Map<String, Integer> OPERATORS = Map.of("SCMP_CMP_NE", 1,
            "SCMP_CMP_LT", 2, "SCMP_CMP_LE", 3, "SCMP_CMP_EQ", 4, "SCMP_CMP_GE", 5,
            "SCMP_CMP_GT", 6, "SCMP_CMP_MASKED_EQ", 7);

    /** runtime-spec names; libseccomp's are the same in lower case without SCMP_ARCH_. */
    public static final List<String> ARCHITECTURES = List.of("SCMP_ARCH_X86", "SCMP_ARCH_X86_64",
            "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",
            "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
            "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
            "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
            "SCMP_ARCH_RISCV64");

    /** The filter flags jrunc passes on, each as the libseccomp attribute that sets it. */
    public static final Map<String, Integer> FLAGS = Map.of(
            "SECCOMP_FILTER_FLAG_TSYNC", 4, // SCMP_FLTATR_CTL_TSYNC: every thread, not just ours
            "SECCOMP_FILTER_FLAG_LOG", 6, // SCMP_FLTATR_CTL_LOG: log every action but ALLOW
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 7); // SCMP_FLTATR_CTL_SSB: keep Spectre mitigation off

    public static final int DEFAULT_ERRNO = LibC.EPERM; // runc's errno for ERRNO and TRACE

    private static final int ATTR_NNP = 3; // SCMP_FLTATR_CTL_NNP

    /** Where Debian, Ubuntu and Fedora keep the library; loaded by path, so JNA runs no ldconfig. */
    static final List<String> LIBRARY = List.of("/usr/lib/" + multiarch() + "/libseccomp.so.2",
            "/lib/" + multiarch() + "/libseccomp.so.2", "/usr/lib64/libseccomp.so.2");

    /** Debian's and Ubuntu's library folder for this machine, e.g. x86_64-linux-gnu. */
    static String multiarch() {
        String arch = System.getProperty("os.arch");
        return (arch.equals("amd64") ? "x86_64" : arch) + "-linux-gnu";
    }

    /** libseccomp, bound by direct mapping: every symbol is resolved at {@link #bind}. */
    static final class Lib {
        static native Pointer seccomp_init(int defaultAction);

        static native int seccomp_arch_resolve_name(String name);

        static native int seccomp_arch_add(Pointer ctx, int arch);

        static native int seccomp_attr_set(Pointer ctx, int attribute, int value);

        /** Returns the native number, or a negative pseudo number libseccomp maps per arch. */
        static native int seccomp_syscall_resolve_name(String name);

        static native int seccomp_rule_add_array(Pointer ctx, int action, int syscall,
                int count, Pointer conditions);

        static native int seccomp_load(Pointer ctx);

        static native int seccomp_export_bpf(Pointer ctx, int fd);

        static native void seccomp_release(Pointer ctx);
    }

    private static String bound;

    private Pointer ctx;

    private Seccomp(Pointer ctx) {
        this.ctx = ctx;
    }

    /**
     * Loads libseccomp and binds every function of {@link Lib}; must run while the host's
     * library directory is still reachable (before pivot_root). Returns the library's path.
     */
    public static synchronized String bind() {
        if (bound != null) return bound;
        for (String path : LIBRARY) {
            if (!Files.exists(Path.of(path))) continue;
            try {
                Native.register(Lib.class, NativeLibrary.getInstance(path));
            } catch (UnsatisfiedLinkError e) {
                throw new IllegalStateException("cannot load " + path + ": " + e.getMessage()
                        + "\n  hint: apt-get install --reinstall libseccomp2");
            }
            bound = path;
            return path;
        }
        throw new IllegalStateException("libseccomp.so.2 not found in " + String.join(", ", LIBRARY)
                + ": jrunc compiles seccomp filters with it\n  hint: apt-get install libseccomp2");
    }

    /** A filter for the native architecture whose answer to every other call is defaultAction. */
    public static Seccomp create(String defaultAction, Long errnoRet) {
        bind();
        Pointer ctx = Lib.seccomp_init(action(defaultAction, errnoRet));
        if (ctx == null) throw new IllegalStateException("seccomp_init " + defaultAction + " failed");
        Seccomp filter = new Seccomp(ctx);
        // libseccomp would set no_new_privs itself on load; the config decides that.
        filter.check(Lib.seccomp_attr_set(ctx, ATTR_NNP, 0), "seccomp_attr_set", "SCMP_FLTATR_CTL_NNP");
        return filter;
    }

    /** The action word: ERRNO and TRACE with errnoRet in the low bits (EPERM if none). */
    public static int action(String name, Long errnoRet) {
        int action = ACTIONS.get(name);
        if (name.equals("SCMP_ACT_ERRNO") || name.equals("SCMP_ACT_TRACE")) {
            action |= (int) ((errnoRet == null ? DEFAULT_ERRNO : errnoRet) & 0xffff);
        }
        return action;
    }

    /** Calls of another architecture (x86 and x32 programs run on x86_64 too, arm on aarch64). */
    public void addArchitecture(String name) {
        String libseccompName = name.substring("SCMP_ARCH_".length()).toLowerCase();
        int arch = Lib.seccomp_arch_resolve_name(libseccompName);
        if (arch == 0) throw new IllegalArgumentException("unknown architecture " + name);
        int rc = Lib.seccomp_arch_add(ctx, arch);
        if (rc != -LibC.EEXIST) check(rc, "seccomp_arch_add", name); // the native one is in already
    }

    public void setFlag(String flag) {
        check(Lib.seccomp_attr_set(ctx, FLAGS.get(flag), 1), "seccomp_attr_set", flag);
    }

    /** One argument condition: args[index] op value (MASKED_EQ: args[index] &amp; value == valueTwo). */
    public record Condition(int index, String op, long value, long valueTwo) {}

    // tag::seccomp-rule[]
    /**
     * syscall gets action when all conditions hold. Returns false for a name libseccomp does
     * not know: the kernel may lack the call, so runc skips it too.
     */
    public boolean addRule(String syscall, int action, List<Condition> conditions) {
        int number = Lib.seccomp_syscall_resolve_name(syscall);
        if (number == -1) return false; // __NR_SCMP_ERROR
        check(Lib.seccomp_rule_add_array(ctx, action, number, conditions.size(),
                argCompares(conditions)), "seccomp_rule_add_array", syscall);
        return true;
    }
    // end::seccomp-rule[]

    /** struct scmp_arg_cmp[]: arg and op (4 bytes each), datum_a and datum_b (8 each). */
    static Memory argCompares(List<Condition> conditions) {
        if (conditions.isEmpty()) return null;
        Memory args = new Memory(24L * conditions.size());
        for (int i = 0; i < conditions.size(); i++) {
            Condition c = conditions.get(i);
            args.setInt(24L * i, c.index());
            args.setInt(24L * i + 4, OPERATORS.get(c.op()));
            args.setLong(24L * i + 8, c.value());
            args.setLong(24L * i + 16, c.valueTwo());
        }
        return args;
    }

    /**
     * Installs the filter on the calling thread (every thread with TSYNC). The kernel allows
     * it only with no_new_privs set or CAP_SYS_ADMIN in effect. From here on the filter
     * judges this JVM too.
     */
    public void load() {
        check(Lib.seccomp_load(ctx), "seccomp_load", "filter", errno -> errno == LibC.EACCES
                ? "without noNewPrivileges the kernel needs CAP_SYS_ADMIN to load a filter" : null);
    }

    /** The BPF program the filter compiles to, written to fd (8 bytes per instruction). */
    public void exportBpf(int fd) {
        check(Lib.seccomp_export_bpf(ctx, fd), "seccomp_export_bpf", "fd " + fd);
    }

    @Override
    public void close() {
        if (ctx != null) Lib.seccomp_release(ctx);
        ctx = null;
    }

    private void check(int rc, String operation, String subject) {
        check(rc, operation, subject, errno -> null);
    }

    /** libseccomp returns -errno. */
    private void check(int rc, String operation, String subject,
            java.util.function.IntFunction<String> hint) {
        if (rc < 0) throw new LibC.SyscallException(operation, subject, -rc, hint.apply(-rc));
    }
}
