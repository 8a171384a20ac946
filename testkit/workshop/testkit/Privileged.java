package workshop.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Tests that need the kernel's privileged calls (chroot, namespaces, mounts, cgroups) call
 * {@link #requireRoot()} first. Without root they are skipped with a visible reason; CI runs as
 * root and fails the build if any test was skipped at all.
 */
public final class Privileged {
    private Privileged() {}

    public static void requireRoot() {
        assumeTrue(Workshop.isRoot(),
                "skipped: this test needs root (chroot, namespaces, mounts and cgroups are"
                        + " privileged) - run the tests with sudo");
    }
}
