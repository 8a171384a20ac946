package jrunc.runtime;

import java.util.List;
import jrunc.spec.Spec;

/**
 * What the runtime tells its init, as the first line on their channel. mode "create" sets up
 * a new container from the bundle's config; mode "exec" joins a running container (whose
 * mount namespace is at fd mountNamespaceFd) with process. consoleFd is a connected socket
 * for the terminal's master end, or -1. launchFds are the fds the init was started with
 * (its argument file, java, the class path in a user namespace): it closes them once its JVM
 * is up, so none of them reaches the container. lastCap is the host's highest capability.
 * seccomp is the container's filter for an exec. spec is, for create, the config.json the
 * runtime read and validated: the init never reads the bundle, which the container's own
 * processes may be able to change.
 */
public record InitConfig(String mode, String id, String bundle, String rootfs,
        Spec.Process process, String fifo, int consoleFd, int preserveFds,
        String cgroupsPath, List<String> cgroupsCreated, int mountNamespaceFd,
        List<Integer> launchFds, int lastCap, Spec.Seccomp seccomp, Spec spec) {

    /** The socketpair end sits right after the preserved fds 3..3+N-1. */
    public int syncFd() {
        return 3 + preserveFds;
    }
}
