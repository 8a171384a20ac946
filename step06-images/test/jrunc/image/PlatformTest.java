package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which image of an index a machine asks for, with the arm64 variant rules registries use. */
class PlatformTest {
    @Test
    void theMachineIsNamedAsRegistriesNameIt() {
        assertEquals("linux/amd64", Platform.host("amd64").toString());
        assertEquals("linux/arm64/v8", Platform.host("aarch64").toString());
        assertEquals(Platform.host(System.getProperty("os.arch")), Platform.host());
    }

    @Test
    void anArm64MachineTakesV8OrNoVariantButNotV9() {
        Platform arm64 = Platform.host("aarch64");
        assertTrue(arm64.accepts(Platform.parse("linux/arm64/v8")));
        assertTrue(arm64.accepts(Platform.parse("linux/arm64")));
        assertFalse(arm64.accepts(Platform.parse("linux/arm64/v9")));
        assertFalse(arm64.accepts(Platform.parse("linux/amd64")));
        assertFalse(arm64.accepts(Platform.parse("linux/arm/v7")));
    }

    @Test
    void anAmd64MachineTakesOnlyAmd64() {
        Platform amd64 = Platform.host("amd64");
        assertTrue(amd64.accepts(Platform.parse("linux/amd64")));
        assertFalse(amd64.accepts(Platform.parse("linux/arm64/v8")));
        assertFalse(amd64.accepts(Platform.parse("linux/386")));
    }
}
