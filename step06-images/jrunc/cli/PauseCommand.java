package jrunc.cli;

import java.util.concurrent.Callable;
import jrunc.runtime.Lifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "pause", mixinStandardHelpOptions = true,
        description = "Suspend every process of a running container (cgroup freezer).")
final class PauseCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() {
        Lifecycle.pause(jrunc.root(), id, true);
        return 0;
    }
}
