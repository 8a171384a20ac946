package jrunc.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * cgroup v2's device rules: v2 has no devices controller; instead the kernel runs an eBPF
 * program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup, on every open and mknod
 * of a device node by a process in it. The program gets {access_type, major, minor} and returns
 * 1 (allow) or 0 (EPERM). It is built here from a {@link DeviceRules.Policy}, shaped like runc's
 * (libcontainer/cgroups/ebpf/devicefilter): one block per exception, then the default.
 */
public final class DeviceFilter {
    private final List<Long> program = new ArrayList<>();

    private DeviceFilter() {}

    // Instruction encodings from <linux/bpf.h> and <linux/bpf_common.h>: class | op | source.
    /** dst = *(u32 *)(src + off) — BPF_LDX | BPF_MEM | BPF_W. */
    static final int LOAD_WORD = 0x61;
    /** dst &= imm (32-bit) — BPF_ALU | BPF_AND | BPF_K. */
    static final int AND_IMM = 0x54;
    /** dst >>= imm (32-bit) — BPF_ALU | BPF_RSH | BPF_K. */
    static final int SHIFT_RIGHT_IMM = 0x74;
    /** dst = imm (32-bit) — BPF_ALU | BPF_MOV | BPF_K. */
    static final int MOVE_IMM = 0xb4;
    /** dst = src (32-bit) — BPF_ALU | BPF_MOV | BPF_X. */
    static final int MOVE_REG = 0xbc;
    /** if (dst != imm) pc += off — BPF_JMP | BPF_JNE | BPF_K. */
    static final int JUMP_IF_NOT_IMM = 0x55;
    /** if (dst != src) pc += off — BPF_JMP | BPF_JNE | BPF_X. */
    static final int JUMP_IF_NOT_REG = 0x5d;
    /** if (dst == imm) pc += off — BPF_JMP | BPF_JEQ | BPF_K. */
    static final int JUMP_IF_IMM = 0x15;
    /** return r0 — BPF_JMP | BPF_EXIT. */
    static final int EXIT = 0x95;

    /** r0 holds the verdict, r1 the context; r2..r5 what loadContext() puts there. */
    static final int R0 = 0, R1 = 1, TYPE = 2, ACCESS = 3, MAJOR = 4, MINOR = 5;
    /** BPF_DEVCG_DEV_* and BPF_DEVCG_ACC_* from <linux/bpf.h>. */
    static final int DEV_BLOCK = 1, DEV_CHAR = 2, ACC_MKNOD = 1, ACC_READ = 2, ACC_WRITE = 4;
    /** Marks a jump to the next block until the block's length is known. */
    private static final short NEXT_BLOCK = Short.MIN_VALUE;

    /** The program's instructions, 8 bytes each: opcode, dst | src << 4, offset, immediate. */
    public static long[] instructions(DeviceRules.Policy policy) {
        DeviceFilter f = new DeviceFilter();
        f.loadContext();
        for (DeviceRules.Rule exception : policy.exceptions()) f.exception(exception);
        // No exception matched: the default verdict.
        f.emit(MOVE_IMM, R0, 0, (short) 0, policy.defaultAllow() ? 1 : 0);
        f.emit(EXIT, 0, 0, (short) 0, 0);
        return f.program.stream().mapToLong(Long::longValue).toArray();
    }

    private void emit(int opcode, int dst, int src, short offset, int immediate) {
        program.add((opcode & 0xffL) | (long) (dst | src << 4) << 8 | (offset & 0xffffL) << 16
                | (immediate & 0xffffffffL) << 32);
    }

    /** struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } into registers. */
    private void loadContext() {
        // type: the low 16 bits of access_type
        emit(LOAD_WORD, TYPE, R1, (short) 0, 0);
        emit(AND_IMM, TYPE, 0, (short) 0, 0xffff);
        // access: the high 16 bits of access_type
        emit(LOAD_WORD, ACCESS, R1, (short) 0, 0);
        emit(SHIFT_RIGHT_IMM, ACCESS, 0, (short) 0, 16);
        // major and minor
        emit(LOAD_WORD, MAJOR, R1, (short) 4, 0);
        emit(LOAD_WORD, MINOR, R1, (short) 8, 0);
    }

    /** One block: every check that fails jumps past it; if all pass, return the verdict. */
    private void exception(DeviceRules.Rule rule) {
        int start = program.size();
        // type: block or char
        emit(JUMP_IF_NOT_IMM, TYPE, 0, NEXT_BLOCK, rule.type() == 'b' ? DEV_BLOCK : DEV_CHAR);
        int access = accessBits(rule.access());
        if (access != (ACC_MKNOD | ACC_READ | ACC_WRITE)) {
            emit(MOVE_REG, R1, ACCESS, (short) 0, 0);
            emit(AND_IMM, R1, 0, (short) 0, access);
            if (rule.allow()) {
                // access: an allow covers a request only if it grants every bit asked for
                emit(JUMP_IF_NOT_REG, R1, ACCESS, NEXT_BLOCK, 0);
            } else {
                // access: a deny refuses a request that asks for any of its bits
                emit(JUMP_IF_IMM, R1, 0, NEXT_BLOCK, 0);
            }
        }
        // major, unless "*"
        if (rule.major() != DeviceRules.Rule.ANY) {
            emit(JUMP_IF_NOT_IMM, MAJOR, 0, NEXT_BLOCK, (int) rule.major());
        }
        // minor, unless "*"
        if (rule.minor() != DeviceRules.Rule.ANY) {
            emit(JUMP_IF_NOT_IMM, MINOR, 0, NEXT_BLOCK, (int) rule.minor());
        }
        // all matched: this exception's verdict
        emit(MOVE_IMM, R0, 0, (short) 0, rule.allow() ? 1 : 0);
        emit(EXIT, 0, 0, (short) 0, 0);
        // A jump's offset counts from the instruction after it.
        int end = program.size();
        for (int i = start; i < end; i++) {
            long insn = program.get(i);
            if ((short) (insn >>> 16) == NEXT_BLOCK) {
                long offset = end - (i + 1);
                program.set(i, insn & ~(0xffffL << 16) | offset << 16);
            }
        }
    }

