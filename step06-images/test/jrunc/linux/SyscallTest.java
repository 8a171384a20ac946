package jrunc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import workshop.testkit.KernelHeaders;
import workshop.testkit.Workshop;

/**
 * jrunc.linux.Syscall holds the kernel's numbers: each row is checked against the kernel's own
 * headers for both architectures; the running machine picks its column; an architecture the
 * table does not know is named; and no number is written anywhere else.
 */
class SyscallTest {
    @Test
    void everyRowHoldsTheKernelsNumbersForX86_64AndAarch64() {
        Map<String, Long> x86_64 = KernelHeaders.x86_64(), aarch64 = KernelHeaders.aarch64();
        for (Syscall call : Syscall.values()) {
            assertEquals(x86_64.get(call.name()), call.number("amd64"), call + " on x86_64");
            assertEquals(aarch64.get(call.name()), call.number("aarch64"), call + " on aarch64");
        }
    }

    @Test
    void theRunningMachinePicksItsColumn() {
        for (Syscall call : Syscall.values()) {
            assertEquals(call.number(System.getProperty("os.arch")), call.number(), call.name());
        }
    }

    @Test
    void anArchitectureTheTableDoesNotKnowIsNamed() {
        var e = assertThrows(LibC.SyscallException.class, () -> Syscall.bpf.number("riscv64"));
        assertEquals("bpf on os.arch riscv64: ENOSYS (Function not implemented)\n"
                + "  hint: jrunc knows the syscall numbers of x86_64 and aarch64 only: add a"
                + " column for riscv64 to jrunc.linux.Syscall", e.getMessage());
    }

    /** syscall(2) is only ever called with a number from the table, never a literal or a constant of its own. */
    @Test
    void everySyscallCallTakesItsNumberFromTheTable() throws IOException {
        Pattern call = Pattern.compile("\\.syscall\\(\\s*([\\w.]+(\\(\\))?)");
        try (Stream<Path> sources = Files.walk(Workshop.root().resolve("step06-images/jrunc"))) {
            for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = call.matcher(Files.readString(source));
                while (m.find()) {
                    assertEquals(true, m.group(1).matches("Syscall\\.\\w+\\.number\\(\\)"),
                            source + ": syscall(" + m.group(1) + ", ...) does not take its number from Syscall");
                }
            }
        }
    }
}
