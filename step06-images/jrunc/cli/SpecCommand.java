package jrunc.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jrunc.runtime.JruncException;
import jrunc.spec.DefaultSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "spec", mixinStandardHelpOptions = true,
        description = "Write a default config.json (runc's) into the bundle directory.")
final class SpecCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--bundle", "-b"}, paramLabel = "DIR", defaultValue = ".",
            description = "where to write config.json (default: .)")
    Path bundle;

    @Option(names = "--rootless", description = "not supported: jrunc needs root")
    boolean rootless;

    @Override
    public Integer call() throws Exception {
        if (rootless) throw new JruncException("spec --rootless: jrunc has no rootless mode");
        Path config = bundle.resolve("config.json");
        if (Files.exists(config)) {
            throw new JruncException("File " + config + " exists. Remove it first");
        }
        Files.writeString(config, DefaultSpec.json());
        return 0;
    }
}
