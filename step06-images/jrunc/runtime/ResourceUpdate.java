package jrunc.runtime;

import java.nio.file.Path;
import jrunc.spec.Spec;
import jrunc.spec.SpecValidator;

/**
 * "update": new limits for a container's cgroup. A field that is absent or 0 keeps its value
 * (runc's rule), so a request is merged into the limits the cgroup has; the merged limits are
 * recorded in the state, where the next update and "events" find them.
 */
public final class ResourceUpdate {
    private ResourceUpdate() {}

    // tag::update[]
    public static void update(Path root, String id, Spec.Resources request) {
        Container c = Container.load(root, id);
        String status = c.status();
        if (status.equals("stopped") || status.equals("creating")) {
            throw new JruncException("cannot update container " + id + ": it is " + status);
        }
        SpecValidator.validateUpdate(request).forEach(Log::warn);
        Spec.Resources merged = merge(c.resources(), request);
        Spec.Memory m = merged.memory();
        if (m.limit() != null && m.swap() != null && m.limit() > 0 && m.swap() > 0
                && m.swap() < m.limit()) {
            throw new JruncException("update " + id + ": memory.swap " + m.swap() + " is below"
                    + " memory.limit " + m.limit() + " (swap counts memory plus swap; use -1 for"
                    + " unlimited)");
        }
        c.cgroups().update(changed(merged, request));
        c.recordResources(merged);
    }
    // end::update[]

    static Spec.Resources merge(Spec.Resources current, Spec.Resources request) {
        Spec.Memory m = current == null || current.memory() == null
                ? new Spec.Memory(null, null, null, null, null, null, null, null, null) : current.memory();
        Spec.Cpu c = current == null || current.cpu() == null
                ? new Spec.Cpu(null, null, null, null, null, null, null, null) : current.cpu();
        Long pids = current == null || current.pids() == null ? null : current.pids().limit();
        Spec.Memory rm = request.memory();
        Spec.Cpu rc = request.cpu();
        if (rm != null) {
            m = new Spec.Memory(pick(rm.limit(), m.limit()), pick(rm.reservation(), m.reservation()),
                    pick(rm.swap(), m.swap()), null, null, m.swappiness(), m.disableOOMKiller(),
                    m.useHierarchy(), null);
        }
        if (rc != null) {
            c = new Spec.Cpu(pick(rc.shares(), c.shares()), pick(rc.quota(), c.quota()),
                    pick(rc.period(), c.period()), c.realtimeRuntime(), c.realtimePeriod(),
                    pick(rc.cpus(), c.cpus()), pick(rc.mems(), c.mems()), c.idle());
        }
        if (request.pids() != null) pids = pick(request.pids().limit(), pids);
        return new Spec.Resources(current == null ? null : current.devices(), m, c,
                pids == null ? null : new Spec.Pids(pids), null, null, null, null, null);
    }

    /**
     * What to write: the requested fields, plus those the kernel needs beside them (the
     * memory limit with swap, as v2 counts swap alone; quota with period, one cpu.max line).
     */
    static Spec.Resources changed(Spec.Resources merged, Spec.Resources request) {
        Spec.Memory rm = request.memory(), m = merged.memory();
        Spec.Memory memory = rm == null ? null : new Spec.Memory(
                given(rm.limit()) || given(rm.swap()) ? m.limit() : null,
                given(rm.reservation()) ? m.reservation() : null,
                given(rm.swap()) ? m.swap() : null, null, null, null, null, null, null);
        Spec.Cpu rc = request.cpu(), c = merged.cpu();
        boolean cfs = rc != null && (given(rc.quota()) || given(rc.period()));
        Spec.Cpu cpu = rc == null ? null : new Spec.Cpu(given(rc.shares()) ? c.shares() : null,
                cfs ? c.quota() : null, cfs ? c.period() : null, null, null,
                given(rc.cpus()) ? c.cpus() : null, given(rc.mems()) ? c.mems() : null, null);
        Spec.Pids pids = request.pids() != null && given(request.pids().limit()) ? merged.pids() : null;
        return new Spec.Resources(null, memory, cpu, pids, null, null, null, null, null);
    }

    private static boolean given(Long value) {
        return value != null && value != 0;
    }

    private static boolean given(String value) {
        return value != null && !value.isEmpty();
    }

    private static Long pick(Long requested, Long current) {
        return given(requested) ? requested : current;
    }

    private static String pick(String requested, String current) {
        return given(requested) ? requested : current;
    }
}
