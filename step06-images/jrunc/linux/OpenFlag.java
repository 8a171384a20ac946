package jrunc.linux;

/**
 * The open(2) flags whose values differ per architecture: x86_64 takes the kernel's generic ones
 * (include/uapi/asm-generic/fcntl.h), arm64 has its own for these two
 * (arch/arm64/include/uapi/asm/fcntl.h). x86_64's O_DIRECTORY is arm64's O_DIRECT, which a
 * cgroup folder refuses with EINVAL. Every other flag jrunc passes is the same on both. One row
 * per flag, named as the kernel names it; os.arch picks the column.
 */
public enum OpenFlag {
    O_DIRECTORY(0200000, 040000),
    O_NOFOLLOW(0400000, 0100000);

    private final int x86_64, aarch64;

    OpenFlag(int x86_64, int aarch64) {
        this.x86_64 = x86_64;
        this.aarch64 = aarch64;
    }

    /** The value on the machine this JVM runs on. */
    public int value() {
        return value(System.getProperty("os.arch"));
    }

    public int value(String osArch) {
        return (int) Arch.pick(osArch, x86_64, aarch64, "open", name() + " ", "open flags", OpenFlag.class);
    }
}
