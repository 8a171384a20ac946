package jrunc.runtime;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import jrunc.cli.Jrunc;

/**
 * The training run behind bin/jrunc's class-data archive (JDK 17: -XX:ArchiveClassesAtExit)
 * or AOT cache (JDK 25: -XX:AOTCacheOutput). What this JVM loads and links, every later jrunc
 * and init JVM maps ready-made instead of reading and verifying it from the jars.
 *
 * <p>It needs no root, rootfs or container: it loads every class of jrunc and of JNA (the
 * init's included: the init JVM maps the same archive), then walks the calls an engine makes
 * on a container whose state it writes itself: spec, state, list, features, kill and
 * delete of a stopped one, whose errors it expects.
 */
public final class Training {
    private Training() {}

    public static void main(String[] args) throws IOException {
        PrintStream out = System.out, err = System.err;
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(nowhere);
        System.setErr(nowhere);
        Path tmp = Files.createTempDirectory("jrunc-training");
        try {
            int loaded = loadClasses("jrunc/", "com/sun/jna/");
            Path bundle = Files.createDirectories(tmp.resolve("bundle"));
            Jrunc.execute("spec", "--bundle", bundle.toString());
            Path root = Files.createDirectories(tmp.resolve("root"));
            Path state = Files.createDirectories(root.resolve("training"));
            Files.writeString(state.resolve("state.json"), "{\"ociVersion\":\"1.0.2\",\"id\":\"training\","
                    + "\"pid\":0,\"startTime\":0,\"bundle\":\"" + bundle + "\",\"rootfs\":\"" + bundle
                    + "/rootfs\",\"created\":\"2026-01-01T00:00:00Z\",\"owner\":\"root\",\"cgroupsCreated\":[]}");
            String r = root.toString();
            Jrunc.execute("--root", r, "state", "training");
            Jrunc.execute("--root", r, "list");
            Jrunc.execute("--root", r, "list", "--format", "json");
            Jrunc.execute("--root", r, "features");
            Jrunc.execute("--root", r, "kill", "training", "KILL");
            Jrunc.execute("--root", r, "state", "missing");
            // create of a bundle with no rootfs: parses and validates config.json, then fails.
            Jrunc.execute("--root", r, "create", "--bundle", bundle.toString(), "training2");
            Jrunc.execute("--root", r, "delete", "training");
            System.setErr(err);
            if (args.length > 0 && args[0].equals("--verbose")) out.println("loaded " + loaded + " classes");
        } finally {
            System.setOut(out);
            System.setErr(err);
            try (Stream<Path> files = Files.walk(tmp)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Loads (without initialising) the classes under these prefixes of the class path's jars. */
    static int loadClasses(String... prefixes) throws IOException {
        int loaded = 0;
        ClassLoader loader = Training.class.getClassLoader();
        for (Path jar : InitLauncher.classPathEntries()) {
            try (JarFile file = new JarFile(jar.toFile())) {
                for (JarEntry entry : (Iterable<JarEntry>) file.stream()::iterator) {
                    String name = entry.getName();
                    if (!name.endsWith(".class") || name.contains("-") || Stream.of(prefixes).noneMatch(name::startsWith)) {
                        continue;
                    }
                    try {
                        Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                        loaded++;
                    } catch (LinkageError | ClassNotFoundException notForThisMachine) {
                        // a class for another platform or an optional library: not needed here
                    }
                }
            }
        }
        return loaded;
    }
}
