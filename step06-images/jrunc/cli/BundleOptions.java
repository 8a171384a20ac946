package jrunc.cli;

import java.nio.file.Path;
import jrunc.runtime.Creator;
import picocli.CommandLine.Option;

/** What create and run (its bundle form) share, as runc spells it (a picocli mixin). */
final class BundleOptions {
    @Option(names = {"--bundle", "-b"}, paramLabel = "DIR",
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

    Creator.Options toOptions(Path root, String id) {
        return new Creator.Options(root, id, bundle != null ? bundle : Path.of("."), pidFile,
                consoleSocket, preserveFds);
    }
}
