package jrunc.cli;

import java.util.concurrent.Callable;
import jrunc.linux.Signals;
import jrunc.runtime.JruncException;
import jrunc.runtime.Lifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "kill", mixinStandardHelpOptions = true,
        description = "Send a signal (default TERM; a name like KILL or SIGKILL, or a number)"
                + " to the container's init.")
final class KillCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--all", "-a"}, description = "signal every process in the container")
    boolean all;

    @Parameters(index = "0", paramLabel = "ID", description = "the container's id")
    String id;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SIGNAL", defaultValue = "TERM",
            description = "signal name or number (default: TERM)")
    String signal;

    @Override
    public Integer call() {
        int number = Signals.parse(signal);
        if (number < 0) throw new JruncException("unknown signal " + signal);
        Lifecycle.kill(jrunc.root(), id, number, all);
        return 0;
    }
}
