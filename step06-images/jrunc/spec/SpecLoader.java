package jrunc.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import jrunc.json.JsonBinder;
import jrunc.json.JsonException;

/**
 * Reads config.json (and an exec's process JSON); a parse error names the field path
 * ("process.user.uid"), what it expected and what it found. Strict like runc's Go decoder:
 * {@link JsonBinder} converts no value to another type.
 */
public final class SpecLoader {
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
        if (text.isBlank() || text.strip().equals("null")) {
            throw new SpecException(origin + ": empty JSON document");
        }
        try {
            return JsonBinder.read(text, type);
        } catch (JsonException e) {
            boolean inField = e.path() != null && !e.path().isEmpty();
            throw new SpecException(origin + ": " + (inField ? prefix : "") + e.getMessage());
        }
    }
}
