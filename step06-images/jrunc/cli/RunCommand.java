package jrunc.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import jrunc.runtime.Creator;
import jrunc.runtime.Lifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Create and start a container; without --detach, wait for it and exit"
                + " with its status (128+N if a signal N killed it), then delete it.")
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--bundle", "-b"}, paramLabel = "DIR", defaultValue = ".",
            description = "the bundle directory (default: .)")
    Path bundle;

    @Option(names = {"--detach", "-d"}, description = "return once the container runs")
    boolean detach;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "write the init's PID here")
    Path pidFile;

    @Option(names = "--console-socket", paramLabel = "SOCK",
            description = "AF_UNIX socket that receives the pty master (process.terminal)")
    String consoleSocket;

    @Option(names = "--preserve-fds", paramLabel = "N", defaultValue = "0",
            description = "pass fds 3..3+N-1 on to the container's process")
    int preserveFds;

    @Option(names = "--no-new-keyring", description = "accepted for runc compatibility")
    boolean noNewKeyring;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() {
        return Lifecycle.run(new Creator.Options(jrunc.root(), id, bundle, pidFile,
                consoleSocket, preserveFds), detach);
    }
}
