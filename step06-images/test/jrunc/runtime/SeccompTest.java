package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import jrunc.json.JsonBinder;
import jrunc.linux.LibC;
import jrunc.linux.Seccomp;
import jrunc.spec.Spec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Workshop;

/**
 * linux.seccomp under runc and under jrunc, on the same bundle: a static probe prints its
 * Seccomp:, Seccomp_filters:, capability and no_new_privs lines and the result of each system
 * call it is told to make, and both outputs and exit statuses must be equal. Each case also
 * states what the filter must have done, so two runtimes that both ignore it do not pass.
 */
class SeccompTest {
    static final String CGROUP = "/jrunc-test-seccomp" + LifecycleTest.RUN;
    static final Path PODMAN_PROFILE = Path.of("/usr/share/containers/seccomp.json");
    @TempDir
    static Path tmp;
    static Host before;
    static Path probe;
    static JruncTool jrunc;
    static JruncTool runc;

    @BeforeAll
    static void compileProbe() throws IOException {
        Privileged.requireRoot();
        // The user namespace case runs as uid 100000 on the host: it must reach the bundle.
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        before = Host.snapshot(tmp);
        probe = compileProbe(tmp.resolve("probe"));
        jrunc = JruncTool.jrunc(tmp.resolve("jrunc-state"));
        runc = JruncTool.runc(tmp.resolve("runc-state"));
    }

    /** The probe, static: it runs in a busybox rootfs, and in any image (DockerTest). */
    static Path compileProbe(Path binary) {
        Command.of("gcc", "-static", "-O1", "-o", binary.toString(), Workshop.root()
                .resolve("step06-images/test/resources/seccomp/probe.c").toString())
                .timeout(Duration.ofSeconds(60)).run().assertExit(0);
        return binary;
    }

    @AfterAll
    static void nothingLeft() {
        if (before == null) return;
        Bundles.removeTree(tmp.resolve("bundles"));
        Host.snapshot(tmp).assertNothingLeftSince(before, tmp);
    }

    static Arguments filter(String name, String seccomp, List<String> calls, int status,
            List<String> expected) {
        return Arguments.of(name, seccomp, calls, status, expected);
    }

