package jrunc.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jrunc.image.ByteSize;
import jrunc.image.ImageConfigToSpec;
import jrunc.image.Platform;
import jrunc.image.cli.StoreOption;
import jrunc.runtime.JruncException;
import jrunc.runtime.Lifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Two forms:",
                "  run [--bundle DIR] [--detach] ID      runc's: create and start the bundle's"
                        + " container; without --detach, wait for it and exit with its status"
                        + " (128+N if a signal N killed it), then delete it.",
                "  run [--rm] [--name ID] [-e K=V] [-w DIR] [--memory SIZE] [--cpus N] [--pids N]"
                        + " [--hostname H] IMAGE [COMMAND...]   docker's: pull IMAGE if the store"
                        + " lacks it, stack its layers (overlayfs), write config.json from the"
                        + " image's config, run it in the foreground.",
                "The image form is chosen when an image option is given, when a COMMAND follows,"
                        + " or when there is no --bundle and no ./config.json."})
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Mixin
    BundleOptions bundleOptions;

    @Option(names = {"--detach", "-d"}, description = "return once the container runs")
    boolean detach;

    // The image form's options.
    @Mixin
    StoreOption store;

    @Option(names = "--rm", description = "image form: remove the container's files when it exits")
    boolean remove;

    @Option(names = "--name", paramLabel = "ID", description = "image form: the container's id")
    String name;

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "image form: set a variable")
    List<String> env = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "image form: working directory")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]", description = "image form: run as this user")
    String user;

    @Option(names = "--hostname", paramLabel = "NAME", description = "image form: the hostname inside")
    String hostname;

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", description = "image form: memory limit (512k, 64m, 1g)")
    String memory;

    @Option(names = "--cpus", paramLabel = "N", description = "image form: CPU share (0.5 = half a core)")
    Double cpus;

    @Option(names = "--pids", paramLabel = "N", description = "image form: at most N processes")
    Long pids;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "image form: which image of an index to pull")
    String platform;

    @Option(names = "--insecure", description = "image form: plain HTTP to a non-loopback registry")
    boolean insecure;

    @Option(names = "--creds", paramLabel = "USER:PASSWORD", description = "image form: registry credentials")
    String creds;

    @Parameters(paramLabel = "ID | IMAGE [COMMAND...]",
            description = "the container's id (bundle form), or an image and its command")
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (arguments.isEmpty()) throw new JruncException("run: missing ID or IMAGE (see jrunc run --help)");
        if (!imageForm()) {
            if (arguments.size() > 1) throw new JruncException("run: one ID, got " + arguments);
            return Lifecycle.run(bundleOptions.toOptions(jrunc.root(), arguments.get(0)), detach);
        }
        if (bundleOptions.bundle != null || detach || bundleOptions.pidFile != null
                || bundleOptions.consoleSocket != null) {
            throw new JruncException("run IMAGE: --bundle, --detach, --pid-file and --console-socket"
                    + " belong to the bundle form (run [--bundle DIR] ID)");
        }
        if (cpus != null && !(cpus > 0)) throw new JruncException("--cpus " + cpus + ": must be more than 0");
        if (pids != null && pids < 1) throw new JruncException("--pids " + pids + ": must be at least 1");
        var overrides = new ImageConfigToSpec.Overrides(arguments.subList(1, arguments.size()), null,
                env, workdir, user, hostname, false,
                memory == null ? null : ByteSize.parse("--memory", memory), cpus, pids);
        return ImageRun.run(jrunc.root(), store.open(), new ImageRun.Request(arguments.get(0),
                name, remove, overrides,
                platform == null ? null : Platform.parse(platform), insecure, creds));
    }

    private boolean imageForm() {
        return remove || name != null || !env.isEmpty() || workdir != null || user != null
                || hostname != null || memory != null || cpus != null || pids != null
                || platform != null || insecure || creds != null || arguments.size() > 1
                || bundleOptions.bundle == null && !Files.isRegularFile(Path.of("config.json"));
    }
}
