package jrunc.runtime;

import java.util.List;
import java.util.Map;

/**
 * What jrunc remembers about a container in ROOT/ID/state.json. startTime is field 22 of
 * /proc/PID/stat when the init started: a different value means the PID was reused.
 */
public record State(String ociVersion, String id, int pid, long startTime, String bundle,
        String rootfs, String created, String owner, Map<String, String> annotations,
        String cgroupsPath, List<String> cgroupsCreated) {}
