package jrunc.runtime;

import java.util.List;
import jrunc.spec.Spec;

/**
 * What the runtime tells its init (written to ROOT/ID/init.json or exec-N.json before the init
 * starts). mode "create" sets up a new container from the bundle's config; mode "exec" joins
 * the running container of containerPid with process. consoleFd is a connected socket for the
 * terminal's master end, or -1.
 */
public record InitConfig(String mode, String id, String bundle, String rootfs,
        Spec.Process process, String fifo, int consoleFd, int preserveFds,
        String cgroupsPath, List<String> cgroupsCreated, int containerPid) {

    /** The socketpair end sits right after the preserved fds 3..3+N-1. */
    public int syncFd() {
        return 3 + preserveFds;
    }
}
