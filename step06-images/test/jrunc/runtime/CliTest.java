package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jrunc.spec.Spec;
import jrunc.spec.SpecLoader;
import jrunc.spec.SpecValidator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import workshop.testkit.Command;
import workshop.testkit.DepsInSync;
import workshop.testkit.Workshop;

/** runc's command line: help everywhere, runc's exit statuses for usage errors. */
class CliTest {
    static final List<String> COMMANDS = List.of("spec", "create", "start", "state", "kill",
            "delete", "run", "list", "ps", "exec", "pause", "resume");
    @TempDir
    Path tmp;

    static Command.Result jrunc(String... args) {
        return Command.javaMain("jrunc.cli.Jrunc", args).run();
    }

    @Test
    void everyCommandHasHelp() {
        String top = jrunc("--help").assertExit(0).stdout();
        for (String command : COMMANDS) {
            assertTrue(top.contains("  " + command + " "), "jrunc --help lists " + command);
            String help = jrunc(command, "--help").assertExit(0).stdout();
            assertTrue(help.startsWith("Usage: jrunc " + command), help);
        }
    }

    @Test
    void unknownCommandsAndOptionsFailAsInRunc() {
        Command.Result command = jrunc("frobnicate").assertExit(3);
        assertEquals("jrunc: unknown command frobnicate (see jrunc --help)\n", command.stderr());
        Command.Result option = jrunc("state", "--bogus", "x").assertExit(1);
        assertTrue(option.stderr().startsWith("jrunc: Unknown option: '--bogus'"), option.stderr());
        assertTrue(option.stderr().contains("Usage: jrunc state"), option.stderr());
        Command.Result missing = jrunc("start").assertExit(1);
        assertTrue(missing.stderr().contains("Missing required parameter: 'ID'"), missing.stderr());
        Command.Result tooMany = jrunc("kill", "a", "b", "c").assertExit(1);
        assertTrue(tooMany.stderr().contains("Unmatched argument"), tooMany.stderr());
    }

    @Test
    void logFileGetsErrorsInJsonForConmon() throws Exception {
        Path log = tmp.resolve("log.json");
        jrunc("--root", tmp.toString(), "--log", log.toString(), "--log-format", "json",
                "state", "nothere").assertExit(1);
        String line = Files.readString(log).trim();
        assertTrue(line.matches("\\{\"level\":\"error\",\"msg\":\"container nothere does not exist"
                + " \\(no .*/nothere/state.json\\)\",\"time\":\"[0-9T:Z-]+\"}"), line);
    }

    @Test
    void specWritesRuncsDefaultsThatValidate() throws Exception {
        jrunc("spec", "--bundle", tmp.toString()).assertExit(0);
        Spec spec = SpecLoader.load(tmp.resolve("config.json"));
        assertEquals(List.of("sh"), spec.process().args());
        assertEquals("rootfs", spec.root().path());
        assertEquals(5, spec.linux().namespaces().size());
        assertEquals(List.of(), SpecValidator.validate(spec), "runc's defaults run without a warning");
        Command.Result again = jrunc("spec", "--bundle", tmp.toString()).assertExit(1);
        assertTrue(again.stderr().contains("config.json exists. Remove it first"), again.stderr());
    }

    @Test
    void theReadmeCommandRunsThroughJbang() {
        Command.Result r = Command.of("./jbang", "step06-images/Run.java", "--version")
                .timeout(Duration.ofMinutes(5)).run().assertExit(0);
        assertTrue(r.stdout().startsWith("jrunc version"), r.stdout());
    }

    @Test
    void depsInSync() {
        DepsInSync.assertStep(Workshop.root().resolve("step06-images"));
    }
}
