package jrunc.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jrunc.linux.Tools;
import jrunc.linux.Namespaces;
import jrunc.linux.Spawn;
import jrunc.spec.Spec;
import jrunc.spec.SpecException;

/**
 * "exec": a new process in a running container. A fresh thread joins the container's
 * namespaces (all but mount: the init JVM must still find java and its jars on the host)
 * and spawns an init JVM in "exec" mode; the runtime puts it into the container's cgroup;
 * the init then enters the mount namespace and execs.
 */
public final class Executor {
    private Executor() {}

    public record Options(Path root, String id, Spec.Process process, boolean detach,
            Path pidFile, String consoleSocket, int preserveFds) {}

    // tag::exec[]
    public static int exec(Options o) {
        Container c = Container.load(o.root(), o.id());
        String status = c.status();
        if (!status.equals("running")) {
            throw new JruncException("cannot exec in container " + o.id() + ": it is " + status);
        }
        Spec spec = c.spec();
        jrunc.spec.SpecValidator.validateProcess(o.process()).forEach(Log::warn);
        if (o.process().isTerminal() ? o.consoleSocket() == null && o.detach()
                : o.consoleSocket() != null) {
            throw new SpecException("process.terminal " + o.process().isTerminal()
                    + (o.consoleSocket() == null ? " with --detach needs --console-socket"
                    : " but --console-socket was given"));
        }
        int initPid = c.state().pid();
        Path configFile = c.dir.resolve("exec-" + System.nanoTime() + ".json");
        int pid;
        int child;
        int console = -1;
        int receiver = -1;
        try {
            int[] ends = InitLauncher.consoleEnds(o.process().isTerminal(), o.consoleSocket());
            console = ends[0];
            receiver = ends[1];
            jrunc.spec.SpecLoader.JSON.writeValue(configFile.toFile(), new InitConfig("exec",
                    o.id(), c.state().bundle(), c.state().rootfs(), o.process(), null,
                    console >= 0 ? InitLauncher.consoleFd(o.preserveFds()) : -1, o.preserveFds(),
                    c.state().cgroupsPath(), c.state().cgroupsCreated(), initPid));
            int[] pair = InitLauncher.socketPair();
            SyncChannel sync = new SyncChannel(pair[0]);
            try {
                child = InitLauncher.launch(entry(spec, initPid), configFile,
                        o.preserveFds(), pair[1], c.dir, console, null);
                jrunc.linux.LibC.C.close(pair[1]);
                pid = Integer.parseInt(Creator.expect(sync, "started", child));
                c.cgroups().join(pid);
                sync.send("go " + pid);
                Creator.expect(sync, "ready", child);
            } finally {
                sync.close();
            }
        } catch (IOException | RuntimeException e) {
            if (receiver >= 0) jrunc.linux.LibC.C.close(receiver);
            if (e instanceof RuntimeException r) throw r;
            throw new JruncException("exec in " + o.id() + ": " + e.getMessage());
        } finally {
            if (console >= 0) jrunc.linux.LibC.C.close(console);
            try {
                Files.deleteIfExists(configFile);
            } catch (IOException ignored) {
                // the state directory goes away with the container anyway
            }
        }
        if (o.pidFile() != null) Creator.writePidFile(o.pidFile(), pid);
        if (o.detach()) return 0;
        TerminalRelay relay = receiver >= 0 ? TerminalRelay.start(receiver) : null;
        int exit = Spawn.waitFor(child);
        if (relay != null) relay.close();
        return exit;
    }
    // end::exec[]

    /**
     * The container's namespaces, from its init's /proc/PID/ns, except mount. A JVM thread
     * joins them, except a user or time namespace: nsenter joins those (and, with a user
     * namespace, all the others, which the user namespace owns).
     */
    static InitLauncher.Entry entry(Spec spec, int initPid) {
        boolean user = Namespaces.find(spec, "user") != null;
        List<String> wrapper = new ArrayList<>();
        for (Spec.Namespace ns : spec.linux().namespaces()) {
            if (ns.type().equals("mount")) continue;
            if (user || ns.type().equals("time")) {
                if (wrapper.isEmpty()) wrapper.add(Tools.find("nsenter"));
                wrapper.add("--" + Namespaces.optionName(ns.type()) + "=" + nsPath(initPid, ns.type()));
            }
        }
        if (!wrapper.isEmpty()) wrapper.add("--");
        Spawn.ThreadSetup thread = user ? () -> {} : () -> {
            for (Spec.Namespace ns : spec.linux().namespaces()) {
                if (ns.type().equals("mount") || ns.type().equals("time")) continue;
                Namespaces.join(ns.type(), nsPath(initPid, ns.type()));
            }
        };
        return new InitLauncher.Entry(thread, wrapper, user);
    }

    static String nsPath(int initPid, String type) {
        return "/proc/" + initPid + "/ns/" + Namespaces.procName(type);
    }
}
