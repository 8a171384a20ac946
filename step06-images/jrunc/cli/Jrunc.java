package jrunc.cli;

import java.nio.file.Path;
import java.util.List;
import jrunc.image.cli.ImagesCommand;
import jrunc.image.cli.ImportCommand;
import jrunc.image.cli.InspectCommand;
import jrunc.image.cli.PullCommand;
import jrunc.image.cli.RmiCommand;
import jrunc.linux.Cgroups;
import jrunc.linux.LibC;
import jrunc.runtime.JruncException;
import jrunc.runtime.Log;
import jrunc.spec.SpecException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * jrunc's command line, shaped like runc's so that podman (through conmon) can drive it:
 * global options first, then one command. One class per command in this package; the image
 * commands (pull, import, images, rmi, inspect) come from jrunc.image.cli; run has an image
 * form besides runc's (see RunCommand).
 */
@Command(name = "jrunc", mixinStandardHelpOptions = true,
        versionProvider = Jrunc.Version.class,
        description = "A runc-compatible OCI container runtime, written in Java.",
        subcommands = {SpecCommand.class, CreateCommand.class, StartCommand.class,
                StateCommand.class, KillCommand.class, DeleteCommand.class, RunCommand.class,
                ListCommand.class, PsCommand.class, ExecCommand.class, PauseCommand.class,
                ResumeCommand.class, UpdateCommand.class, EventsCommand.class,
                FeaturesCommand.class, PullCommand.class, ImportCommand.class, ImagesCommand.class, RmiCommand.class,
                InspectCommand.class, CommandLine.HelpCommand.class})
public final class Jrunc {
    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/run/jrunc",
            description = "directory for the containers' state (default: ${DEFAULT-VALUE})")
    Path root;

    @Option(names = "--log", paramLabel = "FILE", description = "also write errors (and"
            + " --debug narration) to FILE")
    Path log;

    @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "text",
            description = "format of --log lines: text (default) or json")
    String logFormat;

    @Option(names = "--debug", description = "narrate each kernel step")
    boolean debug;

    @Option(names = "--systemd-cgroup", description = "not supported: jrunc manages cgroupfs"
            + " paths only")
    boolean systemdCgroup;

    public static void main(String[] args) {
        Utf8Locale.restartIfNeeded(); // file names are bytes: see Utf8Locale
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        // Before JNA loads: strings it passes (hook paths, args, env) are UTF-8 bytes.
        if (System.getProperty("jna.encoding") == null) System.setProperty("jna.encoding", "UTF-8");
        Integer fast = FastCli.execute(args); // the lifecycle calls an engine makes
        return fast != null ? fast : withPicocli(args);
    }

    /** Everything else: --help, the image commands, and every call the table does not parse. */
    static int withPicocli(String... args) {
        CommandLine cli = new CommandLine(new Jrunc());
        // As Go's flag package (runc): options end at the first argument, so in
        // "exec ID sh -c CMD" the -c belongs to sh.
        cli.setStopAtPositional(true);
        // The image commands run no command line of their own: their options may also
        // follow the reference, as with docker (pull REF --platform X).
        for (String image : List.of("pull", "import", "images", "rmi", "inspect")) {
            cli.getSubcommands().get(image).setStopAtPositional(false);
        }
        cli.setExecutionStrategy(parsed -> {
            Jrunc top = parsed.asCommandLineList().get(0).getCommand();
            top.configureLog();
            return new CommandLine.RunLast().execute(parsed);
        });
        cli.setParameterExceptionHandler(Jrunc::usageError);
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> failure(e));
        return cli.execute(args);
    }

    void configureLog() {
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new JruncException("--log-format " + logFormat + ": must be text or json");
        }
        Log.configure(log, logFormat, debug);
        if (systemdCgroup) {
            throw new JruncException("--systemd-cgroup is not supported by jrunc: use"
                    + " cgroupfs paths (podman --cgroup-manager=cgroupfs)");
        }
    }

    /** runc: exit 1 with the command's usage; exit 3 for a command that does not exist. */
    static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        if (e instanceof CommandLine.UnmatchedArgumentException u
                && command.getCommandSpec().userObject() instanceof Jrunc
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
            Log.error("unknown command " + u.getUnmatched().get(0) + " (see jrunc --help)");
            return 3;
        }
        Log.error(e.getMessage());
        command.usage(System.err);
        return 1;
    }

    /** Errors a user can act on are one message; anything else is a bug, with its trace. */
    static int failure(Exception e) {
        if (e instanceof JruncException j) {
            Log.error(j.getMessage());
            return j.exitStatus;
        }
        if (e instanceof SpecException || e instanceof LibC.SyscallException
                || e instanceof Cgroups.CgroupException || e instanceof IllegalArgumentException) {
            Log.error(e.getMessage());
            return 1;
        }
        Log.error(e.toString());
        if (Log.isDebug()) e.printStackTrace();
        return 1;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jrunc version 1.0", "spec: 1.0.2"};
        }
    }

    Path root() {
        return root;
    }
}
