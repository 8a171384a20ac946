package jrunc.runtime;

import java.util.List;
import java.util.Map;
import jrunc.spec.Spec;

/**
 * What jrunc remembers about a container in ROOT/ID/state.json. startTime is field 22 of
 * /proc/PID/stat when the init started: a different value means the PID was reused.
 *
 * <p>state.json exists from the moment the directory does. While "create" runs it names the
 * creator (creatorPid, creatorStartTime), the cgroups it makes and, once started, the init:
 * so a create killed at any moment leaves a container that "state" reports and "delete"
 * removes. The creator's fields are 0 once the container is created. resources is null until
 * an "update" records the limits the cgroup has since (as runc rewrites its saved config).
 */
public record State(String ociVersion, String id, int pid, long startTime, String bundle,
        String rootfs, String created, String owner, Map<String, String> annotations,
        String cgroupsPath, List<String> cgroupsCreated, Integer creatorPid, Long creatorStartTime,
        Spec.Resources resources) {

    /** A state.json written before jrunc recorded its creator has none: 0, as when created. */
    public State {
        cgroupsCreated = cgroupsCreated == null ? List.of() : List.copyOf(cgroupsCreated);
        creatorPid = creatorPid == null ? 0 : creatorPid;
        creatorStartTime = creatorStartTime == null ? 0 : creatorStartTime;
    }

    /** The first record of a container that the calling process is about to create. */
    static State creating(String ociVersion, String id, String bundle, String rootfs,
            String created, Map<String, String> annotations, String cgroupsPath) {
        int self = (int) ProcessHandle.current().pid();
        return new State(ociVersion, id, 0, 0, bundle, rootfs, created, "root", annotations,
                cgroupsPath, List.of(), self, Processes.startTime(self), null);
    }

    /** A state directory without state.json: its creator died before it wrote one. */
    static State unrecorded(String id) {
        return new State(null, id, 0, 0, null, null, null, "root", null, null, List.of(), 0, 0L, null);
    }

    boolean isCreating() {
        return creatorPid != 0;
    }

    State withCgroups(List<String> dirs) {
        return new State(ociVersion, id, pid, startTime, bundle, rootfs, created, owner,
                annotations, cgroupsPath, dirs, creatorPid, creatorStartTime, resources);
    }

    State withInit(int initPid) {
        return new State(ociVersion, id, initPid, Processes.startTime(initPid), bundle, rootfs,
                created, owner, annotations, cgroupsPath, cgroupsCreated, creatorPid,
                creatorStartTime, resources);
    }

    /** The init is ready and waits for "start": the creator's part is over. */
    State createdAt(String when) {
        return new State(ociVersion, id, pid, startTime, bundle, rootfs, when, owner,
                annotations, cgroupsPath, cgroupsCreated, 0, 0L, resources);
    }

    State withResources(Spec.Resources updated) {
        return new State(ociVersion, id, pid, startTime, bundle, rootfs, created, owner,
                annotations, cgroupsPath, cgroupsCreated, creatorPid, creatorStartTime, updated);
    }
}
