package jrunc.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import workshop.testkit.Command;
import workshop.testkit.Workshop;

/**
 * What an attack test lets a container aim at: copies of the host files a runtime process
 * could expose (the JDK as java.home, the class path, JNA's native library, util-linux's
 * nsenter and unshare, runc), so that an escape that is still open damages a copy and never
 * the machine. Every jrunc and runc command runs in a private mount namespace in which the
 * copies of the tools are bound over the originals; that namespace also holds a tmpfs that
 * only the host has (source "escape-hostmark"), so a mount table that lists it is the host's.
 */
final class HostCopies {
    static final String HOST_MOUNT_SOURCE = "escape-hostmark";
    final Path dir;
    final Path jdk;
    final Path classPath;
    final Path jna;
    final Path tools;
    private final Map<Path, Path> originals = new TreeMap<>();
    private Map<Path, String> hashes;

    private HostCopies(Path dir) {
        this.dir = dir;
        this.jdk = dir.resolve("jdk");
        this.classPath = dir.resolve("cp");
        this.jna = dir.resolve("jna");
        this.tools = dir.resolve("tools");
    }

    /** The copies in dir (about 200 MB, a second or two). */
    static HostCopies make(Path dir) throws IOException {
        HostCopies c = new HostCopies(dir);
        c.copyJdk(Path.of(System.getProperty("java.home")));
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (entry.endsWith(".jar")) c.copy(p, c.classPath.resolve(p.getFileName()));
            else if (p.endsWith("target/classes") && p.startsWith(Workshop.root().resolve("step06-images"))) {
                c.copyTree(p, c.classPath.resolve("classes"));
            }
        }
        c.extractJnaLibrary();
        for (String tool : List.of("nsenter", "unshare", "runc")) c.copy(c.original(tool), c.tools.resolve(tool));
        c.hashes = c.hashAll();
        return c;
    }

    /** COPY/jdk/bin/java … jrunc.cli.Jrunc, inside the private mount namespace. */
    List<String> jruncLauncher(Path hostMount) {
        List<String> argv = new ArrayList<>(sandbox(hostMount));
        // Tuned for a short life (as the init is): the attack tests start ~150 of these.
        argv.addAll(List.of(jdk.resolve("bin/java").toString(), "-XX:-MaxFDLimit",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
                "-Djna.boot.library.path=" + jna, "-Djna.nounpack=true", "-cp", classPathString(),
                "jrunc.cli.Jrunc"));
        return argv;
    }

    /** Debian's runc (its copy bound over it), inside the private mount namespace. */
    List<String> runcLauncher(Path hostMount) {
        List<String> argv = new ArrayList<>(sandbox(hostMount));
        argv.add(original("runc").toString());
        return argv;
    }

    /**
     * unshare --mount … sh -c 'mount --bind COPY ORIGINAL …; exec "$@"' sh COMMAND…: the tools a
     * runtime runs are the copies; nothing changes in the test's own mount namespace.
     */
    private List<String> sandbox(Path hostMount) {
        StringBuilder script = new StringBuilder("set -e; ");
        for (String tool : List.of("nsenter", "unshare", "runc")) {
            script.append("mount --bind ").append(tools.resolve(tool)).append(' ').append(original(tool)).append("; ");
        }
        script.append("mount -t tmpfs ").append(HOST_MOUNT_SOURCE).append(' ').append(hostMount).append("; ");
        script.append("exec \"$@\"");
        return List.of(original("unshare").toString(), "--mount", "--propagation", "private",
                "sh", "-c", script.toString(), "sh");
    }

    String classPathString() {
        try (Stream<Path> s = Files.list(classPath)) {
            return String.join(":", s.map(Path::toString).sorted().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "dev:ino" of every copied file, for the payload to recognise a copy (and write only to one). */
    String ids() throws IOException {
        List<String> ids = new ArrayList<>();
        for (Path p : hashes.keySet()) {
            ids.add(Files.getAttribute(p, "unix:dev") + ":" + Files.getAttribute(p, "unix:ino"));
        }
        return String.join(" ", ids);
    }

    /**
     * The copies that changed (or appeared) since they were made. The changed ones are put back,
     * so that an attack that worked does not break the tests after it.
     */
    List<String> changedAndRestored() throws IOException {
        Map<Path, String> now = hashAll();
        List<String> changed = new ArrayList<>();
        for (Map.Entry<Path, String> e : hashes.entrySet()) {
            if (!e.getValue().equals(now.get(e.getKey()))) {
                changed.add(dir.relativize(e.getKey()).toString());
                Files.copy(originals.get(e.getKey()), e.getKey(), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        for (Path p : now.keySet()) if (!hashes.containsKey(p)) changed.add("new file " + dir.relativize(p));
        return changed;
    }

    /** Every path under dir, except what a container may legitimately change (its rootfs). */
    static TreeSet<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString())
                    .filter(p -> !p.matches("(.*/)?rootfs/.*")).collect(TreeSet::new, TreeSet::add, TreeSet::addAll);
        }
    }

    private Path original(String tool) {
        String path = Command.of("sh", "-c", "command -v " + tool).run().assertExit(0).stdout().trim();
        return Path.of(path);
    }

    /** bin, conf, lib and release of java.home, symlinks (to /etc) replaced by the files. */
    private void copyJdk(Path home) throws IOException {
        try (Stream<Path> s = Files.walk(home)) {
            for (Path p : s.toList()) {
                Path rel = home.relativize(p);
                if (rel.toString().isEmpty() || !List.of("bin", "conf", "lib", "release").contains(rel.getName(0).toString())
                        || rel.toString().equals("lib/src.zip")) {
                    continue;
                }
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) Files.createDirectories(jdk.resolve(rel));
                else if (Files.isRegularFile(p)) copy(p, jdk.resolve(rel));
            }
        }
    }

    private void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else copy(p, target);
            }
        }
    }

    private void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
        originals.put(to, from);
    }

    private void extractJnaLibrary() throws IOException {
        Path jar = Path.of(com.sun.jna.Native.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        try (JarFile j = new JarFile(jar.toFile());
                InputStream in = j.getInputStream(j.getEntry("com/sun/jna/linux-x86-64/libjnidispatch.so"))) {
            Path lib = jna.resolve("libjnidispatch.so");
            Files.createDirectories(jna);
            Files.copy(in, lib);
            // The original of an extracted file is the extracted file as it is now.
            Path pristine = dir.resolveSibling(dir.getFileName() + "-pristine-libjnidispatch.so");
            Files.copy(lib, pristine, StandardCopyOption.REPLACE_EXISTING);
            originals.put(lib, pristine);
        }
    }

    private Map<Path, String> hashAll() throws IOException {
        Map<Path, String> h = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                h.put(p, sha256(p));
            }
        }
        return h;
    }

    private static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0;) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Compiles the static exe payload (no libc: it may run as another binary's ELF interpreter). */
    static Path compilePayload(Path into) {
        Path source = Workshop.root().resolve("step06-images/test/resources/escape/exe-payload.c");
        Path out = into.resolve("exe-payload");
        Command.of("gcc", "-static", "-nostdlib", "-fno-stack-protector", "-fno-builtin", "-O1", "-o",
                out.toString(), source.toString()).timeout(Duration.ofSeconds(60)).run().assertExit(0);
        return out;
    }
}
