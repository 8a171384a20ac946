package jrunc.runtime;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host files a jrunc JVM runs from: what must be read-only wherever a container could
 * reach one of our JVMs (see {@link jrunc.linux.ReadOnlyView}).
 */
final class RuntimeFiles {
    /** Where the exec helper finds the JDK and jrunc in its minimal tree. */
    static final String JDK = "/jdk", JARS = "/jrunc/cp", JNA = "/jrunc/jna", ARGS = "/jrunc/args";

    private RuntimeFiles() {}

    static Path javaHome() {
        return realPath(Path.of(System.getProperty("java.home")));
    }

    /** The class path entries (jars and class directories), as they are on disk. */
    static List<Path> classPath() {
        return InitLauncher.classPathEntries().stream().filter(Files::exists)
                .map(RuntimeFiles::realPath).distinct().toList();
    }

    /** The options that name bin/jrunc's class-data archive (JDK 17) or AOT cache (JDK 25). */
    static final List<String> ARCHIVE_OPTIONS = List.of("-XX:SharedArchiveFile=", "-XX:AOTCache=");

    /** The archive or AOT cache the init's options name, or null. */
    static Path classDataArchive() {
        String options = System.getProperty("jrunc.init.options", "");
        for (String option : options.trim().split("\\s+")) {
            for (String prefix : ARCHIVE_OPTIONS) {
                if (!option.startsWith(prefix)) continue;
                Path archive = Path.of(option.substring(prefix.length()));
                if (Files.isRegularFile(archive)) return realPath(archive);
            }
        }
        return null;
    }

    /**
     * Everything to bind read-only in the init's mount namespace: the JDK, the class path, the
     * JNA library, the archive, the libraries this JVM maps (the init maps the same ones) and
     * the util-linux programs the init may be started through.
     */
    static Set<Path> forInit(Path jnaDirectory) {
        Set<Path> all = new LinkedHashSet<>();
        all.add(javaHome());
        linksOutOfJavaHome().forEach(p -> all.add(realPath(p)));
        all.addAll(classPath());
        all.add(realPath(jnaDirectory));
        Path archive = classDataArchive();
        if (archive != null) all.add(archive);
        all.addAll(mappedLibraries(all));
        for (String tool : new String[] {"nsenter", "unshare"}) {
            for (String dir : new String[] {"/usr/bin", "/bin"}) {
                Path p = Path.of(dir, tool);
                if (Files.isExecutable(p)) all.add(realPath(p));
            }
        }
        return all;
    }

    /** The exec helper's tree: the JDK, the jars and JNA at neutral paths. */
    static Map<String, Path> viewsForExec(Path jnaDirectory) {
        Map<String, Path> views = new LinkedHashMap<>();
        views.put(JDK, javaHome());
        List<Path> jars = classPath();
        for (int i = 0; i < jars.size(); i++) views.put(jarInView(i, jars.get(i)), jars.get(i));
        views.put(JNA, realPath(jnaDirectory));
        return views;
    }

    static String jarInView(int index, Path entry) {
        return JARS + "/" + index + "-" + entry.getFileName();
    }

    /**
     * Host paths the exec helper's tree mirrors at their own paths: the system libraries the
     * JVM maps, the dynamic loader java names (through its symlinks), the loader's cache.
     */
    static List<Path> mirroredForExec() {
        List<Path> mirrors = new ArrayList<>();
        String interpreter = interpreter(javaHome().resolve("bin/java"));
        if (interpreter != null) mirrors.add(Path.of(interpreter));
        mirrors.addAll(linksOutOfJavaHome());
        Set<Path> ours = new LinkedHashSet<>(classPath());
        ours.add(javaHome());
        List<Path> libraries = mappedLibraries(ours);
        mirrors.addAll(libraries);
        mirrors.addAll(sonameLinks(libraries));
        try (var top = Files.list(Path.of("/"))) {
            top.filter(Files::isSymbolicLink).forEach(mirrors::add); // /lib -> usr/lib, …
        } catch (IOException e) {
            throw new JruncException("list /: " + e.getMessage());
        }
        if (Files.isRegularFile(Path.of("/etc/ld.so.cache"))) mirrors.add(Path.of("/etc/ld.so.cache"));
        return mirrors;
    }

    /** Regular files this JVM has mapped (/proc/self/maps) that are not below one of ours. */
    static List<Path> mappedLibraries(Set<Path> ours) {
        Set<Path> libs = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash < 0 || line.endsWith("(deleted)")) continue;
                Path file = Path.of(line.substring(slash));
                if (file.startsWith("/dev") || file.startsWith("/proc")) continue;
                if (ours.stream().anyMatch(file::startsWith)) continue;
                if (Files.isRegularFile(file)) libs.add(realPath(file));
            }
        } catch (IOException e) {
            throw new JruncException("read /proc/self/maps: " + e.getMessage());
        }
        return List.copyOf(libs);
    }

    /**
     * Where the JDK's links to files outside it lead (Debian keeps conf/ and lib/jvm.cfg in
     * /etc/java-17-openjdk, the trust store in /etc/ssl): the JVM reads them at start.
     */
    static List<Path> linksOutOfJavaHome() {
        Path home = javaHome();
        List<Path> targets = new ArrayList<>();
        try (var all = Files.walk(home)) {
            for (Path link : (Iterable<Path>) all.filter(Files::isSymbolicLink)::iterator) {
                Path target = link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
                if (!target.startsWith(home) && Files.exists(target)) targets.add(target);
            }
        } catch (IOException e) {
            throw new JruncException("list " + home + ": " + e.getMessage());
        }
        return targets;
    }

    /** The links the loader looks libraries up by (libz.so.1 -> libz.so.1.2.13), in their folders. */
    static List<Path> sonameLinks(List<Path> libraries) {
        Set<Path> wanted = new LinkedHashSet<>(libraries);
        List<Path> links = new ArrayList<>();
        for (Path dir : libraries.stream().map(Path::getParent).distinct().toList()) {
            try (var entries = Files.list(dir)) {
                entries.filter(Files::isSymbolicLink).filter(l -> wanted.contains(realPath(l)))
                        .forEach(links::add);
            } catch (IOException e) {
                throw new JruncException("list " + dir + ": " + e.getMessage());
            }
        }
        return links;
    }

    /** The ELF program interpreter (PT_INTERP) of a 64-bit little-endian executable, or null. */
    static String interpreter(Path elf) {
        try (RandomAccessFile file = new RandomAccessFile(elf.toFile(), "r")) {
            byte[] header = new byte[64];
            file.readFully(header);
            ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
            if (h.getInt(0) != 0x464c457f || header[4] != 2) return null; // "\177ELF", ELFCLASS64
            long phoff = h.getLong(32);
            int phentsize = h.getShort(54) & 0xffff, phnum = h.getShort(56) & 0xffff;
            for (int i = 0; i < phnum; i++) {
                byte[] ph = new byte[56];
                file.seek(phoff + (long) i * phentsize);
                file.readFully(ph);
                ByteBuffer p = ByteBuffer.wrap(ph).order(ByteOrder.LITTLE_ENDIAN);
                if (p.getInt(0) != 3) continue; // PT_INTERP
                byte[] name = new byte[(int) p.getLong(32) - 1]; // p_filesz, without the NUL
                file.seek(p.getLong(8));
                file.readFully(name);
                return new String(name, java.nio.charset.StandardCharsets.UTF_8);
            }
            return null;
        } catch (IOException e) {
            throw new JruncException("read the ELF header of " + elf + ": " + e.getMessage());
        }
    }

    static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }
}
