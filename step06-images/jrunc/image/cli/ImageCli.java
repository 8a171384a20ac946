package jrunc.image.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The image commands on their own ({@code java jrunc.image.cli.ImageCli pull REF}); the
 * {@code jrunc} command offers the same classes as its subcommands.
 */
@Command(name = "jrunc", mixinStandardHelpOptions = true,
        description = "Image commands of jrunc: pull, images, rmi, inspect.",
        subcommands = {PullCommand.class, ImagesCommand.class, RmiCommand.class, InspectCommand.class})
public final class ImageCli {
    public static void main(String[] args) {
        System.exit(new CommandLine(new ImageCli()).execute(args));
    }
}
