package jrunc.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jrunc.runtime.Container;
import jrunc.runtime.Executor;
import jrunc.spec.Spec;
import jrunc.spec.SpecException;
import jrunc.spec.SpecLoader;
import jrunc.spec.SpecValidator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "exec", mixinStandardHelpOptions = true,
        description = "Run a new process in a running or created container: its namespaces, its"
                + " cgroup, its config.json process settings unless --process or options say"
                + " otherwise.")
final class ExecCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--process", "-p"}, paramLabel = "FILE",
            description = "a process JSON (config.json's \"process\") instead of COMMAND")
    Path processFile;

    @Option(names = {"--detach", "-d"}, description = "return once the process runs")
    boolean detach;

    @Option(names = "--pid-file", paramLabel = "FILE", description = "write the process's PID here")
    Path pidFile;

    @Option(names = {"--tty", "-t"}, description = "allocate a pty (needs --console-socket)")
    boolean tty;

    @Option(names = "--console-socket", paramLabel = "SOCK",
            description = "AF_UNIX socket that receives the pty master")
    String consoleSocket;

    @Option(names = {"--env", "-e"}, paramLabel = "NAME=VALUE", description = "add or set a variable")
    List<String> env = new ArrayList<>();

    @Option(names = "--cwd", paramLabel = "DIR", description = "working directory in the container")
    String cwd;

    @Option(names = {"--user", "-u"}, paramLabel = "UID[:GID]", description = "run as this user")
    String user;

    @Option(names = {"--additional-gids", "-g"}, paramLabel = "GID",
            description = "a supplementary group (repeatable)")
    List<String> additionalGids = new ArrayList<>();

    @Option(names = "--preserve-fds", paramLabel = "N", defaultValue = "0",
            description = "pass fds 3..3+N-1 on to the process")
    int preserveFds;

    @Parameters(index = "0", paramLabel = "ID", description = "the container's id")
    String id;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "program and arguments")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        Spec.Process process = processFile != null ? fromFile() : fromOptions();
        if (tty && !process.isTerminal()) process = withTerminal(process);
        if (process.args() == null || process.args().isEmpty()) {
            throw new SpecException("exec: no COMMAND given (and no process.args in --process)");
        }
        if (process.cwd() == null || !process.cwd().startsWith("/")) {
            throw new SpecException("process.cwd: must be an absolute path, got " + process.cwd());
        }
        return Executor.exec(new Executor.Options(jrunc.root(), id, process, detach, pidFile,
                consoleSocket, preserveFds));
    }

    Spec.Process fromFile() {
        return SpecLoader.loadProcess(processFile);
    }

    /** config.json's process with COMMAND, --env, --cwd, --user and -g laid over it (runc's way). */
    Spec.Process fromOptions() {
        Spec.Process base = Container.load(jrunc.root(), id).spec().process();
        List<String> environment = new ArrayList<>(base.env() == null ? List.of() : base.env());
        for (String e : env) {
            String name = e.split("=", 2)[0];
            environment.removeIf(old -> old.startsWith(name + "="));
            environment.add(e);
        }
        Spec.User u = user != null || !additionalGids.isEmpty() ? withIds(base.user()) : base.user();
        return new Spec.Process(tty, null, u, command, null, environment,
                cwd != null ? cwd : base.cwd(), base.capabilities(), base.rlimits(),
                base.noNewPrivileges(), null, base.oomScoreAdj(), null, null, null, null);
    }

    /** As runc: --user sets the uid and, with :GID, the gid; -g adds to config.json's groups. */
    Spec.User withIds(Spec.User base) {
        Spec.User u = base != null ? base : new Spec.User(null, null, null, null, null);
        Long uid = u.uid(), gid = u.gid();
        if (user != null) {
            String[] ids = user.split(":", 2);
            uid = id(ids[0], "--user", "uid");
            if (ids.length > 1) gid = id(ids[1], "--user", "gid");
        }
        List<Long> groups = new ArrayList<>(u.additionalGids() == null ? List.of() : u.additionalGids());
        for (String g : additionalGids) groups.add(id(g, "--additional-gids", "gid"));
        return new Spec.User(uid, gid, u.umask(), groups, null);
    }

    /** A decimal uid or gid, 0..4294967294 (not -1: setresuid would leave the init's root). */
    static long id(String text, String option, String what) {
        if (text.matches("[0-9]{1,10}") && Long.parseLong(text) <= SpecValidator.MAX_ID) {
            return Long.parseLong(text);
        }
        throw new SpecException("exec " + option + ": " + (text.isEmpty() ? "empty " + what
                : text + " is not a valid " + what) + " (a number from 0 to " + SpecValidator.MAX_ID
                + "; jrunc does not look names up)");
    }

    static Spec.Process withTerminal(Spec.Process p) {
        return new Spec.Process(true, p.consoleSize(), p.user(), p.args(), p.commandLine(), p.env(),
                p.cwd(), p.capabilities(), p.rlimits(), p.noNewPrivileges(), p.apparmorProfile(),
                p.oomScoreAdj(), p.selinuxLabel(), p.scheduler(), p.ioPriority(), p.execCPUAffinity());
    }
}
