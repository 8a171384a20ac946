package jrunc.cli;

import java.util.concurrent.Callable;
import jrunc.runtime.Lifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "start", mixinStandardHelpOptions = true,
        description = "Start the process of a created container.")
final class StartCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() {
        Lifecycle.start(jrunc.root(), id);
        return 0;
    }
}
