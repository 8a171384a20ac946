package jrunc.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Every Java type jrunc's records use, at the edges of its range. */
class JsonBinderTest {
    record Numbers(Integer i, Long l, BigInteger u, int p, Boolean b) {}

    record Nested(List<Numbers> list, Map<String, String> map, JsonValue raw) {}

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            `{"i": 2147483647}`            | i=2147483647
            `{"i": -2147483648}`           | i=-2147483648
            `{"l": 9223372036854775807}`   | l=9223372036854775807
            `{"l": -9223372036854775808}`  | l=-9223372036854775808
            `{"u": 18446744073709551615}`  | u=18446744073709551615
            `{"i": -0}`                    | i=0
            `{"b": false}`                 | b=false
            `{"i": null}`                  | i=null
            `{"x": "unknown", "y": [1]}`   | i=null
            """)
    void valuesInRangeBind(String json, String expected) {
        Numbers n = JsonBinder.read(json, Numbers.class);
        String[] kv = expected.split("=");
        Object actual = switch (kv[0]) {
            case "i" -> n.i();
            case "l" -> n.l();
            case "u" -> n.u();
            default -> n.b();
        };
        assertEquals(kv[1], String.valueOf(actual));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            `{"i": 2147483648}`            | i: expected an integer of 32 bits, found the number 2147483648
            `{"i": -2147483649}`           | i: expected an integer of 32 bits, found the number -2147483649
            `{"l": 9223372036854775808}`   | l: expected an integer of 64 bits, found the number 9223372036854775808
            `{"l": 1e3}`                   | l: expected an integer, found the number 1E+3
            `{"l": 1E3}`                   | l: expected an integer, found the number 1E+3
            `{"l": 1.0}`                   | l: expected an integer, found the number 1.0
            `{"l": -0.0}`                  | l: expected an integer, found the number 0.0
            `{"u": 1.5}`                   | u: expected an integer, found the number 1.5
            `{"b": 1}`                     | b: expected true or false, found the number 1
            `{"b": "true"}`                | b: expected true or false, found the string "true"
            `{"p": null}`                  | p: expected an integer, found null
            `[]`                           | expected an object, found an array
            """)
    void valuesOfTheWrongTypeOrRangeAreRefusedByPath(String json, String expected) {
        JsonException e = assertThrows(JsonException.class, () -> JsonBinder.read(json, Numbers.class));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void aMissingPrimitiveIsZeroAndNestedPathsNameIndexesAndKeys() {
        assertEquals(0, JsonBinder.read("{}", Numbers.class).p());
        JsonException e = assertThrows(JsonException.class, () -> JsonBinder.read(
                "{\"list\": [{}, {\"i\": \"1\"}]}", Nested.class));
        assertEquals("list[1].i: expected an integer, found the string \"1\"", e.getMessage());
        e = assertThrows(JsonException.class, () -> JsonBinder.read("{\"list\": [null]}", Nested.class));
        assertEquals("list[0]: expected an object, found null", e.getMessage());
        e = assertThrows(JsonException.class, () -> JsonBinder.read("{\"map\": {\"a\": null}}", Nested.class));
        assertEquals("map.a: expected a string, found null", e.getMessage());
        e = assertThrows(JsonException.class, () -> JsonBinder.read("{\"list\": {}}", Nested.class));
        assertEquals("list: expected an array, found an object", e.getMessage());
    }

    @Test
    void aJsonValueComponentKeepsTheTreeAsParsed() {
        Nested n = JsonBinder.read("{\"raw\": {\"weight\": 0, \"x\": [1e3, null]}}", Nested.class);
        assertEquals("{\"weight\":0,\"x\":[1e3,null]}", n.raw().toString());
        assertNull(n.list());
        assertEquals(n, JsonBinder.read(JsonWriter.compact(n), Nested.class));
    }
}
