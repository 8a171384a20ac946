package jrunc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What the tests must leave as they found it: the host's mounts below the test's directory,
 * jrunc's cgroups (jrunc*, libpod_parent) below each hierarchy root, jrunc's default state
 * directory, init JVMs of the test, processes whose command line names the test's directory
 * (engine daemons, shims) and user namespace holders. Only ours: other work on the machine may mount or
 * make cgroups meanwhile.
 */
record Host(List<String> mounts, TreeSet<String> cgroups, TreeSet<String> state,
        TreeSet<String> inits) {

    static Host snapshot(Path testDir) {
        String mine = testDir.toString();
        List<String> mounts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f[4].startsWith(mine)) mounts.add(f[4] + " " + line.split(" - ")[1].split(" ")[0]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        mounts.sort(null);
        TreeSet<String> cgroups = new TreeSet<>();
        for (Path hierarchy : list(Path.of("/sys/fs/cgroup"))) {
            collectCgroups(hierarchy, hierarchy, 0, cgroups);
        }
        TreeSet<String> state = new TreeSet<>();
        for (Path p : list(Path.of("/run/jrunc"))) state.add(p.toString());
        TreeSet<String> inits = new TreeSet<>();
        for (Path proc : list(Path.of("/proc"))) {
            if (!proc.getFileName().toString().matches("\\d+")) continue;
            try {
                String cmdline = Files.readString(proc.resolve("cmdline"));
                // Inits waiting on a file of the test; daemons and shims whose arguments name it
                // (not a jrunc command still at work: its --root names it too).
                if (isInit(cmdline) && holdsFileIn(proc, mine)
                        || cmdline.contains(mine) && !isJruncCommand(cmdline)) {
                    inits.add(proc + " " + cmdline.replace('\0', ' '));
                }
                if (cmdline.equals("cat\0") && !Files.readSymbolicLink(proc.resolve("ns/user"))
                        .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/user")))) {
                    inits.add(proc + " user namespace holder");
                }
            } catch (IOException gone) {
                // exited while we looked
            }
        }
        return new Host(mounts, cgroups, state, inits);
    }

    /**
     * An init's command line is "/proc/self/fd/J @/proc/self/fd/A" (java and its argument
     * file, both by fd: no host path for the container to read), also after the nsenter and
     * unshare that may start it.
     */
    static boolean isInit(String cmdline) {
        return cmdline.matches("(?s).*/proc/self/fd/\\d+\0@/proc/self/fd/\\d+\0");
    }

    /** The runtime itself, started by a test (JruncTool) or through bin/jrunc's jar. */
    static boolean isJruncCommand(String cmdline) {
        return cmdline.contains("\0jrunc.cli.Jrunc\0") || cmdline.contains("/jrunc.jar\0");
    }

    /** Whether one of the process's fds (exec.fifo, while it waits) is in the test's directory. */
    private static boolean holdsFileIn(Path proc, String testDir) {
        try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(testDir);
                } catch (IOException gone) {
                    return false;
                }
            });
        } catch (IOException gone) {
            return false;
        }
    }

    /** Cgroups up to three levels deep, except the supervisor's own (not ours to look at). */
    private static void collectCgroups(Path root, Path dir, int depth, TreeSet<String> into) {
        if (depth > 3) return;
        for (Path child : list(dir)) {
            if (!Files.isDirectory(child) || Files.isSymbolicLink(child)) continue;
            String name = child.getFileName().toString();
            if (depth == 0 && !name.startsWith("jrunc") && !name.equals("libpod_parent")) continue;
            // libpod_parent and its conmon cgroup are podman's, shared by every podman on the
            // machine (runc leaves them too); a container's libpod-ID cgroup is the runtime's.
            boolean podmans = name.equals("libpod_parent") || name.equals("conmon");
            if (!podmans) into.add(child.toString());
            collectCgroups(root, child, depth + 1, into);
        }
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The end of a test class: force-deletes the containers still under jrunc's state root,
     * removes the bundle trees, then fails with anything of the test's still on the host.
     */
    void cleanUpAndAssertNothingLeft(JruncTool jrunc, Path testDir, Path... trees) {
        for (String id : Container.ids(jrunc.root)) jrunc.run("delete", "--force", id);
        for (Path tree : trees) Bundles.removeTree(tree);
        snapshot(testDir).assertNothingLeftSince(this, testDir);
    }

    /** Fails with what appeared since before and is still there (waits for exiting processes). */
    void assertNothingLeftSince(Host before, Path testDir) {
        Host now = this;
        for (int i = 0; i < 50 && !now.addedSince(before).isEmpty(); i++) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            now = snapshot(testDir);
        }
        assertEquals(List.of(), now.addedSince(before), "left behind on the host");
    }

    List<String> addedSince(Host before) {
        List<String> added = new ArrayList<>();
        for (String m : mounts) if (!before.mounts.contains(m)) added.add("mount " + m);
        for (String c : cgroups) if (!before.cgroups.contains(c)) added.add("cgroup " + c);
        for (String s : state) if (!before.state.contains(s)) added.add("state " + s);
        for (String p : inits) if (!before.inits.contains(p)) added.add("process " + p);
        return added;
    }
}
