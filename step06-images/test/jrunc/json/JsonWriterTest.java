package jrunc.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * jrunc's output was Jackson's until it had its own writer: state, list, features, events and
 * state.json must read byte for byte as before, so each layout is compared with Jackson's.
 */
class JsonWriterTest {
    static final ObjectMapper JACKSON = new ObjectMapper();

    record Limits(Long limit, List<String> names) {}

    @OmitNulls
    record Sparse(Long a, Limits b, String c) {}

    static Map<String, Object> sample() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ociVersion", "1.0.2");
        m.put("escapes", "q\" b\\ / \n\r\t\b\f \u0001\u001f\u007f é 😀 </script>");
        m.put("pid", 42);
        m.put("big", new BigInteger("18446744073709551615"));
        m.put("negative", Long.MIN_VALUE);
        m.put("yes", true);
        m.put("nothing", null);
        m.put("emptyObject", Map.of());
        m.put("emptyArray", List.of());
        m.put("strings", List.of("a", "b"));
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("inner", Map.of("enabled", false));
        nested.put("objects", List.of(Map.of("x", 1), Map.of("y", List.of(2, 3))));
        m.put("nested", nested);
        m.put("record", new Limits(null, List.of("x")));
        return m; // no @OmitNulls record: Jackson honours only its own annotation

    }

    @Test
    void compactIsJacksonsCompactOutput() throws Exception {
        assertEquals(JACKSON.writeValueAsString(sample()), JsonWriter.compact(sample()));
        assertEquals("[]", JsonWriter.compact(List.of()));
    }

    @Test
    void prettyIsJacksonsDefaultPrettyPrinter() throws Exception {
        assertEquals(JACKSON.writerWithDefaultPrettyPrinter().writeValueAsString(sample()),
                JsonWriter.pretty(sample()));
    }

    @Test
    void omitNullsLeavesOutNullComponentsOnly() {
        assertEquals("{\"a\":1}", JsonWriter.compact(new Sparse(1L, null, null)));
        assertEquals("{\"limit\":null,\"names\":null}", JsonWriter.compact(new Limits(null, null)));
    }

    @Test
    void aParsedTreeIsWrittenBackAsItWasRead() {
        String text = "{\"a\":[1,-0,1e3,18446744073709551616],\"b\":{\"c\":\"\\u00e9\\n\"},\"d\":null,\"e\":true}";
        assertEquals(text.replace("\\u00e9", "é"), JsonWriter.compact(JsonParser.parse(text)));
    }
}
