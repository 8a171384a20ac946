package jrunc.linux;

/**
 * The calls jrunc makes through syscall(2) because glibc has no wrapper for them, with their
 * numbers, which differ per architecture: x86_64 has a table of its own
 * (arch/x86/entry/syscalls/syscall_64.tbl), arm64 uses the kernel's generic one
 * (include/uapi/asm-generic/unistd.h); calls added since Linux 5.1 have one number everywhere.
 * One row per call, named as the kernel names it; os.arch picks the column.
 */
public enum Syscall {
    capset(126, 91),
    pivot_root(155, 41),
    bpf(321, 280),
    move_mount(429, 429),
    fsopen(430, 430),
    fsconfig(431, 431),
    fsmount(432, 432),
    close_range(436, 436),
    openat2(437, 437);

    private final long x86_64, aarch64;

    Syscall(long x86_64, long aarch64) {
        this.x86_64 = x86_64;
        this.aarch64 = aarch64;
    }

    /** The number on the machine this JVM runs on. */
    public long number() {
        return number(System.getProperty("os.arch"));
    }

    public long number(String osArch) {
        return Arch.pick(osArch, x86_64, aarch64, name(), "", "syscall numbers", Syscall.class);
    }
}
