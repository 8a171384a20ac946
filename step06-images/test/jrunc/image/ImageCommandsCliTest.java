package jrunc.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jrunc.image.cli.ImageCli;
import jrunc.image.cli.ImagesCommand;
import jrunc.image.cli.InspectCommand;
import jrunc.image.cli.PullCommand;
import jrunc.image.cli.RmiCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import workshop.testkit.Command;

/** Every image command explains itself, rejects options it does not know, and fails in one line. */
class ImageCommandsCliTest {
    @ParameterizedTest
    @ValueSource(classes = {PullCommand.class, ImagesCommand.class, RmiCommand.class, InspectCommand.class})
    void helpAndUnknownOptions(Class<?> command) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(command).setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter()));
        assertTrue(cli.execute("--help") == 0);
        String name = cli.getCommandName();
        assertTrue(out.toString().startsWith("Usage: " + name + " "), out.toString());
        assertTrue(out.toString().contains("--store=DIR"), out.toString());
        assertTrue(cli.execute("--no-such-option") == 2, "unknown options are usage errors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"pull", "images", "rmi", "inspect"})
    void theStandaloneCliHasThemAll(String name) {
        assertTrue(new CommandLine(new ImageCli()).getSubcommands().containsKey(name));
    }

    @Test
    void aRegistryThatIsNotThereFailsAtOnceInOneLine(@TempDir Path tmp) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        var r = Command.javaMain("jrunc.image.cli.ImageCli", "pull", "--store", tmp.toString(),
                "127.0.0.1:" + port + "/x:1").timeout(Duration.ofSeconds(60)).run();
        r.assertExit(125);
        assertEquals("jrunc pull: GET http://127.0.0.1:" + port + "/v2/x/manifests/1: cannot connect"
                + " (java.net.ConnectException) - is the registry running and the address right?\n", r.stderr());
    }
}
