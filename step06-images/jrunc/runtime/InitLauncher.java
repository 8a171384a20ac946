package jrunc.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jrunc.linux.LibC;
import jrunc.linux.Spawn;

/**
 * Starts the init JVM ({@link Init}) with the runtime's own class path, from a thread that
 * first enters the container's namespaces. The init gets the preserved fds at 3.. and its end
 * of the socketpair right after them.
 */
final class InitLauncher {
    private InitLauncher() {}

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

    /** A socketpair; [0] stays with the runtime, [1] goes to the init. */
    static int[] socketPair() {
        int[] fds = new int[2];
        LibC.check(LibC.C.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.O_CLOEXEC, 0, fds),
                "socketpair", "AF_UNIX");
        return fds;
    }

    static int launch(Spawn.ThreadSetup namespaces, Path configFile, int preserveFds, int childEnd) {
        List<String> cmd = javaCommand(configFile);
        int[] fds = new int[preserveFds + 1];
        for (int i = 0; i < preserveFds; i++) fds[i] = 3 + i;
        fds[preserveFds] = childEnd;
        String[] env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
        Log.debug("spawning init: " + String.join(" ", cmd));
        return Spawn.spawn(namespaces, cmd.get(0), cmd.toArray(new String[0]), env, fds);
    }
}
