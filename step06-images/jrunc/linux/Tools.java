package jrunc.linux;

import java.nio.file.Files;
import java.nio.file.Path;

/** The single-threaded helpers jrunc borrows from util-linux (unshare, nsenter). */
public final class Tools {
    private Tools() {}

    /** The absolute path of a util-linux program, or an error that says how to get it. */
    public static String find(String name) {
        for (String dir : new String[] {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        throw new LibC.SyscallException("find", name, LibC.ENOENT, "user namespaces and joining a time namespace"
                + " need util-linux's " + name + " (apt-get install util-linux)");
    }
}
