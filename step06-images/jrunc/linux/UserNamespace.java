package jrunc.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jrunc.json.JsonValue;
import jrunc.json.JsonValue.JsonArray;
import jrunc.json.JsonValue.JsonNumber;
import jrunc.json.JsonValue.JsonObject;

/**
 * A new user namespace for a container, made without the JVM entering it. The kernel refuses
 * CLONE_NEWUSER to a multi-threaded process, and every JVM is one, so a single-threaded
 * program from util-linux does it: {@code unshare --user cat} holds the namespace while the
 * runtime, still root on the host, writes its uid_map and gid_map. cat's stdin is a pipe whose
 * write end only the runtime holds, so a runtime that is killed takes the holder with it (EOF)
 * instead of leaving it behind for ever. The init is then
 * started through {@code nsenter --user=/proc/HOLDER/ns/user}, which becomes root inside
 * before it execs, so the init JVM starts as the container's root with all its capabilities.
 */
public final class UserNamespace implements AutoCloseable {
    /** One line of uid_map or gid_map: containerID hostID size. */
    public record Mapping(long containerId, long hostId, long size) {
        @Override
        public String toString() {
            return containerId + " " + hostId + " " + size;
        }

        boolean contains(long containerUid) {
            return containerUid >= containerId && containerUid - containerId < size;
        }
    }

    private final int holder;
    /** The write end of the holder's stdin: closing it (or dying) ends the holder. */
    private final int lifeline;
    private boolean closed;

    private UserNamespace(int holder, int lifeline) {
        this.holder = holder;
        this.lifeline = lifeline;
    }

    /** Parses linux.uidMappings / gidMappings (the validator has checked their shape). */
    public static List<Mapping> mappings(JsonValue array) {
        List<Mapping> result = new ArrayList<>();
        if (!(array instanceof JsonArray a)) return result;
        for (JsonValue m : a.elements()) {
            JsonObject o = (JsonObject) m;
            result.add(new Mapping(number(o, "containerID"), number(o, "hostID"), number(o, "size")));
        }
        return result;
    }

    private static long number(JsonObject mapping, String key) {
        return ((JsonNumber) mapping.get(key)).longValue();
    }

    /** The host uid (or gid) that the container's id maps to, or -1 if it is unmapped. */
    public static long hostId(List<Mapping> mappings, long containerId) {
        for (Mapping m : mappings) {
            if (m.contains(containerId)) return m.hostId() + containerId - m.containerId();
        }
        return -1;
    }

    // tag::user-namespace[]
    /** Starts the holder, waits until it has unshared, then writes the two maps. */
    public static UserNamespace create(List<Mapping> uids, List<Mapping> gids) {
        UserNamespace ns = startHolder();
        try {
            ns.awaitUnshared();
            ns.writeMap("uid_map", "linux.uidMappings", uids);
            ns.writeMap("gid_map", "linux.gidMappings", gids);
            return ns;
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }
    // end::user-namespace[]

    /** unshare --user cat, with cat's stdin the read end of a pipe that only we can write. */
    private static UserNamespace startHolder() {
        int[] pipe = new int[2];
        LibC.check(LibC.C.pipe2(pipe, LibC.O_CLOEXEC), "pipe2", "user namespace holder");
        try {
            int pid = Spawn.spawnHere(Tools.find("unshare"), new String[] {"unshare", "--user",
                    "--", "cat"}, new String[] {"PATH=/usr/bin:/bin"}, new int[0], pipe[0]);
            return new UserNamespace(pid, pipe[1]);
        } catch (RuntimeException e) {
            LibC.C.close(pipe[1]);
            throw e;
        } finally {
            LibC.C.close(pipe[0]);
        }
    }

    /** /proc/HOLDER/ns/user: what nsenter --user= is given. */
    public String path() {
        return "/proc/" + holder + "/ns/user";
    }

    private void awaitUnshared() {
        Path mine = Path.of("/proc/self/ns/user");
        Path theirs = Path.of(path());
        try {
            String host = Files.readSymbolicLink(mine).toString();
            for (int i = 0; i < 5000; i++) {
                if (Spawn.poll(holder) != -1) {
                    throw new LibC.SyscallException("unshare --user", "a new user namespace",
                            LibC.EPERM, "the holder process exited; is unprivileged or"
                            + " privileged user namespace creation disabled"
                            + " (sysctl user.max_user_namespaces)?");
                }
                if (!Files.readSymbolicLink(theirs).toString().equals(host)) return;
                Thread.sleep(1);
            }
        } catch (IOException e) {
            throw new LibC.SyscallException("readlink", theirs.toString(), LibC.ENOENT, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new LibC.SyscallException("unshare --user", "a new user namespace", LibC.EAGAIN,
                "the holder did not unshare within 5 s");
    }

    private void writeMap(String file, String field, List<Mapping> mappings) {
        String path = "/proc/" + holder + "/" + file;
        StringBuilder text = new StringBuilder();
        for (Mapping m : mappings) text.append(m).append('\n');
        // The kernel takes a map in one write(2) and only once.
        int fd = (int) LibC.check(LibC.C.open(path, LibC.O_WRONLY | LibC.O_CLOEXEC, 0), "open", path);
        try {
            byte[] bytes = text.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            if (LibC.C.write(fd, bytes, bytes.length) != bytes.length) {
                int errno = com.sun.jna.Native.getLastError();
                throw new LibC.SyscallException("write " + path, field + " " + mappings, errno,
                        errno == LibC.EINVAL ? "ranges must not overlap, sizes must be above 0"
                                + " and at most 340 lines are allowed" : null);
            }
        } finally {
            LibC.C.close(fd);
        }
    }

    /** The holder is only needed until the init has entered: end it and reap it. */
    @Override
    public void close() {
        if (closed) return; // once reaped, the PID may belong to someone else
        closed = true;
        LibC.C.close(lifeline);
        LibC.C.kill(holder, LibC.SIGKILL);
        try {
            Spawn.waitFor(holder);
        } catch (LibC.SyscallException alreadyReaped) {
            // ECHILD
        }
    }
}
