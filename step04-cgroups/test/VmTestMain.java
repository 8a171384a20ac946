import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs test classes (or single Class#method tests) inside the cgroup v2 VM (started by CgroupV2VmTest) and prints one line
 * per test for the host to report: {@code @@test STATUS SECONDS Class.method}, then, for a
 * failure, {@code @@trace BASE64} of its stack trace. First it prints the layout it sees.
 */
public final class VmTestMain {
    public static void main(String[] classNames) {
        var mounts = Cgroups.cgroupMounts(Cgroups.read(Path.of("/proc/self/mountinfo")));
        System.out.println("@@layout " + Cgroups.layout(mounts));
        var request = LauncherDiscoveryRequestBuilder.request();
        for (String name : classNames) {
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
                if (test.isTest()) report(test, "SKIPPED", 0, reason);
            }

            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (!test.isTest()) {
                    result.getThrowable().ifPresent(t -> report(test, "FAILED", 0, trace(t)));
                    return;
                }
                double seconds = (System.nanoTime() - started.get(test.getUniqueId())) / 1e9;
                report(test, result.getStatus() == TestExecutionResult.Status.SUCCESSFUL
                        ? "PASSED" : "FAILED", seconds,
                        result.getThrowable().map(VmTestMain::trace).orElse(""));
            }
        });
    }

    static synchronized void report(TestIdentifier test, String status, double seconds, String detail) {
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

    static String trace(Throwable t) {
        StringWriter text = new StringWriter();
        t.printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
