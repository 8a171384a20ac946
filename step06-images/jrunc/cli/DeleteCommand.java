package jrunc.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jrunc.image.RootfsBuilder;
import jrunc.image.cli.StoreOption;
import jrunc.runtime.Lifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "delete", mixinStandardHelpOptions = true,
        description = {"Delete a stopped (or created) container: its cgroup and state.",
                "For a container of `run IMAGE` without --rm, also its files in the store."})
final class DeleteCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--force", "-f"}, description = "kill a running container first")
    boolean force;

    @Mixin
    StoreOption store;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() throws Exception {
        boolean hasImageFiles = Files.isDirectory(imageFiles());
        try {
            Lifecycle.delete(jrunc.root(), id, force);
        } catch (jrunc.runtime.JruncException e) {
            // runc: "delete --force" of a container that does not exist is not an error
            boolean gone = e.getMessage().contains("does not exist");
            if (!gone || !(force || hasImageFiles)) throw e;
        }
        if (hasImageFiles) new RootfsBuilder(store.open()).remove(id);
        return 0;
    }

    /** Where run IMAGE keeps the container's overlay directories (or a path that is never there). */
    private Path imageFiles() {
        try {
            return new RootfsBuilder(store.open()).containerDir(id);
        } catch (IllegalArgumentException notAnImageContainerId) {
            return Path.of("/nonexistent");
        }
    }
}
