package jrunc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import jrunc.linux.Console;
import jrunc.linux.LibC;
import jrunc.linux.Spawn;

/**
 * Starts the init JVM ({@link Init}) with the runtime's own class path, from a thread that
 * first enters the container's namespaces. The init gets the preserved fds at 3.. and its end
 * of the socketpair right after them.
 */
final class InitLauncher {
    private InitLauncher() {}

    /**
     * How the init enters its namespaces: what the spawning thread does, the single-threaded
     * util-linux programs it goes through first (for what a JVM thread cannot enter: a user
     * namespace, a time namespace by path), and whether it then runs as the container's root
     * in a user namespace.
     */
    record Entry(Spawn.ThreadSetup thread, List<String> wrapper, boolean userNamespace) {}

    /** The JVM command line: same java, same class path, start-up tuned for a short life. */
    static List<String> javaCommand(Path configFile) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(List.of("-XX:-MaxFDLimit", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData", "-Xshare:auto", "--enable-native-access=ALL-UNNAMED"));
        String jnaBoot = System.getProperty("jna.boot.library.path");
        if (jnaBoot != null) cmd.add("-Djna.boot.library.path=" + jnaBoot);
        String extra = System.getProperty("jrunc.init.options");
        if (extra != null && !extra.isBlank()) cmd.addAll(List.of(extra.trim().split("\\s+")));
        cmd.add(Init.class.getName());
        cmd.add(configFile.toString());
        return cmd;
    }

    /**
     * The init's console socket and, when the caller relays the pty itself (no
     * --console-socket), the runtime's end that the master comes back on: {forInit, receiver},
     * -1 for what there is not.
     */
    static int[] consoleEnds(boolean terminal, String socketPath) {
        if (!terminal) return new int[] {-1, -1};
        if (socketPath != null) return new int[] {Console.connect(socketPath), -1};
        int[] pair = socketPair();
        return new int[] {pair[1], pair[0]};
    }

    /** A socketpair; [0] stays with the runtime, [1] goes to the init. */
    static int[] socketPair() {
        int[] fds = new int[2];
        LibC.check(LibC.C.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.O_CLOEXEC, 0, fds),
                "socketpair", "AF_UNIX");
        return fds;
    }

    /** Spawns the init; returns the PID of the spawned process (a wrapper, if there is one). */
    static int launch(Entry entry, Path configFile, int preserveFds, int childEnd, Path stateDir,
            int consoleFd, Path fifo) {
        List<Integer> opened = new ArrayList<>();
        try {
            List<String> cmd = new ArrayList<>(entry.wrapper());
            // After the sync fd: the console socket, then what a user namespace needs.
            int first = consoleFd(preserveFds) + (consoleFd >= 0 ? 1 : 0);
            if (entry.userNamespace() && fifo != null) byFd(fifo, opened, first);
            cmd.addAll(entry.userNamespace()
                    ? javaCommandByFds(configFile, stateDir, opened, first)
                    : javaCommand(configFile));
            List<Integer> extra = new ArrayList<>();
            if (consoleFd >= 0) extra.add(consoleFd);
            extra.addAll(opened);
            int[] fds = new int[preserveFds + 1 + extra.size()];
            for (int i = 0; i < preserveFds; i++) fds[i] = 3 + i;
            fds[preserveFds] = childEnd;
            for (int i = 0; i < extra.size(); i++) fds[preserveFds + 1 + i] = extra.get(i);
            String[] env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
            Log.debug("spawning init: " + String.join(" ", cmd));
            return Spawn.spawn(entry.thread(), cmd.get(0), cmd.toArray(new String[0]), env, fds);
        } finally {
            opened.forEach(LibC.C::close);
        }
    }

