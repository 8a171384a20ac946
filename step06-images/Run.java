///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS net.java.dev.jna:jna:5.19.1
//DEPS com.fasterxml.jackson.core:jackson-databind:2.22.4
//DEPS info.picocli:picocli:4.7.7
//DEPS org.apache.commons:commons-compress:1.28.0
//DEPS com.github.luben:zstd-jni:1.5.7-28
//SOURCES jrunc/**/*.java
//JAVA_OPTIONS -XX:-MaxFDLimit --enable-native-access=ALL-UNNAMED

/**
 * jrunc: the workshop's final container runtime, runc-compatible, with image commands.
 *
 * <p>Runs as {@code ./jbang step06-images/Run.java COMMAND ...}; {@code bin/jrunc} runs the
 * built jar without jbang. The code is in packages, by layer: {@code jrunc.cli} (one class per
 * command) → {@code jrunc.runtime} (lifecycle, state, the init) → {@code jrunc.linux} (JNA,
 * namespaces, mounts, capabilities, cgroups) and {@code jrunc.spec} (config.json), next to
 * {@code jrunc.image} (registry, store, unpacking).
 */
public class Run {
    public static void main(String[] args) {
        jrunc.cli.Jrunc.main(args);
    }
}
