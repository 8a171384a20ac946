package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Privileged;

/**
 * A filter names calls, and calls are numbered per architecture: on this machine, with the
 * architectures an engine sends for it (Docker's and podman's profiles list x86_64, x86 and x32
 * on x86_64 hosts, aarch64 and arm on arm64 ones), blocking mkdir and mkdirat stops busybox's
 * mkdir, whichever of the two its architecture has (arm64 has only mkdirat). Needs no compiler,
 * so it also runs in the emulated arm64 VM; SeccompTest compares every action with runc.
 */
class SeccompArchitecturesTest {
    @TempDir
    static Path tmp;
    static Host before;
    static JruncTool jrunc;

    @BeforeAll
    static void snapshot() {
        Privileged.requireRoot();
        before = Host.snapshot(tmp);
        jrunc = JruncTool.jrunc(tmp.resolve("state"));
    }

    @AfterAll
    static void nothingLeft() {
        if (jrunc != null) before.cleanUpAndAssertNothingLeft(jrunc, tmp, tmp.resolve("bundle"));
    }

    /** What an engine lists for a host of this architecture, written out without asking jrunc. */
    static List<String> enginesArchitectures() {
        return switch (System.getProperty("os.arch")) {
            case "amd64" -> List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
            case "aarch64" -> List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
            default -> throw new AssertionError("no engine architectures known for " + System.getProperty("os.arch"));
        };
    }

    @Test
    void blockingMkdirByNameStopsBusyboxsMkdirOnThisMachine() {
        Path bundle = Bundles.create(tmp.resolve("bundle"), "/jrunc-test-seccomp-arch" + LifecycleTest.RUN,
                List.of("sh", "-c", "grep ^Seccomp: /proc/self/status; mkdir /tmp/made && echo made"), c -> {
                    ObjectNode seccomp = ((ObjectNode) c.get("linux")).putObject("seccomp");
                    seccomp.put("defaultAction", "SCMP_ACT_ALLOW");
                    ArrayNode archs = seccomp.putArray("architectures");
                    enginesArchitectures().forEach(archs::add);
                    ObjectNode rule = seccomp.putArray("syscalls").addObject();
                    rule.putArray("names").add("mkdir").add("mkdirat");
                    rule.put("action", "SCMP_ACT_ERRNO");
                });
        var r = jrunc.run("run", "--bundle", bundle.toString(), "seccomp-arch" + LifecycleTest.RUN);
        assertEquals("mkdir: can't create directory '/tmp/made': Operation not permitted\n", r.stderr());
        assertEquals("Seccomp:\t2\n", r.stdout());
        assertEquals(1, r.exitCode());
    }
}
