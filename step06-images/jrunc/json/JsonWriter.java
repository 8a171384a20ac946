package jrunc.json;

import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Map;
import jrunc.json.JsonValue.JsonArray;
import jrunc.json.JsonValue.JsonObject;
import jrunc.json.JsonValue.JsonString;

/**
 * Writes JSON from a {@link JsonValue}, a record (its components in declaration order), a Map
 * (in its iteration order), a Collection, a String, a Number, a Boolean or null. Two layouts:
 * compact (state.json, list, events) and pretty (state, features), which keeps the layout
 * jrunc has always printed: two-space indent, "key" : value, arrays on one line.
 */
public final class JsonWriter {
    private final StringBuilder out = new StringBuilder();
    private final boolean pretty;

    private JsonWriter(boolean pretty) {
        this.pretty = pretty;
    }

    public static String compact(Object value) {
        JsonWriter w = new JsonWriter(false);
        w.value(value, 0);
        return w.out.toString();
    }

    public static String pretty(Object value) {
        JsonWriter w = new JsonWriter(true);
        w.value(value, 0);
        return w.out.toString();
    }

    /** depth counts enclosing objects only: arrays stay on one line and add no indent. */
    private void value(Object value, int depth) {
        if (value == null) out.append("null");
        else if (value instanceof JsonObject o) object(o.members(), depth);
        else if (value instanceof JsonArray a) array(a.elements(), depth);
        else if (value instanceof JsonString s) string(s.value());
        else if (value instanceof JsonValue v) out.append(v); // a number as written, true, false, null
        else if (value instanceof String s) string(s);
        else if (value instanceof Number || value instanceof Boolean) out.append(value);
        else if (value instanceof Map<?, ?> m) object(m, depth);
        else if (value instanceof Collection<?> c) array(c, depth);
        else if (value instanceof Record r) record(r, depth);
        else throw new IllegalArgumentException("no JSON form for " + value.getClass());
    }

    private void object(Map<?, ?> members, int depth) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : members.entrySet()) {
            first = member(first, (String) e.getKey(), e.getValue(), depth);
        }
        close(first, '}', depth);
    }

    /** A record is an object of its components; {@link OmitNulls} leaves the null ones out. */
    private void record(Record r, int depth) {
        boolean omitNulls = r.getClass().isAnnotationPresent(OmitNulls.class);
        out.append('{');
        boolean first = true;
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object v;
            try {
                v = c.getAccessor().invoke(r);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("read " + r.getClass().getSimpleName() + "."
                        + c.getName(), e);
            }
            if (v == null && omitNulls) continue;
            first = member(first, c.getName(), v, depth);
        }
        close(first, '}', depth);
    }

    private boolean member(boolean first, String key, Object v, int depth) {
        if (!first) out.append(',');
        if (pretty) newline(depth + 1);
        string(key);
        out.append(pretty ? " : " : ":");
        value(v, depth + 1);
        return false;
    }

    private void array(Collection<?> elements, int depth) {
        out.append('[');
        boolean first = true;
        for (Object e : elements) {
            if (!first) out.append(',');
            if (pretty) out.append(' ');
            value(e, depth);
            first = false;
        }
        if (pretty) out.append(' ');
        out.append(']');
    }

    /** An empty object prints as { } when pretty; a full one ends on its own line. */
    private void close(boolean empty, char bracket, int depth) {
        if (pretty) {
            if (empty) out.append(' ');
            else newline(depth);
        }
        out.append(bracket);
    }

    private void newline(int depth) {
        out.append('\n');
        out.append("  ".repeat(depth));
    }

    /** Escapes what JSON requires (", \ and control characters), nothing else: é stays é. */
    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04X", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }
}
