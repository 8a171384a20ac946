package jrunc.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import jrunc.json.JsonValue.JsonArray;
import jrunc.json.JsonValue.JsonNumber;
import jrunc.json.JsonValue.JsonObject;
import jrunc.json.JsonValue.JsonString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 8259 and nothing else; each refusal says where and what was expected. */
class JsonParserTest {

    @Test
    void escapesAndSurrogatePairsDecode() {
        JsonString s = (JsonString) JsonParser.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"");
        assertEquals("a\"b\\c/d\b\f\n\r\té\uD83D\uDE00", s.value());
        assertEquals("😀", ((JsonString) JsonParser.parse("\"\\ud83d\\ude00\"")).value());
        // A lone surrogate is kept as it is, as Java's own strings allow.
        assertEquals("\uD800", ((JsonString) JsonParser.parse("\"\\uD800\"")).value());
    }

    @Test
    void aRepeatedKeyKeepsTheLastValueAsGoDoes() {
        JsonObject o = (JsonObject) JsonParser.parse("{\"a\": 1, \"b\": 2, \"a\": 3}");
        assertEquals("3", o.get("a").toString());
        assertEquals(2, o.members().size());
    }

    @Test
    void numbersKeepTheirTextSoTheBinderDecidesWhatFits() {
        for (String n : List.of("0", "-0", "2147483647", "-9223372036854775808",
                "18446744073709551615", "1e3", "1E+3", "-1.5e-7", "0.0")) {
            assertEquals(n, ((JsonNumber) JsonParser.parse(n)).text());
        }
        assertEquals(true, ((JsonNumber) JsonParser.parse("-0")).isZero());
        assertEquals(false, ((JsonNumber) JsonParser.parse("1e3")).isInteger());
    }

    @Test
    void deepNestingUpToTheLimitParsesAndBeyondIsRefused() {
        String deep = "[".repeat(JsonParser.MAX_DEPTH) + "]".repeat(JsonParser.MAX_DEPTH);
        assertInstanceOf(JsonArray.class, JsonParser.parse(deep));
        String tooDeep = "[".repeat(JsonParser.MAX_DEPTH + 1) + "]".repeat(JsonParser.MAX_DEPTH + 1);
        JsonException e = assertThrows(JsonException.class, () -> JsonParser.parse(tooDeep));
        assertEquals("invalid JSON at line 1, column 1001: nested deeper than 1000 levels", e.getMessage());
    }

    @Test
    void aByteOrderMarkAndSurroundingWhitespaceAreSkipped() {
        assertEquals("{}", JsonParser.parse("\uFEFF \n\t{}\r\n").toString());
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            ``                  | invalid JSON at line 1, column 1: expected a value, found the end of the document
            `{"a": 1} x`        | invalid JSON at line 1, column 10: expected the end of the document after the value, found 'x'
            `{"a": 1}{}`        | invalid JSON at line 1, column 9: expected the end of the document after the value, found '{'
            `{\\n  oops\\n}`    | invalid JSON at line 2, column 3: expected a field name in double quotes, found 'oops'
            `{"a" 1}`           | invalid JSON at line 1, column 6: expected ':' after the field name "a", found '1'
            `{"a": 1,}`         | invalid JSON at line 1, column 9: expected a field name in double quotes, found '}'
            `{"a": 1 "b": 2}`   | invalid JSON at line 1, column 9: expected ',' or '}' after the value of "a", found '"'
            `[1 2]`             | invalid JSON at line 1, column 4: expected ',' or ']' after an array element, found '2'
            `[1,]`              | invalid JSON at line 1, column 4: expected a value (object, array, string, number, true, false or null), found ']'
            `[tru]`             | invalid JSON at line 1, column 2: expected a value (object, array, string, number, true, false or null), found 'tru'
            `'a'`               | invalid JSON at line 1, column 1: expected a value (object, array, string, number, true, false or null), found '''
            `NaN`               | invalid JSON at line 1, column 1: expected a value (object, array, string, number, true, false or null), found 'NaN'
            `01`                | invalid JSON at line 1, column 2: a number may not start with 0 (leading zeros are not JSON)
            `-`                 | invalid JSON at line 1, column 2: expected a digit after '-', found the end of the document
            `1.`                | invalid JSON at line 1, column 3: expected a digit after the decimal point, found the end of the document
            `1e+`               | invalid JSON at line 1, column 4: expected a digit in the exponent, found the end of the document
            `"abc`              | invalid JSON at line 1, column 5: the document ends inside a string
            `"\\x"`             | invalid JSON at line 1, column 3: unknown escape \\x in a string (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)
            `"\\u12G4"`         | invalid JSON at line 1, column 6: \\u must be followed by four hex digits, found 'G4'
            `{"a": [1, {"b": }]}` | invalid JSON at line 1, column 17: expected a value (object, array, string, number, true, false or null), found '}'
            """)
    void invalidJsonNamesLineColumnAndWhatWasExpected(String text, String expected) {
        String json = text.replace("\\n", "\n"); // the one line break the table writes as \n
        JsonException e = assertThrows(JsonException.class, () -> JsonParser.parse(json));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void aRawControlCharacterInAStringIsRefused() {
        JsonException e = assertThrows(JsonException.class, () -> JsonParser.parse("\"a\nb\""));
        assertEquals("invalid JSON at line 1, column 3: control character U+000A inside a string:"
                + " write it escaped (\\n, \\t, \\u000a)", e.getMessage());
    }
}
