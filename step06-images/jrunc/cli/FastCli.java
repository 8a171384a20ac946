package jrunc.cli;

import java.lang.reflect.Field;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The commands an engine calls for every container (create, start, state, kill, delete, run
 * of a bundle, exec, list, ps, features, events), parsed without picocli. Building picocli's
 * model of all twenty commands from their annotations costs more than everything else "state"
 * does; this table costs almost nothing. It handles only a well-formed call. Anything else
 * (--help, a typo, a missing value, a value picocli would convert differently) returns null,
 * and picocli parses the call as before: same usage text, same errors, same exit codes.
 *
 * <p>The picocli annotations on the command classes stay the one description of each
 * command; FastCliTest parses a corpus of calls both ways and compares every field, and
 * fails if an option below is not picocli's or leads to another field.
 */
final class FastCli {
    private FastCli() {}

    /**
     * One command: how to make it, its options (each name → the field it sets, "mixin.field"
     * for a mixin's), its required and optional positionals in order, the list that takes any
     * further ones, and the defaults picocli's annotations give.
     */
    record Table(Supplier<Callable<Integer>> make, Map<String, String> options,
            List<String> required, List<String> optional, String rest, Map<String, String> defaults) {}

    static final Map<String, String> GLOBAL = Map.of("--root", "root", "--log", "log",
            "--log-format", "logFormat", "--debug", "debug");

    /** BundleOptions (a mixin) as the field named mixin. */
    static Map<String, String> bundle(String mixin) {
        return Map.of("--bundle", mixin + ".bundle", "-b", mixin + ".bundle",
                "--pid-file", mixin + ".pidFile", "--console-socket", mixin + ".consoleSocket",
                "--preserve-fds", mixin + ".preserveFds", "--no-new-keyring", mixin + ".noNewKeyring");
    }

    /** The mixins' classes: picocli makes one for each such field, given or not. */
    static final Set<Class<?>> MIXINS = Set.of(BundleOptions.class, jrunc.image.cli.StoreOption.class);

    static final Map<String, Table> COMMANDS = Map.ofEntries(
            Map.entry("create", new Table(CreateCommand::new, bundle("bundle"), List.of("id"), List.of(),
                    null, Map.of())),
            Map.entry("start", new Table(StartCommand::new, Map.of(), List.of("id"), List.of(),
                    null, Map.of())),
            Map.entry("state", new Table(StateCommand::new, Map.of(), List.of("id"), List.of(),
                    null, Map.of())),
            Map.entry("kill", new Table(KillCommand::new, Map.of("--all", "all", "-a", "all"),
                    List.of("id"), List.of("signal"), null, Map.of("signal", "TERM"))),
            Map.entry("delete", new Table(DeleteCommand::new, Map.of("--force", "force",
                    "-f", "force", "--store", "store.store"), List.of("id"), List.of(), null, Map.of())),
            // The bundle form's options only: an image option goes to picocli.
            Map.entry("run", new Table(RunCommand::new, with(bundle("bundleOptions"), "--detach", "detach", "-d", "detach"),
                    List.of(), List.of(), "arguments", Map.of())),
            Map.entry("exec", new Table(ExecCommand::new, Map.ofEntries(
                    Map.entry("--process", "processFile"), Map.entry("-p", "processFile"),
                    Map.entry("--detach", "detach"), Map.entry("-d", "detach"),
                    Map.entry("--pid-file", "pidFile"), Map.entry("--tty", "tty"), Map.entry("-t", "tty"),
                    Map.entry("--console-socket", "consoleSocket"),
                    Map.entry("--env", "env"), Map.entry("-e", "env"), Map.entry("--cwd", "cwd"),
                    Map.entry("--user", "user"), Map.entry("-u", "user"),
                    Map.entry("--additional-gids", "additionalGids"), Map.entry("-g", "additionalGids"),
                    Map.entry("--preserve-fds", "preserveFds")),
                    List.of("id"), List.of(), "command", Map.of())),
            Map.entry("list", new Table(ListCommand::new, Map.of("--format", "format", "-f", "format",
                    "--quiet", "quiet", "-q", "quiet"), List.of(), List.of(), null, Map.of("format", "table"))),
            Map.entry("ps", new Table(PsCommand::new, Map.of("--format", "format", "-f", "format"),
                    List.of("id"), List.of(), "psOptions", Map.of("format", "table"))),
            Map.entry("features", new Table(FeaturesCommand::new, Map.of(), List.of(), List.of(),
                    null, Map.of())),
            Map.entry("events", new Table(EventsCommand::new, Map.of("--stats", "once",
                    "--interval", "interval"), List.of("id"), List.of(), null, Map.of("interval", "5s"))));

    /** A parsed call: the top-level options and the command, ready to run. */
    record Parsed(Jrunc top, Callable<Integer> command) {}

    /** Runs args if the table can parse them; null means: let picocli do it. */
    static Integer execute(String[] args) {
        Parsed parsed = parse(args);
        if (parsed == null) return null;
        try {
            parsed.top().configureLog();
            return parsed.command().call();
        } catch (Exception e) {
            return Jrunc.failure(e);
        }
    }

