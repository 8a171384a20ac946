package jrunc.linux;

/** The machines jrunc's per-architecture tables (Syscall, OpenFlag) have a column for. */
public final class Arch {
    private Arch() {}

    /**
     * The value of a table row on os.arch; an architecture without a column is named, with the
     * table to add it to.
     */
    static long pick(String osArch, long x86_64, long aarch64, String operation, String subject,
                     String what, Class<?> table) {
        return switch (osArch) {
            case "amd64", "x86_64" -> x86_64;
            case "aarch64" -> aarch64;
            default -> throw new LibC.SyscallException(operation, subject + "on os.arch " + osArch,
                    LibC.ENOSYS, "jrunc knows the " + what + " of x86_64 and aarch64 only: add a"
                    + " column for " + osArch + " to " + table.getName());
        };
    }
}
