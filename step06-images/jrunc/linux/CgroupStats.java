package jrunc.linux;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading cgroup counter files into the nested maps that "events --stats" prints, with
 * runc's field names. A file that is missing (a controller not mounted, no swap accounting)
 * reads as 0 or empty: the stats of a container are never an error.
 */
final class CgroupStats {
    /** cpuacct.stat counts in USER_HZ ticks (100 a second on Linux); runc prints nanoseconds. */
    static final long NANOS_PER_TICK = 1_000_000_000L / 100;

    private CgroupStats() {}

    /** One number; "max" (no limit) as 0, as runc prints pids.limit. */
    static long number(Path file) {
        String text = readOrEmpty(file);
        if (text.isEmpty() || text.equals("max")) return 0;
        return Long.parseLong(text.split("\\s+")[0]);
    }

    /** "12 34 56" as [12, 34, 56] (cpuacct.usage_percpu). */
    static List<Long> numbers(Path file) {
        List<Long> values = new ArrayList<>();
        for (String word : readOrEmpty(file).split("\\s+")) {
            if (!word.isEmpty()) values.add(Long.parseLong(word));
        }
        return values;
    }

    /** "key value" lines (memory.stat, cpu.stat, cpuacct.stat) as a map, in file order. */
    static Map<String, Long> keyed(Path file) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : readOrEmpty(file).split("\n")) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2 && kv[1].matches("-?\\d+")) values.put(kv[0], Long.parseLong(kv[1]));
        }
        return values;
    }

    /** cpu.stat's throttling counters; v2 counts microseconds where v1 counts nanoseconds. */
    static Map<String, Object> throttling(Map<String, Long> cpuStat) {
        return object("periods?", cpuStat.getOrDefault("nr_periods", 0L),
                "throttledPeriods?", cpuStat.getOrDefault("nr_throttled", 0L),
                "throttledTime?", cpuStat.containsKey("throttled_time")
                        ? cpuStat.get("throttled_time") : cpuStat.getOrDefault("throttled_usec", 0L) * 1000);
    }

    /** "8:0 Read 4096" lines (v1 blkio) as {major, minor, op, value} entries; "Total" is skipped. */
    static List<Map<String, Object>> blkioEntries(Path file) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (String line : readOrEmpty(file).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length != 3 || !f[0].matches("\\d+:\\d+")) continue;
            String[] device = f[0].split(":");
            entries.add(object("major?", Long.parseLong(device[0]), "minor?", Long.parseLong(device[1]),
                    "op", f[1], "value?", Long.parseLong(f[2])));
        }
        return entries;
    }

    /**
     * A JSON object in the order given: key, value, key, value … A key ending in "?" is left
     * out when its value is 0 or empty, where runc's Go types say omitempty.
     */
    static Map<String, Object> object(Object... keysAndValues) {
        Map<String, Object> object = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            String key = (String) keysAndValues[i];
            Object value = keysAndValues[i + 1];
            if (key.endsWith("?")) {
                if (value instanceof Long n && n == 0 || value instanceof List<?> l && l.isEmpty()) continue;
                key = key.substring(0, key.length() - 1);
            }
            object.put(key, value);
        }
        return object;
    }

    private static String readOrEmpty(Path file) {
        return Files.exists(file) ? Cgroups.read(file) : "";
    }
}
