package jrunc.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import jrunc.json.JsonBinder;
import jrunc.json.JsonWriter;
import jrunc.runtime.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** No JSON value is converted to another type; the error reads as config.json does. */
class SpecLoaderTest {
    static final String VALID = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
            + " \"process\": {\"args\": [\"id\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}}";

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            uid              | "1000"    | process.user.uid: expected an integer, found the string "1000"
            uid              | 1000.9    | process.user.uid: expected an integer, found the number 1000.9
            uid              | 1e3       | process.user.uid: expected an integer, found the number 1E+3
            uid              | ""        | process.user.uid: expected an integer, found the string ""
            uid              | true      | process.user.uid: expected an integer, found true
            uid              | [5]       | process.user.uid: expected an integer, found an array
            uid              | 18446744073709551616 | process.user.uid: expected an integer of 64 bits, found the number 18446744073709551616
            umask            | 3000000000 | process.user.umask: expected an integer of 32 bits, found the number 3000000000
            additionalGids   | 5         | process.user.additionalGids: expected an array, found the number 5
            additionalGids   | [1, null] | process.user.additionalGids[1]: expected an integer, found null
            additionalGids   | [1.5]     | process.user.additionalGids[0]: expected an integer, found the number 1.5
            username         | 5         | process.user.username: expected a string, found the number 5
            username         | false     | process.user.username: expected a string, found false
            username         | {}        | process.user.username: expected a string, found an object
            """)
    void aValueOfTheWrongTypeIsRefusedByField(String field, String json, String expected) {
        String config = VALID.replace("\"uid\": 0", "\"uid\": 0, \"" + field + "\": " + json)
                .replace("\"uid\": 0, \"uid\"", "\"uid\"");
        SpecException e = assertThrows(SpecException.class, () -> SpecLoader.parse(config, "config.json"));
        assertEquals("config.json: " + expected, e.getMessage());
    }

    @Test
    void booleansAreNotNumbersOrStrings() {
        for (String terminal : List.of("1", "\"true\"")) {
            SpecException e = assertThrows(SpecException.class, () -> SpecLoader.parse(
                    VALID.replace("\"args\"", "\"terminal\": " + terminal + ", \"args\""), "config.json"));
            assertEquals("config.json: process.terminal: expected true or false, found "
                    + (terminal.equals("1") ? "the number 1" : "the string \"true\""), e.getMessage());
        }
    }

    @Test
    void aUidAbove2To31IsKept() {
        Spec spec = SpecLoader.parse(VALID.replace("\"uid\": 0", "\"uid\": 4294967294"), "config.json");
        assertEquals(4294967294L, spec.process().user().uid());
    }

    /** A container created by an earlier jrunc (no creator recorded) can still be deleted. */
    @Test
    void aStateWrittenBeforeTheCreatorWasRecordedStillLoads() throws Exception {
        State old = JsonBinder.read("{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"pid\":42,"
                + "\"startTime\":7,\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":\"\","
                + "\"owner\":\"root\",\"cgroupsCreated\":[]}", State.class);
        assertEquals(0, old.creatorPid());
        assertEquals(0L, old.creatorStartTime());
    }

    /**
     * The same writer and binder carry jrunc's own files: state.json, and the init's settings,
     * which carry the process (the privileged tests run both end to end).
     */
    @Test
    void stateAndProcessStillRoundTrip() throws Exception {
        State state = new State("1.0.2", "c1", 42, 123456789L, "/b", "/b/rootfs", "2026-12-02T00:00:00Z",
                "root", Map.of("a", "b"), "/jrunc/c1", List.of("/sys/fs/cgroup/pids/jrunc/c1"), 77, 987654321L,
                new Spec.Resources(null, null, null, new Spec.Pids(20L), null, null, null, null, null));
        assertEquals(state, JsonBinder.read(JsonWriter.compact(state), State.class));
        Spec.Process process = SpecLoader.parse(VALID.replace("\"uid\": 0", "\"uid\": 3000000000"),
                "config.json").process();
        String written = JsonWriter.compact(process);
        Spec.Process read = JsonBinder.read(written, Spec.Process.class);
        assertEquals(3000000000L, read.user().uid());
        assertEquals(written, JsonWriter.compact(read));
    }
}