    // tag::class-path-fds[]
    /**
     * The java command for an init that starts as the container's root in a user namespace.
     * The host sees that root as an unprivileged uid, which may not reach the class path (a
     * Maven repository under /root, say). The runtime opens every class path entry, the JNA
     * library and the config file while it is still root, and the init reads them through
     * /proc/self/fd/N, where only each file's own permission bits count.
     */
    static List<String> javaCommandByFds(Path configFile, Path stateDir, List<Integer> opened,
            int firstFd) {
        List<String> classPath = new ArrayList<>();
        for (Path entry : classPathEntries()) classPath.add(byFd(entry, opened, firstFd));
        String jna = byFd(jnaLibraryDirectory(stateDir), opened, firstFd);
        String config = byFd(configFile, opened, firstFd);
        List<String> cmd = javaCommand(Path.of(config));
        cmd.set(cmd.indexOf("-cp") + 1, String.join(":", classPath));
        cmd.removeIf(o -> o.startsWith("-Djna.boot.library.path=") || o.startsWith("-XX:SharedArchiveFile=")
                || o.startsWith("-Xlog:cds"));
        cmd.add(1, "-Djna.boot.library.path=" + jna);
        cmd.add(2, "-Djna.nounpack=true");
        return cmd;
    }
    // end::class-path-fds[]

    /** The init's fd for the console socket: the first after the sync fd. */
    static int consoleFd(int preserveFds) {
        return 3 + preserveFds + 1;
    }

    /** Where the init finds exec.fifo when it starts in a user namespace: after the console's. */
    static String fifoInUserNamespace(int preserveFds, boolean console) {
        return "/proc/self/fd/" + (consoleFd(preserveFds) + (console ? 1 : 0));
    }

    /** The place the fd opened now will have in the init: after the sync fd, in order. */
    private static String byFd(Path path, List<Integer> opened, int firstFd) {
        int fd = (int) LibC.check(LibC.C.open(path.toString(), LibC.O_PATH | LibC.O_CLOEXEC, 0),
                "open", path.toString());
        opened.add(fd);
        return "/proc/self/fd/" + (firstFd + opened.size() - 1);
    }

    /** java.class.path, with the jars that a jar's manifest Class-Path adds. */
    static List<Path> classPathEntries() {
        Set<Path> entries = new LinkedHashSet<>();
        for (String s : System.getProperty("java.class.path").split(":")) {
            if (s.isEmpty()) continue;
            Path p = Path.of(s).toAbsolutePath();
            entries.add(p);
            if (!Files.isRegularFile(p)) continue;
            try (JarFile jar = new JarFile(p.toFile())) {
                Manifest m = jar.getManifest();
                String more = m == null ? null : m.getMainAttributes().getValue("Class-Path");
                if (more == null) continue;
                for (String rel : more.trim().split("\\s+")) {
                    Path dep = p.getParent().resolve(rel).normalize();
                    if (Files.exists(dep)) entries.add(dep);
                }
            } catch (IOException e) {
                throw new JruncException("read the manifest of " + p + ": " + e.getMessage());
            }
        }
        return List.copyOf(entries);
    }

    /** A directory with libjnidispatch.so: bin/jrunc's, or one copied into the state dir. */
    static Path jnaLibraryDirectory(Path stateDir) {
        String boot = System.getProperty("jna.boot.library.path");
        if (boot != null && Files.isRegularFile(Path.of(boot, "libjnidispatch.so"))) {
            return Path.of(boot);
        }
        Path dir = stateDir.resolve("jna");
        Path lib = dir.resolve("libjnidispatch.so");
        if (Files.isRegularFile(lib)) return dir;
        String resource = "/com/sun/jna/" + com.sun.jna.Platform.RESOURCE_PREFIX + "/libjnidispatch.so";
        try (InputStream in = com.sun.jna.Native.class.getResourceAsStream(resource)) {
            if (in == null) throw new JruncException("JNA has no " + resource);
            Files.createDirectories(dir);
            Path tmp = dir.resolve("libjnidispatch.so.tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE);
            return dir;
        } catch (IOException e) {
            throw new JruncException("copy " + resource + " to " + lib + ": " + e.getMessage());
        }
    }
}
