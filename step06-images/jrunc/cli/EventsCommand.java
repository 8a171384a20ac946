package jrunc.cli;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jrunc.json.JsonWriter;
import jrunc.runtime.Container;
import jrunc.runtime.JruncException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * runc's "events": the container's cgroup counters as {"type":"stats","id":…,"data":{…}} JSON
 * lines, once (--stats) or every --interval until the container stops.
 */
@Command(name = "events", mixinStandardHelpOptions = true,
        description = {"Print a container's cpu, memory, pids and blkio statistics as JSON lines,",
                "every --interval until the container stops, or once with --stats."})
final class EventsCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = "--stats", description = "print the statistics once, then exit")
    boolean once;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "5s",
            description = "time between two events, as Go writes it: 5s, 500ms, 1m (default: ${DEFAULT-VALUE})")
    String interval;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() throws Exception {
        Duration every = duration(interval);
        Container c = Container.load(jrunc.root(), id);
        if (c.status().equals("stopped")) {
            throw new JruncException("container " + id + " is not running");
        }
        if (once) {
            print(c);
            return 0;
        }
        while (true) {
            Thread.sleep(every.toMillis());
            try {
                c = Container.load(jrunc.root(), id);
            } catch (JruncException deleted) {
                return 0;
            }
            if (c.status().equals("stopped")) return 0;
            print(c);
        }
    }

    private void print(Container c) throws Exception {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", "stats");
        event.put("id", id);
        event.put("data", c.cgroups().stats());
        System.out.println(JsonWriter.compact(event));
        System.out.flush();
    }

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    /** Go's time.ParseDuration for the units a user writes ("1m30s", "250ms"). */
    static Duration duration(String text) {
        Matcher m = PART.matcher(text);
        double nanos = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            double unit = switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            nanos += Double.parseDouble(m.group(1)) * unit;
            end = m.end();
        }
        if (end == 0 || end != text.length() || nanos < 1e6) {
            throw new JruncException("--interval " + text + ": not a duration of at least 1ms"
                    + " (e.g. 5s, 500ms, 1m)");
        }
        return Duration.ofNanos((long) nanos);
    }
}
