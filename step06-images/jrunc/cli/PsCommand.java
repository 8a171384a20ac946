package jrunc.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jrunc.runtime.Container;
import jrunc.runtime.JruncException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "ps", mixinStandardHelpOptions = true,
        description = "Show the processes in a container (host PIDs), as ps(1) prints them.")
final class PsCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--format", "-f"}, paramLabel = "table|json", defaultValue = "table",
            description = "table (ps -ef's columns, default) or json (a list of PIDs)")
    String format;

    @Parameters(index = "0", paramLabel = "ID", description = "the container's id")
    String id;

    @Parameters(index = "1..*", paramLabel = "PS_OPTION", description = "options for ps (default: -ef)")
    List<String> psOptions = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Container c = Container.load(jrunc.root(), id);
        if (c.status().equals("stopped")) {
            throw new JruncException("container " + id + " is not running");
        }
        List<Integer> pids = c.cgroups().pids();
        if (format.equals("json")) {
            System.out.println(pids);
            return 0;
        }
        List<String> command = new ArrayList<>(List.of("ps"));
        command.addAll(psOptions.isEmpty() ? List.of("-ef") : psOptions);
        Process ps = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(ps.getInputStream()))) {
            String header = out.readLine();
            if (header == null) throw new JruncException("ps printed nothing");
            int pidColumn = List.of(header.trim().split("\\s+")).indexOf("PID");
            System.out.println(header);
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                String[] fields = line.trim().split("\\s+");
                if (pidColumn >= 0 && pidColumn < fields.length && fields[pidColumn].matches("\\d+")
                        && pids.contains(Integer.parseInt(fields[pidColumn]))) {
                    System.out.println(line);
                }
            }
        }
        return ps.waitFor() == 0 ? 0 : 1;
    }
}
