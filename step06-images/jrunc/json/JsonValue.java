package jrunc.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * A parsed JSON value: the six kinds JSON has, nothing more. config.json's fields that jrunc
 * knows but does not implement stay in this form so that the validator can name them.
 * {@link #toString()} is the value written compactly, as it would be in a message.
 */
public sealed interface JsonValue {

    /** Members in document order; a key given twice keeps its last value, as Go does. */
    record JsonObject(Map<String, JsonValue> members) implements JsonValue {
        /** The member's value, or null when there is no such key. */
        public JsonValue get(String key) {
            return members.get(key);
        }

        @Override
        public String toString() {
            return JsonWriter.compact(this);
        }
    }

    record JsonArray(List<JsonValue> elements) implements JsonValue {
        @Override
        public String toString() {
            return JsonWriter.compact(this);
        }
    }

    record JsonString(String value) implements JsonValue {
        @Override
        public String toString() {
            return JsonWriter.compact(this);
        }
    }

    /**
     * A number as written ("1e3", "-0", "18446744073709551616"): the parser has checked its
     * grammar, and the type it is bound to decides whether it fits.
     */
    record JsonNumber(String text) implements JsonValue {
        /** Written without a fraction or an exponent: 1e3 and 1.0 are not integers in Go either. */
        public boolean isInteger() {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '.' || c == 'e' || c == 'E') return false;
            }
            return true;
        }

        /** The integer; call only when {@link #isInteger()}. */
        public BigInteger bigInteger() {
            return new BigInteger(text);
        }

        /** An integer that fits a long (-2^63 to 2^63-1). */
        public boolean isLong() {
            return isInteger() && bigInteger().bitLength() < 64;
        }

        public long longValue() {
            return bigInteger().longValueExact();
        }

        /** Zero in any spelling: 0, -0, 0.0, 0e5. */
        public boolean isZero() {
            return new BigDecimal(text).signum() == 0;
        }

        @Override
        public String toString() {
            return text;
        }
    }

    record JsonBoolean(boolean value) implements JsonValue {
        @Override
        public String toString() {
            return Boolean.toString(value);
        }
    }

    /** The literal null; a missing member is a Java null, not this. */
    record JsonNull() implements JsonValue {
        public static final JsonNull NULL = new JsonNull();

        @Override
        public String toString() {
            return "null";
        }
    }
}
