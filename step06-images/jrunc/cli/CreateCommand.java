package jrunc.cli;

import java.util.concurrent.Callable;
import jrunc.runtime.Creator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create a container from a bundle; its process waits for \"start\".")
final class CreateCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Mixin
    BundleOptions bundle;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() {
        Creator.create(bundle.toOptions(jrunc.root(), id));
        return 0;
    }
}
