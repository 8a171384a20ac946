package jrunc.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What /proc says about a PID: is it alive, and is it still the process we started? */
public final class Processes {
    private Processes() {}

    /** Field 22 of /proc/PID/stat (start time in clock ticks); -1 if there is no such PID. */
    public static long startTime(int pid) {
        String[] fields = statFields(pid);
        return fields == null ? -1 : Long.parseLong(fields[19]);
    }

    /** Alive and not a zombie, with the recorded start time. */
    public static boolean isAlive(int pid, long startTime) {
        String[] fields = statFields(pid);
        return fields != null && !fields[0].equals("Z") && !fields[0].equals("X")
                && Long.parseLong(fields[19]) == startTime;
    }

    /** The one child of pid (nsenter's, after it forked into a PID namespace). */
    static int onlyChild(int pid) {
        Path children = Path.of("/proc", Integer.toString(pid), "task", Integer.toString(pid), "children");
        try {
            String[] pids = Files.readString(children).trim().split(" ");
            if (pids.length == 1 && !pids[0].isEmpty()) return Integer.parseInt(pids[0]);
            throw new JruncException("expected one child of " + pid + ", found [" + String.join(" ", pids) + "]");
        } catch (IOException e) {
            throw new JruncException("read " + children + ": " + e.getMessage());
        }
    }

    /** The fields after "(comm)": [0] is the state letter, [19] the start time. */
    static String[] statFields(int pid) {
        if (pid <= 0) return null;
        try {
            String stat = Files.readAllLines(Path.of("/proc", Integer.toString(pid), "stat")).get(0);
            return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        } catch (IOException e) {
            return null;
        }
    }
}
