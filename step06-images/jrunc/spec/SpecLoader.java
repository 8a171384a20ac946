package jrunc.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads config.json; a parse error names the field path ("process.user.uid"). */
public final class SpecLoader {
    public static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

    private SpecLoader() {}

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
        try {
            Spec spec = JSON.readValue(text, Spec.class);
            if (spec == null) throw new SpecException(origin + ": empty JSON document");
            return spec;
        } catch (JsonMappingException e) {
            String field = fieldPath(e);
            throw new SpecException(origin + ": " + (field.isEmpty() ? "" : "field " + field + ": ")
                    + e.getOriginalMessage().replaceAll("\\s*\\n.*", ""));
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
}