    static int accessBits(String access) {
        int bits = 0;
        if (access.indexOf('m') >= 0) bits |= ACC_MKNOD;
        if (access.indexOf('r') >= 0) bits |= ACC_READ;
        if (access.indexOf('w') >= 0) bits |= ACC_WRITE;
        return bits;
    }

    /**
     * bpf(2) has no glibc wrapper (Syscall.bpf) and needs CAP_SYS_ADMIN (or CAP_BPF); its
     * commands and constants are from <linux/bpf.h>.
     */
    static final int BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_TYPE_CGROUP_DEVICE = 15,
            BPF_CGROUP_DEVICE = 6, BPF_F_ALLOW_MULTI = 2;
    static final int O_DIRECTORY = OpenFlag.O_DIRECTORY.value();

    /**
     * Loads the program and attaches it to the cgroup directory. The attachment holds the
     * program: our fds are closed here, and the kernel frees it when the cgroup is removed.
     * BPF_F_ALLOW_MULTI keeps programs of parent cgroups (a systemd's) running as well: a
     * device is usable only if every one of them allows it.
     */
    public static void attach(DeviceRules.Policy policy, Path cgroup) {
        int dir = (int) LibC.check(LibC.C.open(cgroup.toString(), LibC.O_RDONLY | O_DIRECTORY
                | LibC.O_CLOEXEC, 0), "open", cgroup.toString());
        int program = -1;
        try {
            program = load(instructions(policy));
            Memory attr = new Memory(20);
            attr.clear();
            // union bpf_attr for BPF_PROG_ATTACH: target_fd, attach_bpf_fd, attach_type, attach_flags
            attr.setInt(0, dir);
            attr.setInt(4, program);
            attr.setInt(8, BPF_CGROUP_DEVICE);
            attr.setInt(12, BPF_F_ALLOW_MULTI);
            if (bpf(BPF_PROG_ATTACH, attr) < 0) {
                int errno = Native.getLastError();
                throw failure("BPF_PROG_ATTACH to " + cgroup, errno, errno == LibC.EPERM
                        ? "a parent cgroup holds a device program attached without"
                        + " BPF_F_ALLOW_MULTI, which forbids programs below it" : null);
            }
        } finally {
            if (program >= 0) LibC.C.close(program);
            LibC.C.close(dir);
        }
    }

    /** BPF_PROG_LOAD; the kernel's verifier checks the program; on failure its log is asked for. */
    static int load(long[] instructions) {
        Memory code = new Memory(instructions.length * 8L);
        ByteBuffer bytes = code.getByteBuffer(0, code.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (long insn : instructions) bytes.putLong(insn);
        // The licence decides which kernel helpers a program may call; ours calls none.
        Memory license = new Memory(8);
        license.setString(0, "Apache", StandardCharsets.US_ASCII.name());
        Memory attr = new Memory(72);
        attr.clear();
        // union bpf_attr for BPF_PROG_LOAD: prog_type, insn_cnt, insns, license, … prog_name
        attr.setInt(0, BPF_PROG_TYPE_CGROUP_DEVICE);
        attr.setInt(4, instructions.length);
        attr.setPointer(8, code);
        attr.setPointer(16, license);
        attr.setString(48, "jrunc_devices", StandardCharsets.US_ASCII.name());
        attr.setInt(68, BPF_CGROUP_DEVICE); // expected_attach_type
        int fd = (int) bpf(BPF_PROG_LOAD, attr);
        // The kernel reads code and license through attr: keep them until it has.
        Reference.reachabilityFence(code);
        Reference.reachabilityFence(license);
        if (fd >= 0) return fd;
        int errno = Native.getLastError();
        if (errno != LibC.EINVAL && errno != LibC.EACCES) {
            throw failure("BPF_PROG_LOAD", errno, switch (errno) {
                case LibC.EPERM -> "loading an eBPF program needs CAP_SYS_ADMIN (or CAP_BPF) in"
                        + " the host's user namespace: run jrunc as root on the host";
                case LibC.ENOSYS -> "this kernel was built without bpf(2) (CONFIG_BPF_SYSCALL)";
                default -> null;
            });
        }
        // The verifier refused the program (a jrunc bug): load again with its log.
        Memory log = new Memory(64 * 1024);
        log.clear();
        attr.setInt(24, 1);
        attr.setInt(28, (int) log.size());
        attr.setPointer(32, log);
        int retried = (int) bpf(BPF_PROG_LOAD, attr);
        Reference.reachabilityFence(code);
        Reference.reachabilityFence(license);
        if (retried >= 0) return retried;
        throw failure("BPF_PROG_LOAD", errno, "the verifier said: " + log.getString(0).trim());
    }

    private static long bpf(int command, Memory attr) {
        // glibc's syscall() reads every argument as a long.
        return LibC.C.syscall(Syscall.bpf.number(), (long) command, attr, attr.size());
    }

    private static Cgroups.CgroupException failure(String operation, int errno, String hint) {
        return new Cgroups.CgroupException("linux.resources.devices: cgroup v2 enforces device"
                + " rules with an eBPF program, and bpf(" + operation + ") failed: "
                + LibC.SyscallException.name(errno) + " (" + LibC.C.strerror(errno) + ")"
                + (hint == null ? "" : "\n  hint: " + hint)
                + "\n  jrunc does not run a container without its device rules");
    }
}
