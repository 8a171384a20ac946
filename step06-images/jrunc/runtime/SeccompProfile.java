package jrunc.runtime;

import java.util.ArrayList;
import java.util.List;
import jrunc.linux.Seccomp;
import jrunc.spec.Spec;

/**
 * linux.seccomp compiled into a libseccomp filter the way runc 1.1 does it. The validator
 * has refused unknown actions, operators, architectures and flags by field already; what
 * is left to fail here is the library and the kernel (a missing libseccomp, a flag this
 * kernel lacks), and that fails create: nothing runs unfiltered.
 */
final class SeccompProfile {
    private SeccompProfile() {}

    /** Must run before pivot_root: libseccomp is loaded from the host's library directory. */
    static Seccomp compile(Spec.Seccomp config) {
        Seccomp filter;
        try {
            filter = Seccomp.create(config.defaultAction(), config.defaultErrnoRet());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new JruncException("linux.seccomp: " + e.getMessage());
        }
        String field = "linux.seccomp";
        try {
            if (config.architectures() != null) {
                for (int i = 0; i < config.architectures().size(); i++) {
                    field = "linux.seccomp.architectures[" + i + "]";
                    filter.addArchitecture(config.architectures().get(i));
                }
            }
            if (config.flags() != null) {
                for (int i = 0; i < config.flags().size(); i++) {
                    field = "linux.seccomp.flags[" + i + "]";
                    filter.setFlag(config.flags().get(i));
                }
            }
            int defaultAction = Seccomp.action(config.defaultAction(), config.defaultErrnoRet());
            List<Spec.Syscall> syscalls = config.syscalls() == null ? List.of() : config.syscalls();
            for (int i = 0; i < syscalls.size(); i++) {
                field = "linux.seccomp.syscalls[" + i + "]";
                Spec.Syscall call = syscalls.get(i);
                int action = Seccomp.action(call.action(), call.errnoRet());
                // libseccomp refuses a rule that repeats the default (EACCES); runc skips it.
                if (action == defaultAction) continue;
                for (String name : call.names()) {
                    for (List<Seccomp.Condition> conditions : conditions(call.args())) {
                        filter.addRule(name, action, conditions);
                    }
                }
            }
            return filter;
        } catch (RuntimeException e) {
            filter.close();
            throw new JruncException(field + ": " + e.getMessage());
        }
    }

    /**
     * One rule whose conditions all hold (AND), unless an argument is named twice: then,
     * as runc does, one rule per condition (OR), since libseccomp refuses two conditions
     * on one argument.
     */
    static List<List<Seccomp.Condition>> conditions(List<Spec.SyscallArg> args) {
        List<Seccomp.Condition> all = new ArrayList<>();
        boolean repeated = false;
        boolean[] seen = new boolean[6];
        for (Spec.SyscallArg a : args == null ? List.<Spec.SyscallArg>of() : args) {
            int index = a.index().intValue();
            repeated |= seen[index];
            seen[index] = true;
            all.add(new Seccomp.Condition(index, a.op(), a.value() == null ? 0 : a.value().longValue(),
                    a.valueTwo() == null ? 0 : a.valueTwo().longValue()));
        }
        if (!repeated) return List.of(all);
        return all.stream().map(List::of).toList();
    }
}
