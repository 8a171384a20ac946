package jrunc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * How runc's v1-shaped values become cgroup v2 file contents (this machine runs v1; the VM
 * test runs v2): runc's shares-to-weight formula and v2's swap counted without memory.
 */
class CgroupV2MappingTest {
    @Test
    void sharesBecomeRuncsWeight() {
        assertEquals(1, CgroupsV2.weight(2));
        assertEquals(39, CgroupsV2.weight(1024)); // Docker's default shares
        assertEquals(10000, CgroupsV2.weight(262144));
    }

    @Test
    void swapCountsMemoryPlusSwapOnV1AndSwapAloneOnV2() {
        assertEquals("33554432", CgroupsV2.swapMax(32L << 20, 64L << 20));
        assertEquals("max", CgroupsV2.swapMax(32L << 20, -1L));
        assertNull(CgroupsV2.swapMax(32L << 20, null));
        var e = assertThrows(Cgroups.CgroupException.class, () -> CgroupsV2.swapMax(null, 64L << 20));
        assertEquals("linux.resources.memory.swap: 67108864 needs memory.limit too on cgroup v2"
                + " (memory.swap.max counts swap alone)", e.getMessage());
    }
}
