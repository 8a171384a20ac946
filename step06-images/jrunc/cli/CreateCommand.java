package jrunc.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import jrunc.runtime.Creator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create a container from a bundle; its process waits for \"start\".")
final class CreateCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--bundle", "-b"}, paramLabel = "DIR", defaultValue = ".",
            description = "the bundle: config.json and the root file system (default: .)")
    Path bundle;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "write the init's PID here")
    Path pidFile;

    @Option(names = "--console-socket", paramLabel = "SOCK",
            description = "AF_UNIX socket that receives the pty master (process.terminal)")
    String consoleSocket;

    @Option(names = "--preserve-fds", paramLabel = "N", defaultValue = "0",
            description = "pass fds 3..3+N-1 on to the container's process")
    int preserveFds;

    @Option(names = "--no-new-keyring", description = "accepted for runc compatibility:"
            + " jrunc never creates a session keyring")
    boolean noNewKeyring;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() {
        Creator.create(new Creator.Options(jrunc.root(), id, bundle, pidFile, consoleSocket,
                preserveFds));
        return 0;
    }
}