    static Stream<Arguments> filters() {
        return Stream.of(
                filter("mkdir blocked with EPERM; SCMP_ACT_LOG; SCMP_ACT_TRACE without a tracer", """
                        {"defaultAction": "SCMP_ACT_ALLOW",
                         "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                         "syscalls": [{"names": ["mkdir", "mkdirat", "no_such_call"], "action": "SCMP_ACT_ERRNO"},
                                      {"names": ["getpid"], "action": "SCMP_ACT_LOG"},
                                      {"names": ["getppid"], "action": "SCMP_ACT_TRACE"}]}
                        """, List.of("mkdir", "getpid", "getppid"), 0,
                        List.of("Seccomp:\t2\n", "Seccomp_filters:\t1\n", "mkdir: EPERM\n",
                                "getpid: ok\n", "getppid: ENOSYS\n")),
                filter("an allow-list under defaultAction ERRNO", """
                        {"defaultAction": "SCMP_ACT_ERRNO",
                         "syscalls": [
                           {"names": ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list",
                              "rseq", "prlimit64", "readlinkat", "uname", "mprotect", "mmap", "munmap",
                              "getrandom", "newfstatat", "fstat", "openat", "read", "write", "close",
                              "exit_group", "exit", "futex", "nanosleep", "sched_yield", "rt_sigreturn",
                              "rt_sigaction", "rt_sigprocmask", "sigaltstack", "gettid", "tgkill",
                              "getpid", "fcntl", "madvise", "epoll_pwait", "epoll_ctl", "fstatfs", "statfs",
                              "getdents64", "close_range", "lseek"],
                            "action": "SCMP_ACT_ALLOW"},
                           {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
                        """, List.of("mkdir", "getpid", "getppid"), 0,
                        List.of("Seccomp:\t2\n", "mkdir: EPERM\n", "getpid: ok\n", "getppid: EACCES\n")),
                filter("argument filters, without noNewPrivileges, in a user namespace", """
                        {"defaultAction": "SCMP_ACT_ALLOW",
                         "syscalls": [
                           {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 33,
                            "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                                     {"index": 0, "value": 131080, "op": "SCMP_CMP_EQ"}]},
                           {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 33,
                            "args": [{"index": 0, "value": 67108864, "valueTwo": 67108864,
                                      "op": "SCMP_CMP_MASKED_EQ"}]}]}
                        """, List.of("personality=8", "personality=0x20008", "personality=0",
                                "clone=0x04000000", "clone=0"), 0,
                        List.of("NoNewPrivs:\t0\n", "Seccomp:\t2\n", "personality=8: EDOM\n",
                                "personality=0x20008: EDOM\n", "personality=0: ok\n",
                                "clone=0x04000000: EDOM\n", "clone=0: ok\n")),
                filter("SCMP_ACT_KILL_PROCESS", """
                        {"defaultAction": "SCMP_ACT_ALLOW",
                         "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL_PROCESS"}]}
                        """, List.of("getpid", "mkdir", "getppid"), 128 + 31,
                        List.of("Seccomp:\t2\n", "getpid: ok\n")),
                filter("SCMP_ACT_TRAP", """
                        {"defaultAction": "SCMP_ACT_ALLOW",
                         "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_TRAP"}]}
                        """, List.of("getpid", "getppid", "mkdir"), 128 + 31,
                        List.of("Seccomp:\t2\n", "getpid: ok\n")),
                filter("podman's default profile", podmanProfile(), List.of("mkdir", "getpid",
                                "personality=0xffffffff", "personality=0x1234", "unshare=0x20000",
                                "clone=0x04000000", "keyctl", "mount", "clock_settime"), 0,
                        List.of("Seccomp:\t2\n", "Seccomp_filters:\t1\n", "mkdir: ok\n",
                                "personality=0xffffffff: ok\n", "personality=0x1234: ENOSYS\n",
                                "unshare=0x20000: EPERM\n")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("filters")
    void jruncFiltersAsRuncDoes(String name, String seccomp, List<String> calls, int status,
            List<String> expected) {
        Path bundle = bundle(seccomp, calls, c -> {
            if (name.contains("without noNewPrivileges")) process(c).put("noNewPrivileges", false);
            if (name.contains("user namespace")) NamespacesTest.userNamespace(c);
        });
        Command.Result byRunc = runc.run("run", "--bundle", bundle.toString(), "sec").assertExit(status);
        Command.Result byJrunc = jrunc.run("run", "--bundle", bundle.toString(), "sec").assertExit(status);
        assertEquals(byRunc.stdout(), byJrunc.stdout(), name);
        for (String line : expected) assertTrue(byJrunc.stdout().contains(line), line + " in " + byJrunc.stdout());
        assertFalse(byJrunc.stderr().contains("seccomp"), byJrunc.stderr());
    }

    /**
     * runc 1.1 refuses every flag ("seccomp flags are not yet supported by runc"), so jrunc
     * alone: with SECCOMP_FILTER_FLAG_LOG the kernel logs even the ERRNO answers (audit
     * type 1326, code 0x50000), which it does not by default.
     */
    @Test
    void flagsReachTheKernel() {
        Path bundle = bundle("""
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                           "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
                 "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
                """, List.of("mkdir"), c -> {});
        long logged = loggedErrnoMkdirs();
        Command.Result r = jrunc.run("run", "--bundle", bundle.toString(), "sec-flags").assertExit(0);
        assertTrue(r.stdout().contains("Seccomp:\t2\n") && r.stdout().endsWith("mkdir: EPERM\n"), r.stdout());
        assertTrue(loggedErrnoMkdirs() > logged, "the kernel logged the EPERM answer to mkdir");
    }

    /** Audit lines of mkdir (83) answered with ERRNO for a program called probe. */
    static long loggedErrnoMkdirs() {
        return Command.of("dmesg").run().assertExit(0).stdout().lines()
                .filter(l -> l.contains("type=1326") && l.contains("comm=\"probe\"")
                        && l.contains(" syscall=83 ") && l.endsWith("code=0x50000"))
                .count();
    }

    /** Without noNewPrivileges, so the CAP_SYS_ADMIN that loading needs is shown dropped too. */
    @Test
    void execGetsTheContainersFilter() {
        Path bundle = bundle("""
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
                """, List.of(), c -> {
                    process(c).put("noNewPrivileges", false);
                    strings(process(c), "args", "sleep", "60");
                });
        List<String> outputs = new ArrayList<>();
        for (JruncTool tool : List.of(runc, jrunc)) {
            tool.run("run", "--detach", "--bundle", bundle.toString(), "sec-exec").assertExit(0);
            try {
                outputs.add(tool.run("exec", "sec-exec", "/probe", "mkdir", "getpid").assertExit(0).stdout());
            } finally {
                tool.run("delete", "--force", "sec-exec").assertExit(0);
            }
        }
        assertEquals(outputs.get(0), outputs.get(1));
        assertTrue(outputs.get(1).contains("Seccomp:\t2\nSeccomp_filters:\t1\n"), outputs.get(1));
        assertTrue(outputs.get(1).contains("mkdir: EPERM\ngetpid: ok\n"), outputs.get(1));
        // runc spec's AUDIT_WRITE, KILL and NET_BIND_SERVICE: no CAP_SYS_ADMIN left from the load.
        assertTrue(outputs.get(1).contains("CapPrm:\t0000000020000420\nCapEff:\t0000000020000420\n"),
                outputs.get(1));
    }

    @Test
    void aFilterThatRefusesExecveStopsTheContainerWithTheError() {
        Path bundle = bundle("""
                {"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["execve"], "action": "SCMP_ACT_ERRNO"}]}
                """, List.of("getpid"), c -> {});
        for (JruncTool tool : List.of(runc, jrunc)) {
            Command.Result r = tool.run("run", "--bundle", bundle.toString(), "sec-execve");
            assertNotEquals(0, r.exitCode(), r.toString());
            assertEquals("", r.stdout());
            assertTrue(r.stderr().toLowerCase().contains("exec /probe: ") && r.stderr().toLowerCase()
                    .contains("operation not permitted"), r.stderr());
        }
        assertFalse(Files.exists(jrunc.root.resolve("sec-execve")));
    }

    /** Fail closed: a libseccomp that does not load (an empty file here) fails create. */
    @Test
    void aBrokenLibseccompFailsCreateAndNothingRuns() {
        Path bundle = bundle("""
                {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
                """, List.of("getpid"), c -> {});
        Path library = Path.of("/usr/lib/x86_64-linux-gnu/libseccomp.so.2");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(library), "Debian's libseccomp2");
        List<String> create = new ArrayList<>(List.of("unshare", "--mount", "sh", "-c",
                "mount --bind /dev/null \"$(readlink -f " + library + ")\" && exec \"$@\"", "sh"));
        create.addAll(JruncTool.jrunc(jrunc.root).launcher);
        create.addAll(List.of("--root", jrunc.root.toString(), "create", "--bundle", bundle.toString(), "sec-nolib"));
        Command.Result r = JruncTool.exec(create, Duration.ofMinutes(1));
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("linux.seccomp: cannot load " + library + ": "), r.stderr());
        assertFalse(Files.exists(jrunc.root.resolve("sec-nolib")), "state directory left");
    }

    /**
     * The cost the init pays for podman's default profile (~470 names, 3 architectures):
     * compile and export the BPF program, in this JVM.
     */
    @Test
    void compilingTheDefaultProfileTakesMilliseconds() throws Exception {
        Spec.Seccomp config = JsonBinder.read(podmanProfile(), Spec.Seccomp.class);
        SeccompProfile.compile(config).close(); // the first includes loading libseccomp
        long start = System.nanoTime();
        int fd = LibC.C.memfd_create("bpf", LibC.MFD_CLOEXEC);
        try (Seccomp filter = SeccompProfile.compile(config)) {
            long compiled = System.nanoTime();
            filter.exportBpf(fd);
            long exported = System.nanoTime();
            long size = Files.size(Path.of("/proc/self/fd/" + fd));
            System.out.printf("podman's default profile: compiled in %.1f ms, BPF (%d instructions)"
                    + " generated in %.1f ms%n", (compiled - start) / 1e6, size / 8, (exported - compiled) / 1e6);
            assertEquals(0, size % 8, "struct sock_filter is 8 bytes");
            assertTrue(size / 8 > 500, "three architectures of ~470 names: " + size / 8 + " instructions");
        } finally {
            LibC.C.close(fd);
        }
    }

    /** The bundle, its config.json rewritten: /probe CALLS... under linux.seccomp = seccomp. */
    static Path bundle(String seccomp, List<String> calls, Consumer<ObjectNode> edit) {
        List<String> args = new ArrayList<>(List.of("/probe"));
        args.addAll(calls);
        Path bundle = Bundles.create(tmp.resolve("bundles/probe"), CGROUP, args, c -> {
            try {
                ((ObjectNode) c.get("linux")).set("seccomp", Bundles.JSON.readTree(seccomp));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            edit.accept(c);
        });
        if (!Files.exists(bundle.resolve("rootfs/probe"))) {
            Command.of("cp", probe.toString(), bundle.resolve("rootfs/probe").toString()).run().assertExit(0);
        }
        return bundle;
    }

    static ObjectNode process(ObjectNode c) {
        return (ObjectNode) c.get("process");
    }

    static void strings(ObjectNode parent, String field, String... values) {
        ArrayNode array = parent.putArray(field);
        for (String v : values) array.add(v);
    }

    /**
     * podman's profile file as podman turns it into linux.seccomp for an x86_64 container
     * with runc spec's capabilities (AUDIT_WRITE, KILL, NET_BIND_SERVICE): the x86_64 entry of
     * archMap, and the rules whose includes/excludes (capabilities, architectures) hold.
     */
    static String podmanProfile() {
        try {
            JsonNode profile = Bundles.JSON.readTree(PODMAN_PROFILE.toFile());
            List<String> caps = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
            ObjectNode out = Bundles.JSON.createObjectNode();
            out.set("defaultAction", profile.get("defaultAction"));
            if (profile.has("defaultErrnoRet")) out.set("defaultErrnoRet", profile.get("defaultErrnoRet"));
            ArrayNode arches = out.putArray("architectures");
            for (JsonNode m : profile.get("archMap")) {
                if (!m.get("architecture").asText().equals("SCMP_ARCH_X86_64")) continue;
                arches.add(m.get("architecture"));
                m.get("subArchitectures").forEach(arches::add);
            }
            ArrayNode syscalls = out.putArray("syscalls");
            for (JsonNode s : profile.get("syscalls")) {
                JsonNode includes = s.path("includes"), excludes = s.path("excludes");
                boolean included = names(includes.path("caps")).stream().allMatch(caps::contains)
                        && (names(includes.path("arches")).isEmpty()
                                || names(includes.path("arches")).contains("amd64"))
                        && names(excludes.path("caps")).stream().noneMatch(caps::contains)
                        && !names(excludes.path("arches")).contains("amd64");
                if (!included) continue;
                ObjectNode rule = syscalls.addObject();
                rule.set("names", s.get("names"));
                rule.set("action", s.get("action"));
                if (s.has("errnoRet")) rule.set("errnoRet", s.get("errnoRet"));
                if (s.path("args").size() > 0) rule.set("args", s.get("args"));
            }
            return out.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> names(JsonNode array) {
        List<String> names = new ArrayList<>();
        array.forEach(n -> names.add(n.asText()));
        return names;
    }
}
