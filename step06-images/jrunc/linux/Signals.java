package jrunc.linux;

import java.util.Map;

/** Signal names and numbers as kill(1) and runc accept them: KILL, SIGKILL, 9. */
public final class Signals {
    static final Map<String, Integer> NUMBERS = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4),
            Map.entry("TRAP", 5), Map.entry("ABRT", 6), Map.entry("IOT", 6), Map.entry("BUS", 7),
            Map.entry("FPE", 8), Map.entry("KILL", 9), Map.entry("USR1", 10),
            Map.entry("SEGV", 11), Map.entry("USR2", 12), Map.entry("PIPE", 13),
            Map.entry("ALRM", 14), Map.entry("TERM", 15), Map.entry("STKFLT", 16),
            Map.entry("CHLD", 17), Map.entry("CONT", 18), Map.entry("STOP", 19),
            Map.entry("TSTP", 20), Map.entry("TTIN", 21), Map.entry("TTOU", 22),
            Map.entry("URG", 23), Map.entry("XCPU", 24), Map.entry("XFSZ", 25),
            Map.entry("VTALRM", 26), Map.entry("PROF", 27), Map.entry("WINCH", 28),
            Map.entry("IO", 29), Map.entry("POLL", 29), Map.entry("PWR", 30), Map.entry("SYS", 31));

    private Signals() {}

    /** "KILL", "SIGKILL", "kill" or "9" → 9; -1 if unknown. */
    public static int parse(String text) {
        if (text.matches("\\d+")) {
            int n = Integer.parseInt(text);
            return n >= 1 && n <= 64 ? n : -1;
        }
        String name = text.toUpperCase();
        if (name.startsWith("SIG")) name = name.substring(3);
        if (name.startsWith("RTMIN")) return rt(name.substring(5), 34);
        if (name.startsWith("RTMAX")) return rt(name.substring(5), 64);
        return NUMBERS.getOrDefault(name, -1);
    }

    private static int rt(String offset, int base) {
        if (offset.isEmpty()) return base;
        try {
            return base + Integer.parseInt(offset);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
