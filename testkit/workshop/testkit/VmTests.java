package workshop.testkit;

import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.Executable;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * A module's own tests, run inside a VM (the cgroup v2 one, the arm64 one) and reported on the
 * host as tests of their own. In the guest, {@link #main} runs the test classes or
 * {@code Class#method}s it is given through the JUnit Platform launcher and prints one line per
 * test: {@code @@test STATUS SECONDS Class.method}, then for a failure {@code @@trace BASE64} of
 * its stack trace; first it prints {@code @@arch os.arch}. On the host, {@link #report} turns
 * those lines into one dynamic test each, named {@code [LABEL] Class.method (S s)}.
 */
public final class VmTests {
    private VmTests() {}

    /** One test that ran in the guest. */
    public record Outcome(String status, String seconds, String name, String trace) {}

    /** In the guest: runs the tests named by {@code tests} and prints what became of each. */
    public static void main(String[] tests) {
        System.out.println("@@arch " + System.getProperty("os.arch"));
        run(tests);
    }

    /** {@link #main} without the {@code @@arch} line, for a main class that prints its own facts first. */
    public static void run(String... tests) {
        var request = LauncherDiscoveryRequestBuilder.request();
        for (String name : tests) {
            request.selectors(name.contains("#") ? selectMethod(name) : selectClass(name));
        }
        Map<String, Long> started = new ConcurrentHashMap<>();
        LauncherFactory.create().execute(request.build(), new TestExecutionListener() {
            @Override
            public void executionStarted(TestIdentifier test) {
                started.put(test.getUniqueId(), System.nanoTime());
            }

            @Override
            public void executionSkipped(TestIdentifier test, String reason) {
                if (test.isTest()) print(test, "SKIPPED", 0, reason);
            }

            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (!test.isTest()) {
                    result.getThrowable().ifPresent(t -> print(test, "FAILED", 0, trace(t)));
                    return;
                }
                double seconds = (System.nanoTime() - started.get(test.getUniqueId())) / 1e9;
                print(test, result.getStatus() == TestExecutionResult.Status.SUCCESSFUL
                        ? "PASSED" : "FAILED", seconds,
                        result.getThrowable().map(VmTests::trace).orElse(""));
            }
        });
    }

    private static synchronized void print(TestIdentifier test, String status, double seconds, String detail) {
        String name = test.getSource().filter(MethodSource.class::isInstance)
                .map(s -> ((MethodSource) s).getClassName() + "." + ((MethodSource) s).getMethodName())
                .orElse(test.getDisplayName()).replace(' ', '_');
        System.out.printf("@@test %s %.1f %s%n", status, seconds, name);
        if (!detail.isEmpty()) {
            System.out.println("@@trace " + Base64.getEncoder()
                    .encodeToString(detail.getBytes(StandardCharsets.UTF_8)));
        }
        System.out.flush();
    }

    private static String trace(Throwable t) {
        StringWriter text = new StringWriter();
        t.printStackTrace(new PrintWriter(text));
        return text.toString();
    }

    /** On the host: the {@code @@test} lines of the guest's output, with their traces. */
    public static List<Outcome> parse(String stdout) {
        List<Outcome> outcomes = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            if (line.startsWith("@@test ")) {
                String[] f = line.split(" ", 4);
                outcomes.add(new Outcome(f[1], f[2], f[3], ""));
            } else if (line.startsWith("@@trace ") && !outcomes.isEmpty()) {
                Outcome last = outcomes.remove(outcomes.size() - 1);
                String trace = new String(Base64.getDecoder().decode(line.substring(8).trim()),
                        StandardCharsets.UTF_8);
                outcomes.add(new Outcome(last.status(), last.seconds(), last.name(), trace));
            }
        }
        return outcomes;
    }

    /**
     * On the host: a first test named {@code [LABEL] bootCheckName} that runs {@code bootCheck}
     * (the VM booted, is what it should be) and fails if no test ran, then one test per test the
     * guest ran, which fails with the guest's trace unless it passed there. {@code expected}
     * names every test that must have run: one that did not is a failure too.
     */
    public static Stream<DynamicTest> report(String label, String stdout, String transcript,
                                             String bootCheckName, Executable bootCheck,
                                             List<String> expected) {
        List<Outcome> outcomes = parse(stdout);
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(dynamicTest("[" + label + "] " + bootCheckName, () -> {
            bootCheck.execute();
            if (outcomes.isEmpty()) throw new AssertionError("no test ran in the VM\n" + transcript);
            List<String> ran = outcomes.stream().map(o -> {
                int dot = o.name().lastIndexOf('.'); // none: a class's own failure (@AfterAll)
                return dot < 0 ? o.name() : o.name().substring(0, dot) + "#" + o.name().substring(dot + 1);
            }).toList();
            for (String name : expected) {
                boolean found = ran.stream().anyMatch(r -> name.contains("#")
                        ? r.equals(name) : r.startsWith(name + "#"));
                if (!found) throw new AssertionError(name + " did not run in the VM\n" + transcript);
            }
        }));
        for (Outcome o : outcomes) {
            tests.add(dynamicTest("[" + label + "] " + o.name() + " (" + o.seconds() + " s)", () -> {
                if (!o.status().equals("PASSED")) {
                    throw new AssertionError(o.status() + " in the " + label + ": " + o.name() + "\n" + o.trace());
                }
            }));
        }
        return tests.stream();
    }
}
