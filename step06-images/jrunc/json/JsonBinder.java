package jrunc.json;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
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
 * Binds a parsed value to a Java record, component by component, as strictly as Go's
 * encoding/json: a value of the wrong JSON type is an error, never converted ("1000" is not the
 * integer 1000, 1000.9 and 1e3 are not integers, 1 is not true). Members the record does not
 * have are ignored; a member it has but the document lacks is null (0 or false for a
 * primitive). Stricter than Go in one place: null inside an array or an object's values is
 * refused (Go reads it as 0, which in additionalGids is the root group).
 *
 * <p>The Java types it knows are those of jrunc's records: String, Boolean, Integer, Long,
 * BigInteger (uint64), List, Map with String keys, records, and {@link JsonValue} (kept as
 * parsed).
 */
public final class JsonBinder {
    private JsonBinder() {}

    /** The text parsed and bound to type; an error names the field path. */
    public static <T> T read(String text, Class<T> type) {
        return bind(JsonParser.parse(text), type);
    }

    public static <T> T bind(JsonValue value, Class<T> type) {
        return type.cast(bind(value, type, ""));
    }

    private static Object bind(JsonValue value, Type type, String path) {
        if (type instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            Type element = p.getActualTypeArguments()[raw == Map.class ? 1 : 0];
            if (value instanceof JsonNull) return null;
            if (raw == List.class) return list(value, element, path);
            if (raw == Map.class) return map(value, element, path);
            throw new IllegalArgumentException(path + ": cannot bind to " + type);
        }
        Class<?> c = (Class<?>) type;
        if (c == JsonValue.class) return value;
        if (value instanceof JsonNull) {
            if (c.isPrimitive()) throw mismatch(path, c, value);
            return null;
        }
        if (c == String.class) {
            if (value instanceof JsonString s) return s.value();
        } else if (c == Boolean.class || c == boolean.class) {
            if (value instanceof JsonBoolean b) return b.value();
        } else if (c == Integer.class || c == int.class) {
            return integer(value, c, path, 32).intValue();
        } else if (c == Long.class || c == long.class) {
            return integer(value, c, path, 64).longValue();
        } else if (c == BigInteger.class) {
            return integer(value, c, path, Integer.MAX_VALUE);
        } else if (c.isRecord()) {
            if (value instanceof JsonObject o) return record(o, c, path);
        } else {
            throw new IllegalArgumentException(path + ": cannot bind to " + c);
        }
        throw mismatch(path, c, value);
    }

    /** An integer that fits a signed type of that many bits (BigInteger: any). */
    private static BigInteger integer(JsonValue value, Class<?> type, String path, int bits) {
        if (!(value instanceof JsonNumber n) || !n.isInteger()) throw mismatch(path, type, value);
        BigInteger i = n.bigInteger();
        if (i.bitLength() >= bits) {
            throw JsonException.mismatch(path, "expected an integer of " + bits + " bits, found "
                    + describe(value));
        }
        return i;
    }

    private static List<Object> list(JsonValue value, Type element, String path) {
        if (!(value instanceof JsonArray a)) throw mismatch(path, List.class, value);
        List<Object> list = new ArrayList<>(a.elements().size());
        for (int i = 0; i < a.elements().size(); i++) {
            list.add(notNull(a.elements().get(i), element, path + "[" + i + "]"));
        }
        return Collections.unmodifiableList(list);
    }

    private static Map<String, Object> map(JsonValue value, Type element, String path) {
        if (!(value instanceof JsonObject o)) throw mismatch(path, Map.class, value);
        Map<String, Object> map = new LinkedHashMap<>();
        o.members().forEach((key, v) -> map.put(key, notNull(v, element, field(path, key))));
        return Collections.unmodifiableMap(map);
    }

    /** An element of an array or a value of a map: null is refused, not bound to null. */
    private static Object notNull(JsonValue value, Type type, String path) {
        if (value instanceof JsonNull && type != JsonValue.class) {
            Class<?> c = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
            throw mismatch(path, c, value);
        }
        return bind(value, type, path);
    }

    /** Calls the canonical constructor with each component read from its member. */
    private static Object record(JsonObject o, Class<?> type, String path) {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            JsonValue member = o.get(c.getName());
            args[i] = member != null ? bind(member, c.getGenericType(), field(path, c.getName()))
                    : defaultValue(c.getType());
        }
        try {
            Constructor<?> constructor = type.getDeclaredConstructor(types);
            constructor.setAccessible(true);
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) throw r; // the record's own check
            throw new IllegalStateException("construct " + type.getSimpleName(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("construct " + type.getSimpleName(), e);
        }
    }

    /** A missing member: Java's default for a primitive, null for anything else. */
    private static Object defaultValue(Class<?> type) {
        if (type == int.class) return 0;
        if (type == long.class) return 0L;
        if (type == boolean.class) return false;
        if (type.isPrimitive()) throw new IllegalArgumentException("no default for " + type);
        return null;
    }

    private static String field(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** "expected an integer, found the string "1000"". */
    private static JsonException mismatch(String path, Class<?> expected, JsonValue found) {
        return JsonException.mismatch(path, "expected " + kind(expected) + ", found " + describe(found));
    }

    private static String kind(Class<?> type) {
        if (type == String.class) return "a string";
        if (type == Boolean.class || type == boolean.class) return "true or false";
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class
                || type == BigInteger.class) {
            return "an integer";
        }
        if (type == List.class) return "an array";
        return "an object";
    }

    /**
     * The found value as a reader would say it; a number in BigDecimal's canonical form
     * (1e3 reads as 1E+3), the form jrunc's messages have always used.
     */
    static String describe(JsonValue found) {
        if (found instanceof JsonString) return "the string " + found;
        if (found instanceof JsonNumber n) return "the number " + new BigDecimal(n.text());
        if (found instanceof JsonArray) return "an array";
        if (found instanceof JsonObject) return "an object";
        return found.toString(); // true, false, null
    }
}
