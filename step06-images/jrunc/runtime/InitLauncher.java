package jrunc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import jrunc.json.JsonWriter;
import jrunc.linux.Console;
import jrunc.linux.LibC;
import jrunc.linux.Spawn;

/**
 * Starts the init JVM ({@link Init}) with the runtime's own class path. The init gets the
 * preserved fds at 3.., its end of the socketpair right after them, then the fds named in
 * its {@link InitConfig}; its settings come over the socketpair, so its command line (which
 * every process of the container can read) shows no host path: it is {@code
 * /proc/self/fd/J @/proc/self/fd/A}, the java binary and an argument file, both by fd.
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

    /** The fds placed in the init after the sync fd, in order, and the numbers they get. */
    static final class Fds {
        final int first;
        final List<Integer> opened = new ArrayList<>(); // ours to close after the spawn
        final List<Integer> placed = new ArrayList<>(); // the caller's, placed as they are
        final java.util.Map<Integer, Path> byPath = new java.util.LinkedHashMap<>();
        /** The spawning thread's mount namespace, held until the init's JVM is up (or -1). */
        int heldNamespace = -1;

        Fds(int preserveFds) {
            this.first = 3 + preserveFds + 1;
        }

        /** Places fd; returns its number in the init. */
        int place(int fd) {
            placed.add(fd);
            return first + placed.size() - 1;
        }

        /** Places an fd that is ours to close; returns its number in the init. */
        int own(long fd) {
            opened.add((int) fd);
            return place((int) fd);
        }

        /** Opens path (O_PATH) and places it; returns its number in the init. */
        int open(Path path) {
            int fd = (int) LibC.check(LibC.C.open(path.toString(), LibC.O_PATH | LibC.O_CLOEXEC, 0),
                    "open", path.toString());
            opened.add(fd);
            byPath.put(fd, path);
            return place(fd);
        }

        /**
         * Opens each path again, at the same fd, from the spawning thread's mount namespace:
         * an fd keeps the mount it was opened through, and only the views made there are
         * read-only.
         */
        void reopenHere() {
            byPath.forEach((fd, path) -> {
                int fresh = (int) LibC.check(LibC.C.open(path.toString(), LibC.O_PATH
                        | LibC.O_CLOEXEC, 0), "open", path.toString());
                LibC.check(LibC.C.dup3(fresh, fd, LibC.O_CLOEXEC), "dup3", path.toString());
                LibC.C.close(fresh);
            });
        }

        int[] layout(int preserveFds, int syncEnd) {
            int[] fds = new int[preserveFds + 1 + placed.size()];
            for (int i = 0; i < preserveFds; i++) fds[i] = 3 + i;
            fds[preserveFds] = syncEnd;
            for (int i = 0; i < placed.size(); i++) fds[preserveFds + 1 + i] = placed.get(i);
            return fds;
        }

        void close() {
            opened.forEach(LibC.C::close);
            opened.clear();
        }

        void releaseNamespace() {
            if (heldNamespace >= 0) LibC.C.close(heldNamespace);
            heldNamespace = -1;
        }
    }

    /**
     * JVM options for a short life. The attach mechanism is off (no socket in a shared /tmp);
     * a library search path keeps JNA from forking "ldconfig -p" into the container.
     */
    /**
     * JDK 17 takes the encoding of file names (sun.jnu.encoding) from the locale only: under
     * LC_ALL=C a Path could not hold "é". glibc 2.35+ has C.UTF-8 built in.
     */
    static final String UTF8_LOCALE = "LC_ALL=C.UTF-8";

    static List<String> jvmOptions() {
        return new ArrayList<>(List.of("-XX:-MaxFDLimit", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-XX:+DisableAttachMechanism",
                "--enable-native-access=ALL-UNNAMED", "-Djna.nounpack=true",
                // Strings cross JNA as UTF-8 whatever the caller's locale (file names are bytes).
                "-Djna.encoding=UTF-8", "-Dfile.encoding=UTF-8",
                "-Djna.platform.library.path=/usr/lib:/lib"));
    }

    /**
     * Spawns the init for "create": java and its arguments by fd, the class path by host path
     * (or by fd in a user namespace). Returns the spawned PID (a wrapper's, if there is one).
     */
    static int launchInit(Entry entry, Fds fds, int preserveFds, int syncEnd, Path stateDir,
            List<Integer> launchOnly) {
        try {
            List<String> args = jvmOptions();
            String extra = System.getProperty("jrunc.init.options");
            if (extra != null && !extra.isBlank()) args.addAll(List.of(extra.trim().split("\\s+")));
            List<String> classPath = new ArrayList<>();
            String jna;
            if (entry.userNamespace()) {
                classPath.addAll(classPathByFds(fds, launchOnly));
                int jnaFd = fds.open(jnaLibraryDirectory(stateDir));
                launchOnly.add(jnaFd);
                jna = "/proc/self/fd/" + jnaFd;
                args.removeIf(o -> RuntimeFiles.ARCHIVE_OPTIONS.stream().anyMatch(o::startsWith)
                        || o.startsWith("-Xlog:cds") || o.startsWith("-Xlog:aot"));
            } else {
                classPath.add(System.getProperty("java.class.path")); // as the archive has it
                jna = jnaLibraryDirectory(stateDir).toString();
            }
            args.addAll(List.of("-Djna.boot.library.path=" + jna, "-cp", String.join(":", classPath),
                    Init.class.getName(), Integer.toString(3 + preserveFds)));
            int argFile = argumentFile(args);
            fds.opened.add(argFile);
            int argFd = fds.place(argFile);
            launchOnly.add(argFd);
            int javaFd = fds.open(Path.of(System.getProperty("java.home"), "bin", "java"));
            launchOnly.add(javaFd);
            List<String> cmd = new ArrayList<>(entry.wrapper());
            cmd.addAll(List.of("/proc/self/fd/" + javaFd, "@/proc/self/fd/" + argFd));
            Log.debug("spawning init: " + String.join(" ", cmd) + " with " + String.join(" ", args));
            Spawn.ThreadSetup setup = () -> {
                entry.thread().apply();
                fds.reopenHere();
                if (entry.userNamespace()) {
                    // unshare --mount leaves this namespace, which would then be torn down
                    // and the views the init starts from detached: until it runs, we hold it.
                    fds.heldNamespace = (int) LibC.check(LibC.C.open("/proc/thread-self/ns/mnt",
                            LibC.O_RDONLY | LibC.O_CLOEXEC, 0), "open", "/proc/thread-self/ns/mnt");
                }
            };
            return Spawn.spawn(setup, cmd.get(0), cmd.toArray(new String[0]),
                    new String[] {"PATH=" + ContainerProcess.DEFAULT_PATH, UTF8_LOCALE},
                    fds.layout(preserveFds, syncEnd));
        } finally {
            fds.close();
        }
    }

    /** The java launcher's argument file (one quoted argument a line), in a memfd. */
    static int argumentFile(List<String> args) {
        String text = argumentFileText(args);
        int fd = (int) LibC.check(LibC.C.memfd_create("jrunc-init-args", LibC.MFD_CLOEXEC),
                "memfd_create", "jrunc-init-args");
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        LibC.check(LibC.C.write(fd, bytes, bytes.length), "write", "jrunc-init-args");
        return fd;
    }

    /** One argument a line, quoted, with \\ and \" escaped: the launcher's @file syntax. */
    static String argumentFileText(List<String> args) {
        StringBuilder text = new StringBuilder();
        for (String a : args) {
            text.append('"').append(a.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        }
        return text.toString();
    }

    /** Sends the init its settings: the first line on the channel. */
    static void sendConfig(SyncChannel sync, InitConfig config) {
        byte[] json = JsonWriter.compact(config).getBytes(StandardCharsets.UTF_8);
        sync.send("config " + Base64.getEncoder().encodeToString(json));
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

    // tag::class-path-fds[]
    /**
     * The class path of an init that starts as the container's root in a user namespace.
     * The host sees that root as an unprivileged uid, which may not reach the class path (a
     * Maven repository under /root, say). The runtime opens every entry while it is still
     * root, and the init reads them through /proc/self/fd/N, where only each file's own
     * permission bits count. The init closes these fds as soon as its JVM has opened them.
     */
    static List<String> classPathByFds(Fds fds, List<Integer> launchOnly) {
        List<String> classPath = new ArrayList<>();
        for (Path entry : classPathEntries()) {
            int fd = fds.open(entry);
            launchOnly.add(fd);
            classPath.add("/proc/self/fd/" + fd);
        }
        return classPath;
    }
    // end::class-path-fds[]

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
