package jrunc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.jna.Native;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.KernelHeaders;

/**
 * The open(2) flags jrunc passes are this machine's: OpenFlag's column and every O_ constant of
 * LibC and InRoot against the machine's own kernel headers, and the kernel's answers to the two
 * flags that differ between x86_64 and arm64. Runs on x86_64 and in the arm64 VM, each
 * checking its own column.
 */
class OpenFlagTest {
    @TempDir
    Path tmp;

    @Test
    void everyFlagIsTheValueInThisMachinesKernelHeaders() throws IllegalAccessException {
        Map<String, Long> kernel = KernelHeaders.openFlags();
        for (OpenFlag flag : OpenFlag.values()) {
            assertEquals(kernel.get(flag.name()), (long) flag.value(), flag + " on " + System.getProperty("os.arch"));
        }
        for (Class<?> binding : new Class<?>[] {LibC.class, InRoot.class, DeviceFilter.class}) {
            for (Field f : binding.getDeclaredFields()) {
                if (!f.getName().startsWith("O_") || !Modifier.isStatic(f.getModifiers())) continue;
                f.setAccessible(true);
                assertEquals(kernel.get(f.getName()), ((Number) f.get(null)).longValue(),
                        binding.getSimpleName() + "." + f.getName());
            }
        }
    }

    @Test
    void theKernelAnswersAsTheFlagsSay() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), file);
        assertEquals(LibC.ENOTDIR, openErrno(file, LibC.O_RDONLY | OpenFlag.O_DIRECTORY.value()), "O_DIRECTORY on a file");
        assertEquals(40 /* ELOOP */, openErrno(link, LibC.O_RDONLY | OpenFlag.O_NOFOLLOW.value()), "O_NOFOLLOW on a symlink");
        assertEquals(0, openErrno(tmp, LibC.O_RDONLY | OpenFlag.O_DIRECTORY.value()), "O_DIRECTORY on a folder");
    }

    static int openErrno(Path path, int flags) {
        int fd = LibC.C.open(path.toString(), flags | LibC.O_CLOEXEC, 0);
        if (fd == -1) return Native.getLastError();
        LibC.C.close(fd);
        return 0;
    }

    @Test
    void anArchitectureTheTableDoesNotKnowIsNamed() {
        var e = assertThrows(LibC.SyscallException.class, () -> OpenFlag.O_NOFOLLOW.value("riscv64"));
        assertEquals("open O_NOFOLLOW on os.arch riscv64: ENOSYS (Function not implemented)\n"
                + "  hint: jrunc knows the open flags of x86_64 and aarch64 only: add a column for"
                + " riscv64 to jrunc.linux.OpenFlag", e.getMessage());
    }
}
