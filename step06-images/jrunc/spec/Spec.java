package jrunc.spec;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import jrunc.json.OmitNulls;
import jrunc.json.JsonValue;

/**
 * config.json of an OCI bundle (runtime-spec 1.x), as Java records. Fields jrunc implements
 * are typed; fields it knows but does not implement are kept as {@link JsonValue} so that
 * {@link SpecValidator} can name them instead of ignoring them. Unknown fields are ignored,
 * as runc does.
 */
public record Spec(String ociVersion, Process process, Root root, String hostname,
        String domainname, List<Mount> mounts, Hooks hooks, Map<String, String> annotations,
        Linux linux, JsonValue solaris, JsonValue windows, JsonValue vm) {

    public record Process(Boolean terminal, JsonValue consoleSize, User user, List<String> args,
            String commandLine, List<String> env, String cwd, Capabilities capabilities,
            List<Rlimit> rlimits, Boolean noNewPrivileges, String apparmorProfile,
            Integer oomScoreAdj, String selinuxLabel, JsonValue scheduler, JsonValue ioPriority,
            JsonValue execCPUAffinity) {
        public boolean isTerminal() {
            return Boolean.TRUE.equals(terminal);
        }
    }

    /** uid_t and gid_t are unsigned 32-bit: 3000000000 does not fit an int. */
    public record User(Long uid, Long gid, Integer umask, List<Long> additionalGids,
            String username) {}

    public record Capabilities(List<String> bounding, List<String> effective,
            List<String> inheritable, List<String> permitted, List<String> ambient) {}

    /** soft/hard are uint64: 2^64-1 (RLIM_INFINITY) does not fit a long. */
    public record Rlimit(String type, BigInteger hard, BigInteger soft) {}

    public record Root(String path, Boolean readonly) {
        public boolean isReadonly() {
            return Boolean.TRUE.equals(readonly);
        }
    }

    public record Mount(String destination, String type, String source, List<String> options,
            JsonValue uidMappings, JsonValue gidMappings) {}

    public record Hooks(List<Hook> prestart, List<Hook> createRuntime,
            List<Hook> createContainer, List<Hook> startContainer, List<Hook> poststart,
            List<Hook> poststop) {}

    public record Hook(String path, List<String> args, List<String> env, Integer timeout) {}

    public record Linux(List<Namespace> namespaces, JsonValue uidMappings, JsonValue gidMappings,
            List<Device> devices, Resources resources, String cgroupsPath,
            Map<String, String> sysctl, List<String> maskedPaths, List<String> readonlyPaths,
            String rootfsPropagation, Seccomp seccomp, String mountLabel, JsonValue intelRdt,
            JsonValue personality, JsonValue timeOffsets) {}

    public record Namespace(String type, String path) {}

    /** linux.seccomp: numbers are unsigned in the spec; the validator checks their range. */
    public record Seccomp(String defaultAction, Long defaultErrnoRet, List<String> architectures,
            List<String> flags, String listenerPath, String listenerMetadata,
            List<Syscall> syscalls) {}

    public record Syscall(List<String> names, String action, Long errnoRet, List<SyscallArg> args) {}

    /** value and valueTwo are uint64: 2^64-1 does not fit a long. */
    public record SyscallArg(Long index, BigInteger value, BigInteger valueTwo, String op) {}

    public record Device(String type, String path, Long major, Long minor, Integer fileMode,
            Long uid, Long gid) {}

    /** Written without its unset fields: state.json keeps the limits an update recorded. */
    @OmitNulls
    public record Resources(List<DeviceRule> devices, Memory memory, Cpu cpu, Pids pids,
            JsonValue blockIO, JsonValue hugepageLimits, JsonValue network, JsonValue rdma,
            JsonValue unified) {}

    public record DeviceRule(Boolean allow, String type, Long major, Long minor,
            String access) {}

    public record Memory(Long limit, Long reservation, Long swap, Long kernel, Long kernelTCP,
            Long swappiness, Boolean disableOOMKiller, Boolean useHierarchy,
            Boolean checkBeforeUpdate) {}

    public record Cpu(Long shares, Long quota, Long period, Long realtimeRuntime,
            Long realtimePeriod, String cpus, String mems, Long idle) {}

    public record Pids(Long limit) {}
}
