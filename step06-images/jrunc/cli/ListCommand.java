package jrunc.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import jrunc.json.JsonWriter;
import jrunc.runtime.Container;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the containers under --root.")
final class ListCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--format", "-f"}, paramLabel = "table|json", defaultValue = "table",
            description = "table (default) or json")
    String format;

    @Option(names = {"--quiet", "-q"}, description = "print only the ids")
    boolean quiet;

    @Override
    public Integer call() {
        if (!format.equals("table") && !format.equals("json")) {
            throw new jrunc.runtime.JruncException("--format " + format + ": must be table or json");
        }
        List<Map<String, Object>> json = new ArrayList<>();
        StringBuilder table = new StringBuilder(String.format("%-12s%-12s%-12s%-40s%-32s%s%n",
                "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"));
        for (String id : Container.ids(jrunc.root())) {
            Container c;
            try {
                c = Container.load(jrunc.root(), id);
            } catch (jrunc.runtime.JruncException vanished) {
                continue; // deleted while we listed
            }
            String status = c.status();
            int pid = status.equals("stopped") ? 0 : c.state().pid();
            if (quiet) {
                System.out.println(id);
            }
            table.append(String.format("%-12s%-12d%-12s%-40s%-32s%s%n", id, pid, status,
                    c.state().bundle(), c.state().created(), "root"));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("ociVersion", c.state().ociVersion());
            entry.put("id", id);
            entry.put("pid", pid);
            entry.put("status", status);
            entry.put("bundle", c.state().bundle());
            entry.put("rootfs", c.state().rootfs());
            entry.put("created", c.state().created());
            entry.put("owner", "root");
            json.add(entry);
        }
        if (quiet) return 0;
        System.out.print(format.equals("json") ? JsonWriter.compact(json) + "\n" : table);
        return 0;
    }
}
