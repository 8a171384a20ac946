package jrunc.cli;

import java.util.concurrent.Callable;
import jrunc.runtime.Lifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete a stopped (or created) container: its cgroup and state.")
final class DeleteCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--force", "-f"}, description = "kill a running container first")
    boolean force;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() {
        try {
            Lifecycle.delete(jrunc.root(), id, force);
        } catch (jrunc.runtime.JruncException e) {
            // runc: "delete --force" of a container that does not exist is not an error
            if (!force || !e.getMessage().contains("does not exist")) throw e;
        }
        return 0;
    }
}