    /** As picocli with stop-at-positional would fill the objects, or null. */
    static Parsed parse(String[] args) {
        try {
            Jrunc top = new Jrunc();
            Map<String, String> topDefaults = Map.of("root", "/run/jrunc", "logFormat", "text");
            for (var d : topDefaults.entrySet()) set(top, d.getKey(), d.getValue());
            Set<String> seen = new HashSet<>();
            int i = options(args, 0, top, GLOBAL, seen);
            if (i < 0 || i >= args.length) return null;
            if (!top.logFormat.equals("text") && !top.logFormat.equals("json")) return null;
            Table table = COMMANDS.get(args[i]);
            if (table == null) return null;
            Callable<Integer> command = table.make().get();
            for (Field f : command.getClass().getDeclaredFields()) {
                if (f.getType() == Jrunc.class) set(command, f.getName(), top); // @ParentCommand
                if (MIXINS.contains(f.getType())) make(command, f);
            }
            for (var d : table.defaults().entrySet()) set(command, d.getKey(), d.getValue());
            i = options(args, i + 1, command, table.options(), new HashSet<>());
            if (i < 0) return null;
            // Stop at the first positional, as runc (Go's flag package): the rest are positionals.
            int left = args.length - i;
            if (left < table.required().size()) return null;
            for (String field : table.required()) set(command, field, args[i++]);
            for (String field : table.optional()) {
                if (i < args.length) set(command, field, args[i++]);
            }
            if (table.rest() != null) {
                while (i < args.length) set(command, table.rest(), args[i++]);
            }
            return i == args.length ? new Parsed(top, command) : null;
        } catch (Unparsed | ReflectiveOperationException | InvalidPathException e) {
            return null;
        }
    }

    /** Reads options from index i on; returns the first positional's index, or -1 to give up. */
    private static int options(String[] args, int i, Object target, Map<String, String> names,
            Set<String> seen) throws ReflectiveOperationException, Unparsed {
        for (; i < args.length && args[i].startsWith("-"); i++) {
            String name = args[i];
            String value = null;
            int eq = name.indexOf('=');
            if (eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            String field = names.get(name);
            if (field == null) return -1; // --help, -h, --, a typo, clustered flags: picocli's
            Class<?> type = typeOf(target, field);
            if (!seen.add(field) && type != List.class) return -1; // picocli refuses a repeat
            if (type == boolean.class) {
                if (value != null) return -1;
                set(target, field, "true");
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("-")) return -1;
                value = args[++i];
            }
            set(target, field, value);
        }
        return i;
    }

    /** Thrown for a value picocli might read differently (only plain decimals are ours). */
    private static final class Unparsed extends Exception {
        Unparsed() {
            super(null, null, false, false);
        }
    }

    /** Sets field ("mixin.field" through a mixin object, made if still null) from text. */
    private static void set(Object target, String path, Object value)
            throws ReflectiveOperationException, Unparsed {
        int dot = path.indexOf('.');
        if (dot > 0) {
            set(make(target, fieldOf(target, path.substring(0, dot))), path.substring(dot + 1), value);
            return;
        }
        Field field = fieldOf(target, path);
        Class<?> type = field.getType();
        if (!(value instanceof String text)) {
            field.set(target, value);
        } else if (type == String.class) {
            field.set(target, text);
        } else if (type == Path.class) {
            field.set(target, Path.of(text));
        } else if (type == boolean.class) {
            field.setBoolean(target, Boolean.parseBoolean(text));
        } else if (type == int.class) {
            if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new Unparsed();
            }
            field.setInt(target, Integer.parseInt(text));
        } else if (type == List.class) {
            @SuppressWarnings("unchecked")
            List<String> list = (List<String>) field.get(target);
            list.add(text);
        } else {
            throw new Unparsed();
        }
    }

    /** The mixin object in field of target, made (as picocli does) if still null. */
    private static Object make(Object target, Field field) throws ReflectiveOperationException {
        field.setAccessible(true);
        Object inner = field.get(target);
        if (inner == null) {
            var constructor = field.getType().getDeclaredConstructor();
            constructor.setAccessible(true);
            inner = constructor.newInstance();
            field.set(target, inner);
        }
        return inner;
    }

    /** The type of the field a path names, through a mixin's class. */
    private static Class<?> typeOf(Object target, String path) throws NoSuchFieldException {
        int dot = path.indexOf('.');
        if (dot < 0) return fieldOf(target, path).getType();
        Class<?> mixin = fieldOf(target, path.substring(0, dot)).getType();
        Field field = mixin.getDeclaredField(path.substring(dot + 1));
        return field.getType();
    }

    private static Field fieldOf(Object target, String name) throws NoSuchFieldException {
        Field field = target.getClass().getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }

    private static Map<String, String> with(Map<String, String> base, String... more) {
        var all = new java.util.HashMap<>(base);
        for (int i = 0; i < more.length; i += 2) all.put(more[i], more[i + 1]);
        return Map.copyOf(all);
    }
}
