import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import workshop.testkit.KernelHeaders;

/**
 * LibC.Syscall holds the kernel's numbers: each row is checked against the kernel's own headers
 * for both architectures, the running machine picks its column, and an architecture the table
 * does not know is named in the error.
 */
class SyscallTableTest {
    @Test
    void everyRowHoldsTheKernelsNumbersForX86_64AndAarch64() {
        Map<String, Long> x86_64 = KernelHeaders.x86_64(), aarch64 = KernelHeaders.aarch64();
        for (LibC.Syscall call : LibC.Syscall.values()) {
            assertEquals(x86_64.get(call.name()), call.number("amd64"), call + " on x86_64");
            assertEquals(aarch64.get(call.name()), call.number("aarch64"), call + " on aarch64");
        }
    }

    @Test
    void theRunningMachinePicksItsColumn() {
        for (LibC.Syscall call : LibC.Syscall.values()) {
            assertEquals(call.number(System.getProperty("os.arch")), call.number(), call.name());
        }
    }

    @Test
    void anArchitectureTheTableDoesNotKnowIsNamed() {
        var e = assertThrows(LibC.SyscallException.class, () -> LibC.Syscall.pivot_root.number("riscv64"));
        assertEquals("pivot_root on os.arch riscv64: ENOSYS (Function not implemented)\n"
                + "  hint: step03 knows the syscall numbers of x86_64 and aarch64 only: add a column"
                + " for riscv64 to LibC.Syscall", e.getMessage());
    }
}
