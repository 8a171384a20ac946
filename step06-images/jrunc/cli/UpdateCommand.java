package jrunc.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jrunc.json.JsonBinder;
import jrunc.json.JsonException;
import jrunc.json.JsonValue.JsonNumber;
import jrunc.json.JsonValue.JsonObject;
import jrunc.runtime.JruncException;
import jrunc.runtime.ResourceUpdate;
import jrunc.spec.Spec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * runc 1.1's "update": either a LinuxResources JSON (--resources FILE, or - for stdin, as
 * containerd's shim sends it) or the flags. A value that is absent or 0 stays as it is.
 */
@Command(name = "update", mixinStandardHelpOptions = true,
        description = {"Change the cgroup limits of a created, running or paused container.",
                "The --resources JSON is runtime-spec's linux.resources (unchanged values can be"
                        + " omitted), e.g. {\"memory\": {\"limit\": 33554432}, \"cpu\": {\"quota\":"
                        + " 50000}, \"pids\": {\"limit\": 20}}; given, it overrides every flag."})
final class UpdateCommand implements Callable<Integer> {
    @ParentCommand
    Jrunc jrunc;

    @Option(names = {"--resources", "-r"}, paramLabel = "FILE|-",
            description = "LinuxResources JSON from FILE, or from standard input with -")
    String resources;

    @Option(names = "--memory", paramLabel = "BYTES", description = "memory limit (32m, 1g, …; -1: none)")
    String memory;

    @Option(names = "--memory-reservation", paramLabel = "BYTES", description = "soft memory limit")
    String memoryReservation;

    @Option(names = "--memory-swap", paramLabel = "BYTES",
            description = "memory plus swap limit; -1: unlimited swap")
    String memorySwap;

    @Option(names = "--kernel-memory", paramLabel = "BYTES", hidden = true,
            description = "obsolete: ignored with a warning, as by runc")
    String kernelMemory;

    @Option(names = "--kernel-memory-tcp", paramLabel = "BYTES", hidden = true,
            description = "obsolete: ignored with a warning, as by runc")
    String kernelMemoryTcp;

    @Option(names = "--cpu-quota", paramLabel = "USECS", description = "CFS quota per period; -1: none")
    String cpuQuota;

    @Option(names = "--cpu-period", paramLabel = "USECS", description = "CFS period")
    String cpuPeriod;

    @Option(names = "--cpu-share", paramLabel = "SHARES", description = "CPU shares (relative weight)")
    String cpuShare;

    @Option(names = "--cpuset-cpus", paramLabel = "LIST", description = "CPUs to use (0-1, 0,2)")
    String cpusetCpus;

    @Option(names = "--cpuset-mems", paramLabel = "LIST", description = "memory nodes to use")
    String cpusetMems;

    @Option(names = "--pids-limit", paramLabel = "N", description = "maximum number of PIDs; -1: none")
    String pidsLimit;

    @Option(names = "--blkio-weight", paramLabel = "N",
            description = "block I/O weight: not supported by jrunc (refused unless 0)")
    String blkioWeight;

    @Parameters(paramLabel = "ID", description = "the container's id")
    String id;

    @Override
    public Integer call() {
        ResourceUpdate.update(jrunc.root(), id, resources != null ? fromJson(resources) : fromFlags());
        return 0;
    }

    private static Spec.Resources fromJson(String source) {
        try (InputStream in = source.equals("-") ? System.in : Files.newInputStream(Path.of(source))) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (text.isBlank() || text.strip().equals("null")) {
                throw new JruncException("update --resources " + source + ": no JSON object");
            }
            return JsonBinder.read(text, Spec.Resources.class);
        } catch (IOException | JsonException e) {
            throw new JruncException("update --resources " + source + ": " + e.getMessage());
        }
    }

    private Spec.Resources fromFlags() {
        Long kernel = bytes(kernelMemory, "kernel-memory"), kernelTcp = bytes(kernelMemoryTcp,
                "kernel-memory-tcp");
        Spec.Memory mem = new Spec.Memory(bytes(memory, "memory"),
                bytes(memoryReservation, "memory-reservation"), bytes(memorySwap, "memory-swap"),
                kernel, kernelTcp, null, null, null, null);
        Spec.Cpu cpu = new Spec.Cpu(unsigned(cpuShare, "cpu-share"), integer(cpuQuota, "cpu-quota"),
                unsigned(cpuPeriod, "cpu-period"), null, null, cpusetCpus, cpusetMems, null);
        Long weight = unsigned(blkioWeight, "blkio-weight");
        return new Spec.Resources(null, mem, cpu, new Spec.Pids(integer(pidsLimit, "pids-limit")),
                weight == null ? null : new JsonObject(Map.of("weight", new JsonNumber(weight.toString()))),
                null, null, null, null);
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?) ?([kmgtp])?i?b?");

    /** Docker's sizes, as runc reads them: 1024-based units, "-1" for unlimited. */
    static Long bytes(String value, String flag) {
        if (value == null || value.isEmpty()) return null;
        if (value.equals("-1")) return -1L;
        Matcher m = SIZE.matcher(value.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new JruncException("invalid value for --" + flag + ": " + value + " is not a"
                    + " size (bytes, or a number with k, m, g, t or p)");
        }
        int power = m.group(2) == null ? 0 : "kmgtp".indexOf(m.group(2)) + 1;
        return (long) (Double.parseDouble(m.group(1)) * Math.pow(1024, power));
    }

    private static Long unsigned(String value, String flag) {
        Long n = integer(value, flag);
        if (n != null && n < 0) {
            throw new JruncException("invalid value for --" + flag + ": " + value + " is negative");
        }
        return n;
    }

    private static Long integer(String value, String flag) {
        if (value == null || value.isEmpty()) return null;
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new JruncException("invalid value for --" + flag + ": " + value + " is not an integer");
        }
    }
}
