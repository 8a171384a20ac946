package jrunc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fallback walk for kernels without openat2 resolves every path exactly as openat2 with
 * RESOLVE_IN_ROOT does on this kernel: same file, or same errno. No privilege needed.
 */
class InRootTest {
    @TempDir
    static Path tmp;
    static Path root;
    static int rootFd;

    @BeforeAll
    static void tree() throws IOException {
        root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("a/b/c"));
        Files.writeString(root.resolve("f"), "file");
        Files.createSymbolicLink(root.resolve("abs"), Path.of("/a/b"));
        Files.createSymbolicLink(root.resolve("up"), Path.of("../../../.."));
        Files.createSymbolicLink(root.resolve("a/rel"), Path.of("b/c"));
        Files.createSymbolicLink(root.resolve("a/b/back"), Path.of("../../abs/c"));
        Files.createSymbolicLink(root.resolve("host"), tmp); // absolute, outside the root
        Files.createSymbolicLink(root.resolve("dangling"), Path.of("/nonexistent"));
        Files.createSymbolicLink(root.resolve("self"), Path.of("self"));
        chain("k", 40);
        chain("m", 41);
        rootFd = LibC.C.open(root.toString(), LibC.O_PATH | InRoot.O_DIRECTORY | LibC.O_CLOEXEC, 0);
    }

    /** NAME0 → NAME1 → … → NAME(n-1) → /a: n links. */
    static void chain(String name, int links) throws IOException {
        for (int i = 0; i < links - 1; i++) {
            Files.createSymbolicLink(root.resolve(name + i), Path.of(name + (i + 1)));
        }
        Files.createSymbolicLink(root.resolve(name + (links - 1)), Path.of("/a"));
    }

    @AfterAll
    static void closeRoot() {
        LibC.C.close(rootFd);
    }

    static Stream<Arguments> paths() {
        return Stream.of(
                Arguments.of("/", 0, "/"),
                Arguments.of("/a/b/c", 0, "/a/b/c"),
                Arguments.of("a/b/c", InRoot.O_DIRECTORY, "/a/b/c"),
                Arguments.of("/abs/c", 0, "/a/b/c"),
                Arguments.of("/up", 0, "/"),
                Arguments.of("/up/a/../a/rel", 0, "/a/b/c"),
                Arguments.of("/a/b/back", 0, "/a/b/c"),
                Arguments.of("/../../a", 0, "/a"),
                Arguments.of("/host", 0, "ENOENT"), // the host path, looked up inside the root
                Arguments.of("/dangling", 0, "ENOENT"),
                Arguments.of("/self", 0, "ELOOP"),
                Arguments.of("/k0", 0, "/a"),
                Arguments.of("/m0", 0, "ELOOP"),
                Arguments.of("/m0/b", 0, "ELOOP"),
                Arguments.of("/f", 0, "/f"),
                Arguments.of("/f", InRoot.O_DIRECTORY, "ENOTDIR"),
                Arguments.of("/f/x", 0, "ENOTDIR"),
                Arguments.of("/abs", InRoot.RESOLVE_NO_SYMLINKS << 32, "ELOOP"),
                Arguments.of("/a/b", InRoot.RESOLVE_NO_SYMLINKS << 32, "/a/b"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void theWalkAgreesWithOpenat2(String path, long flagsAndResolve, String expected) {
        int flags = (int) flagsAndResolve;
        long resolve = flagsAndResolve >>> 32;
        assertEquals(expected, seen(InRoot.resolve(rootFd, path, flags, resolve)), "openat2");
        assertEquals(expected, seen(InRoot.walk(rootFd, path, flags, resolve)), "walk");
    }

    /** The fd's path inside the root, or the errno's name; closes the fd. */
    static String seen(int fd) {
        if (fd < 0) return LibC.SyscallException.name(-fd);
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.equals(root.toString()) ? "/" : target.substring(root.toString().length());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            LibC.C.close(fd);
        }
    }
}
