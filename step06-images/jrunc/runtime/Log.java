package jrunc.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * --log, --log-format and --debug: runc's log lines (logrus "text" or "json"). conmon reads a
 * failed command's error from this file (json), so every error goes there as well as to stderr.
 * With --log, warnings go to the file only: an engine hands "create" the container's own
 * stdio, and a warning there would show up in "docker logs".
 */
public final class Log {
    static Path file;
    static boolean json;
    static boolean debug;

    private Log() {}

    public static void configure(Path logFile, String format, boolean debugEnabled) {
        file = logFile;
        json = "json".equals(format);
        debug = debugEnabled;
    }

    public static boolean isDebug() {
        return debug;
    }

    public static void error(String message) {
        System.err.println("jrunc: " + message);
        write("error", message, false);
    }

    public static void warn(String message) {
        if (file == null) System.err.println("jrunc: warning: " + message);
        write("warning", message, false);
    }

    /** --debug: narrates each kernel step; to the log file if there is one, else stderr. */
    public static void debug(String message) {
        if (!debug) return;
        write("debug", message, file == null);
    }

    private static void write(String level, String message, boolean toStderr) {
        if (file == null && !toStderr) return;
        String time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String line = json
                ? "{\"level\":\"" + level + "\",\"msg\":" + quote(message) + ",\"time\":\"" + time + "\"}\n"
                : "time=\"" + time + "\" level=" + level + " msg=" + quote(message) + "\n";
        if (file == null) {
            System.err.print(line);
            return;
        }
        try {
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("jrunc: cannot write log " + file + ": " + e.getMessage());
        }
    }

    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        return out.append('"').toString();
    }
}
