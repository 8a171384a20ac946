package jrunc.spec;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;

/**
 * Reads config.json (and an exec's process JSON); a parse error names the field path
 * ("process.user.uid"), what it expected and what it found.
 */
public final class SpecLoader {
    /**
     * Strict like runc's Go decoder: a value of the wrong JSON type is an error, never
     * converted. Jackson would otherwise read "1000" and 1000.9 as the uid 1000, 1 as true and
     * 5 as "5". Stricter than Go in one place: null inside an array is refused (Go reads it as
     * 0, which in additionalGids is the root group).
     */
    public static final ObjectMapper JSON = strictMapper();

    private SpecLoader() {}

    private static ObjectMapper strictMapper() {
        ObjectMapper mapper = JsonMapper.builder()
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS) // no "1000" → 1000, "true" → true
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT) // no 1000.9 or 1e3 → 1000
                .defaultSetterInfo(JsonSetter.Value.forContentNulls(Nulls.FAIL)) // no [null]
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES) // ignored, as by runc
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .build();
        // Jackson turns scalars into text (5 → "5") and numbers into booleans (1 → true)
        // whatever the flags above say; these refuse it.
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Boolean)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        return mapper;
    }

    public static Spec load(Path configJson) {
        String text;
        try {
            text = Files.readString(configJson);
        } catch (NoSuchFileException e) {
            throw new SpecException(configJson + ": no such file (ENOENT)\n  hint: create one"
                    + " with: jrunc spec --bundle " + configJson.getParent());
        } catch (IOException e) {
            throw new SpecException(configJson + ": " + e.getMessage());
        }
        return parse(text, configJson.toString());
    }

    public static Spec parse(String text, String origin) {
        return read(text, origin, Spec.class, "");
    }

    /** An exec's --process FILE: config.json's "process" object on its own. */
    public static Spec.Process loadProcess(Path processJson) {
        try {
            return read(Files.readString(processJson), processJson.toString(), Spec.Process.class,
                    "process.");
        } catch (NoSuchFileException e) {
            throw new SpecException(processJson + ": no such file (ENOENT)");
        } catch (IOException e) {
            throw new SpecException(processJson + ": " + e.getMessage());
        }
    }

    /** prefix makes the field paths of a part read as in config.json ("process.user.uid"). */
    private static <T> T read(String text, String origin, Class<T> type, String prefix) {
        try {
            T value = JSON.readValue(text, type);
            if (value == null) throw new SpecException(origin + ": empty JSON document");
            return value;
        } catch (JsonMappingException e) {
            String field = fieldPath(e);
            throw new SpecException(origin + ": " + (field.isEmpty() ? "" : prefix + field + ": ")
                    + mismatch(e, text));
        } catch (JsonProcessingException e) {
            throw new SpecException(origin + ": invalid JSON at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()
                    + ": " + e.getOriginalMessage());
        }
    }

    /** "linux.namespaces[2].type" from Jackson's reference chain. */
    static String fieldPath(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (path.length() > 0) path.append('.');
                path.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    /**
     * "expected an integer, found the string "1000"": the expected kind from the Java type
     * Jackson wanted, the found value looked up in the document itself (Jackson's own message
     * names Java classes and suggests its configuration).
     */
    static String mismatch(JsonMappingException e, String text) {
        Class<?> target = e instanceof MismatchedInputException m ? m.getTargetType()
                : e.getCause() instanceof InputCoercionException c ? c.getTargetType() : null;
        JsonNode found = foundValue(e, text);
        if (target == null || found == null) return e.getOriginalMessage().replaceAll("\\s*\\n.*", "");
        String expected = e.getCause() instanceof InputCoercionException
                ? "an integer of " + bits(target) + " bits" : kind(target);
        return "expected " + expected + ", found " + describe(found);
    }

    private static JsonNode foundValue(JsonMappingException e, String text) {
        JsonNode node;
        try {
            // BigDecimal: 1e3 stays 1E+3 instead of becoming the double 1000.0.
            node = JSON.reader().with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).readTree(text);
        } catch (JsonProcessingException unreadable) {
            return null;
        }
        for (JsonMappingException.Reference ref : e.getPath()) {
            node = ref.getFieldName() != null ? node.get(ref.getFieldName()) : node.get(ref.getIndex());
            if (node == null) return null;
        }
        return node;
    }

    private static String kind(Class<?> type) {
        if (type == String.class) return "a string";
        if (type == Boolean.class || type == boolean.class) return "true or false";
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class
                || type == BigInteger.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type)) return "a number";
        if (Collection.class.isAssignableFrom(type) || type.isArray()) return "an array";
        return "an object";
    }

    private static int bits(Class<?> type) {
        return type == Integer.class || type == int.class ? 32 : 64;
    }

    private static String describe(JsonNode found) {
        if (found.isTextual()) return "the string " + found;
        if (found.isNumber()) return "the number " + found;
        if (found.isArray()) return "an array";
        if (found.isObject()) return "an object";
        return found.toString(); // true, false, null
    }
}
