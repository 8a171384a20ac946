package jrunc.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jrunc.json.JsonValue.JsonArray;
import jrunc.json.JsonValue.JsonBoolean;
import jrunc.json.JsonValue.JsonNull;
import jrunc.json.JsonValue.JsonNumber;
import jrunc.json.JsonValue.JsonObject;
import jrunc.json.JsonValue.JsonString;

/**
 * RFC 8259 JSON, strictly: no comments, no trailing commas, no single quotes, no NaN, no
 * leading zeros, nothing after the value. A recursive descent over the text, one method per
 * kind of value; every error says where (line, column) and what was expected there.
 */
public final class JsonParser {
    /** Deeper documents are refused before they can exhaust the thread's stack. */
    static final int MAX_DEPTH = 1000;
    /** Longer numbers are refused: BigInteger's parsing time grows with the square. */
    static final int MAX_NUMBER_LENGTH = 1000;

    private final String text;
    private int pos;
    private int line = 1;
    private int lineStart;
    private int depth;

    private JsonParser(String text) {
        this.text = text;
    }

    /** The one value the text holds; whitespace may surround it, nothing else. */
    public static JsonValue parse(String text) {
        JsonParser p = new JsonParser(text);
        if (text.startsWith("\uFEFF")) p.pos = 1; // a byte order mark some editors write
        p.skipWhitespace();
        JsonValue value = p.value();
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.error("expected the end of the document after the value, found " + p.found());
        }
        return value;
    }

    private JsonValue value() {
        if (pos >= text.length()) throw error("expected a value, found the end of the document");
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> new JsonString(string());
            case 't' -> literal("true", new JsonBoolean(true));
            case 'f' -> literal("false", new JsonBoolean(false));
            case 'n' -> literal("null", JsonNull.NULL);
            default -> {
                if (c == '-' || c >= '0' && c <= '9') yield number();
                throw error("expected a value (object, array, string, number, true, false or"
                        + " null), found " + found());
            }
        };
    }

    private JsonObject object() {
        enter();
        pos++; // {
        Map<String, JsonValue> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return new JsonObject(members);
        }
        while (true) {
            if (peek() != '"') throw error("expected a field name in double quotes, found " + found());
            String key = string();
            skipWhitespace();
            if (peek() != ':') throw error("expected ':' after the field name \"" + key
                    + "\", found " + found());
            pos++;
            skipWhitespace();
            members.put(key, value()); // a repeated key: the last value counts, as in Go
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') break;
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' after the value of \"" + key + "\", found " + found());
            }
            skipWhitespace();
        }
        depth--;
        return new JsonObject(members);
    }

    private JsonArray array() {
        enter();
        pos++; // [
        List<JsonValue> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return new JsonArray(elements);
        }
        while (true) {
            elements.add(value());
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') break;
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' after an array element, found " + found());
            }
            skipWhitespace();
        }
        depth--;
        return new JsonArray(elements);
    }

    private void enter() {
        if (++depth > MAX_DEPTH) throw error("nested deeper than " + MAX_DEPTH + " levels");
    }

    /** A string starting at the opening quote; pos ends after the closing one. */
    private String string() {
        pos++; // "
        StringBuilder out = new StringBuilder();
        int run = pos; // start of the characters copied as they are
        while (true) {
            if (pos >= text.length()) throw error("the document ends inside a string");
            char c = text.charAt(pos);
            if (c == '"') break;
            if (c < 0x20) {
                throw error(String.format("control character U+%04X inside a string: write it"
                        + " escaped (\\n, \\t, \\u%04x)", (int) c, (int) c));
            }
            if (c != '\\') {
                pos++;
                continue;
            }
            out.append(text, run, pos);
            pos++;
            char e = pos < text.length() ? text.charAt(pos) : 0;
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                // A surrogate pair comes as two escapes in a row; each is one char in Java.
                case 'u' -> out.append(hex4());
                default -> throw error("unknown escape \\" + (e == 0 ? "" : e) + " in a string"
                        + " (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            }
            pos++;
            run = pos;
        }
        out.append(text, run, pos);
        pos++; // "
        return out.toString();
    }

    /** The four hex digits after \\u; pos ends on the last one. */
    private char hex4() {
        int value = 0;
        for (int i = 1; i <= 4; i++) {
            int digit = pos + i < text.length() ? Character.digit(text.charAt(pos + i), 16) : -1;
            if (digit < 0) {
                pos += i;
                throw error("\\u must be followed by four hex digits, found " + found());
            }
            value = value * 16 + digit;
        }
        pos += 4;
        return (char) value;
    }

    /** -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, kept as text for the binder. */
    private JsonNumber number() {
        int start = pos;
        if (peek() == '-') pos++;
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) throw error("a number may not start with 0 (leading zeros"
                    + " are not JSON)");
        } else {
            digits("a digit after '-'");
        }
        if (peek() == '.') {
            pos++;
            digits("a digit after the decimal point");
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            digits("a digit in the exponent");
        }
        if (pos - start > MAX_NUMBER_LENGTH) {
            pos = start;
            throw error("a number longer than " + MAX_NUMBER_LENGTH + " characters");
        }
        return new JsonNumber(text.substring(start, pos));
    }

    private void digits(String expected) {
        if (!isDigit(peek())) throw error("expected " + expected + ", found " + found());
        while (isDigit(peek())) pos++;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private JsonValue literal(String word, JsonValue value) {
        if (!text.startsWith(word, pos)) {
            throw error("expected a value (object, array, string, number, true, false or null),"
                    + " found " + found());
        }
        pos += word.length();
        return value;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                line++;
                lineStart = pos + 1;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** The character at pos, or 0 at the end (0 is never valid where peek is used). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    /** What is at pos, for a message: a word ('oops'), a character ('}') or the end. */
    private String found() {
        if (pos >= text.length()) return "the end of the document";
        char c = text.charAt(pos);
        if (c < 0x20) return String.format("the control character U+%04X", (int) c);
        int end = pos;
        while (end < text.length() && end - pos < 20 && Character.isLetterOrDigit(text.charAt(end))) end++;
        return "'" + (end > pos ? text.substring(pos, end) : String.valueOf(c)) + "'";
    }

    private JsonException error(String reason) {
        return JsonException.syntax(line, pos - lineStart + 1, reason);
    }
}
