package jrunc.linux;

import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Mounts an overlayfs from many layers. mount(2) takes all options in one page, so
 * {@code lowerdir=A:B:…} of absolute store paths overflows at about 40 layers. The new mount
 * API passes one option per call: {@code fsconfig(lowerdir+, DIR)} appends a layer (Linux 6.8+),
 * up to overlayfs's own limit of 500. Older kernels (no lowerdir+, or no fsconfig at all for
 * overlayfs) get the one-string mount(2).
 */
public final class OverlayMount {
    private static final int FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1, MOVE_MOUNT_F_EMPTY_PATH = 4;
    private static final int FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6, AT_FDCWD = -100;
    private static final int PAGE = 4096;

    private OverlayMount() {}

    /** Mounts the layers (top first) with their upper and work dirs on {@code target}. */
    public static void mount(List<String> lowerTopFirst, String upper, String work, String target) {
        int fs = (int) LibC.C.syscall(Syscall.fsopen.number(), "overlay", FSOPEN_CLOEXEC);
        if (fs == -1 && Native.getLastError() == LibC.ENOSYS) {
            legacyMount(lowerTopFirst, upper, work, target);
            return;
        }
        LibC.check(fs, "fsopen", "overlay");
        try {
            // tag::lowerdir-plus[]
            for (int i = 0; i < lowerTopFirst.size(); i++) {
                if (set(fs, "lowerdir+", lowerTopFirst.get(i)) != -1) continue;
                // EINVAL for the first one: a kernel before 6.8, which lacks the option
                if (i > 0 || Native.getLastError() != LibC.EINVAL) {
                    fail(fs, "fsconfig lowerdir+", lowerTopFirst.get(i));
                }
                legacyMount(lowerTopFirst, upper, work, target);
                return;
            }
            // end::lowerdir-plus[]
            // The mount table shows "overlay" as the source, as after mount(2) (not "none").
            if (set(fs, "source", "overlay") == -1) fail(fs, "fsconfig source", "overlay");
            if (set(fs, "upperdir", upper) == -1) fail(fs, "fsconfig upperdir", upper);
            if (set(fs, "workdir", work) == -1) fail(fs, "fsconfig workdir", work);
            if (LibC.C.syscall(Syscall.fsconfig.number(), fs, FSCONFIG_CMD_CREATE, null, null, 0) == -1) {
                // An overlayfs that still parses its options as one string (Debian 12's 6.1)
                // takes lowerdir+ without a word and refuses it only here.
                if (Native.getLastError() != LibC.EINVAL) fail(fs, "fsconfig create overlay for", target);
                legacyMount(lowerTopFirst, upper, work, target);
                return;
            }
            int mnt = (int) LibC.C.syscall(Syscall.fsmount.number(), fs, FSMOUNT_CLOEXEC, 0);
            if (mnt == -1) fail(fs, "fsmount overlay for", target);
            try {
                LibC.check(LibC.C.syscall(Syscall.move_mount.number(), mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH),
                        "move_mount overlay to", target);
            } finally {
                LibC.C.close(mnt);
            }
        } finally {
            LibC.C.close(fs);
        }
    }

    private static long set(int fs, String key, String value) {
        return LibC.C.syscall(Syscall.fsconfig.number(), fs, FSCONFIG_SET_STRING, key, value, 0);
    }

    /** The errno, and the kernel's own words from the context's message log ("e overlayfs: …"). */
    private static void fail(int fs, String operation, String subject) {
        int errno = Native.getLastError();
        byte[] buffer = new byte[PAGE];
        long n = LibC.C.read(fs, buffer, buffer.length);
        String log = n > 0 ? new String(buffer, 0, (int) n, StandardCharsets.UTF_8).trim() : null;
        throw new LibC.SyscallException(operation, subject, errno, log);
    }

    private static void legacyMount(List<String> lowerTopFirst, String upper, String work, String target) {
        String options = "lowerdir=" + String.join(":", lowerTopFirst) + ",upperdir=" + upper + ",workdir=" + work;
        if (options.length() >= PAGE) {
            throw new LibC.SyscallException("mount overlay on", target, LibC.EINVAL, lowerTopFirst.size()
                    + " layers make " + options.length() + " bytes of options, more than mount(2)'s page of "
                    + PAGE + "; this kernel lacks fsconfig lowerdir+ (Linux 6.8+)");
        }
        LibC.check(LibC.C.mount("overlay", target, "overlay", new com.sun.jna.NativeLong(0), options),
                "mount overlay on", target);
    }
}
