package jrunc.cli;

import java.util.concurrent.Callable;
import jrunc.runtime.Lifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "resume", mixinStandardHelpOptions = true,
        description = "Resume a paused container.")
final class ResumeCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() {
        Lifecycle.pause(jrunc.root(), id, false);
        return 0;
    }
}
