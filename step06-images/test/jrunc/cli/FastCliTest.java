package jrunc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * FastCli fills the same fields picocli would, or hands the call to picocli. Each call of
 * the corpus (what podman, containerd and Docker send, and calls meant to fall back) is
 * parsed both ways; every field of the command, its mixins and the top-level options must
 * match.
 */
class FastCliTest {
    static final List<List<String>> HANDLED = List.of(
            List.of("state", "c1"),
            List.of("--root", "/run/x", "state", "c1"),
            List.of("--root=/run/x", "--debug", "--log", "/tmp/log", "--log-format", "json", "start", "c1"),
            List.of("--root", "/r", "create", "--bundle", "/b", "--pid-file", "/p", "--console-socket", "/s", "c1"),
            List.of("create", "-b", "/b", "--preserve-fds", "2", "--no-new-keyring", "c1"),
            List.of("kill", "c1"), List.of("kill", "c1", "KILL"), List.of("kill", "--all", "c1", "9"),
            List.of("kill", "-a", "c1", "SIGTERM"),
            List.of("delete", "c1"), List.of("delete", "--force", "c1"), List.of("delete", "-f", "--store", "/st", "c1"),
            List.of("run", "c1"), List.of("run", "--bundle", "/b", "-d", "c1"), List.of("run", "-b", "/b", "--pid-file", "/p", "c1"),
            List.of("exec", "c1", "sh", "-c", "echo --root"),
            List.of("exec", "--process", "/p.json", "--detach", "--pid-file", "/p", "--console-socket", "/s", "-t", "c1"),
            List.of("exec", "-e", "A=1", "--env", "B=2", "--cwd", "/w", "-u", "1:2", "-g", "5", "-g", "6", "c1", "id"),
            List.of("exec", "--preserve-fds", "1", "c1", "true"),
            List.of("list"), List.of("list", "--format", "json"), List.of("list", "-q"), List.of("list", "-f", "table"),
            List.of("ps", "c1"), List.of("ps", "--format", "json", "c1"), List.of("ps", "c1", "-o", "pid"),
            List.of("features"), List.of("events", "--stats", "c1"), List.of("events", "--interval", "1s", "c1"));

    /** Help, typos, repeats, clusters and values picocli reads its own way: picocli's. */
    static final List<List<String>> FALLBACK = List.of(
            List.of(), List.of("--help"), List.of("--version"), List.of("state", "--help"), List.of("state"),
            List.of("state", "a", "b"), List.of("sate", "c1"), List.of("--root", "/a", "--root", "/b", "list"),
            List.of("--log-format", "xml", "list"), List.of("--systemd-cgroup", "list"),
            List.of("kill", "-af", "c1"), List.of("create", "--preserve-fds", "0x2", "c1"),
            List.of("create", "--bundle"), List.of("delete", "--", "c1"), List.of("run", "--rm", "busybox"),
            List.of("pull", "busybox"), List.of("exec", "--detach=true", "c1", "sh"));

    @TestFactory
    Stream<DynamicTest> fastAndPicocliFillTheSameFields() {
        return HANDLED.stream().map(args -> DynamicTest.dynamicTest(String.join(" ", args), () -> {
            FastCli.Parsed fast = FastCli.parse(args.toArray(new String[0]));
            assertNotNull(fast, "FastCli should parse: " + args);
            CommandLine cli = picocli();
            CommandLine.ParseResult parsed = cli.parseArgs(args.toArray(new String[0]));
            Object command = parsed.subcommand().commandSpec().userObject();
            assertEquals(fields(cli.getCommand()), fields(fast.top()), "top-level options of " + args);
            assertEquals(fields(command), fields(fast.command()), "fields of " + args);
        }));
    }

    @TestFactory
    Stream<DynamicTest> everythingElseGoesToPicocli() {
        return FALLBACK.stream().map(args -> DynamicTest.dynamicTest(args.isEmpty() ? "(no arguments)" : String.join(" ", args),
                () -> assertNull(FastCli.parse(args.toArray(new String[0])), "not FastCli's: " + args)));
    }

    /** Every option name in the table is one of picocli's for that command. */
    @Test
    void theTableNamesOnlyPicocliOptions() {
        CommandLine cli = picocli();
        FastCli.COMMANDS.forEach((name, table) -> {
            CommandLine sub = cli.getSubcommands().get(name);
            assertNotNull(sub, "picocli has no command " + name);
            for (String option : table.options().keySet()) {
                assertNotNull(sub.getCommandSpec().findOption(option), name + ": picocli has no " + option);
            }
        });
        for (String option : FastCli.GLOBAL.keySet()) {
            assertNotNull(cli.getCommandSpec().findOption(option), "picocli has no global " + option);
        }
        assertTrue(FastCli.COMMANDS.keySet().containsAll(Set.of("create", "start", "state", "kill", "delete")));
    }

    static CommandLine picocli() {
        CommandLine cli = new CommandLine(new Jrunc());
        cli.setStopAtPositional(true);
        return cli;
    }

    /** Field name → value, mixins' fields as "mixin.field"; the parent link left out. */
    static Map<String, Object> fields(Object o) throws IllegalAccessException {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Field f : o.getClass().getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(f.getModifiers()) || f.getType() == Jrunc.class) continue;
            f.setAccessible(true);
            Object v = f.get(o);
            if (v != null && FastCli.MIXINS.contains(f.getType())) {
                fields(v).forEach((k, x) -> values.put(f.getName() + "." + k, x));
            } else {
                values.put(f.getName(), v instanceof List<?> l ? new ArrayList<>(l) : v);
            }
        }
        return values;
    }
}
