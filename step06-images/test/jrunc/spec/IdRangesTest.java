package jrunc.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * uid_t and gid_t are unsigned 32-bit and (uid_t) -1 means "leave unchanged": every id in
 * config.json must be an integer from 0 to 4294967294, named by its field otherwise.
 */
class IdRangesTest {
    static String config(String user, String linux) {
        return "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                + " \"process\": {\"args\": [\"id\"], \"cwd\": \"/\", \"user\": " + user + "},"
                + " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}],"
                + " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],"
                + " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]" + linux + "}}";
    }

    static String refusal(String json) {
        Spec spec = SpecLoader.parse(json, "config.json");
        return assertThrows(SpecException.class, () -> SpecValidator.validate(spec)).getMessage();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"uid": -1}                        | process.user.uid: -1 is not a valid uid (0..4294967294)
            {"uid": 4294967295}                | process.user.uid: 4294967295 is not a valid uid (0..4294967294)
            {"uid": 0, "gid": -5}              | process.user.gid: -5 is not a valid gid (0..4294967294)
            {"additionalGids": [1, 4294967296]} | process.user.additionalGids[1]: 4294967296 is not a valid gid (0..4294967294)
            {"umask": -1}                      | process.user.umask: -1 is not a valid umask (0..511, octal 0777)
            """)
    void processUserIdsOutOfRange(String user, String expected) {
        assertEquals(expected, refusal(config(user, "")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            "uid": -1          | linux.devices[0].uid: -1 is not a valid uid (0..4294967294)
            "gid": 4294967295  | linux.devices[0].gid: 4294967295 is not a valid gid (0..4294967294)
            """)
    void deviceOwnersOutOfRange(String owner, String expected) {
        String device = ", \"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 3, "
                + owner + "}]";
        assertEquals(expected, refusal(config("{}", device)));
    }

    /** The mappings stay JSON trees in Spec: the validator checks their types itself. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            0.5   | linux.uidMappings[0].containerID: must be an integer from 0 to 4294967295, got 0.5
            "0"   | linux.uidMappings[0].containerID: must be an integer from 0 to 4294967295, got "0"
            -1    | linux.uidMappings[0].containerID: must be an integer from 0 to 4294967295, got -1
            """)
    void mappingIdsMustBeIntegers(String containerId, String expected) {
        String json = config("{}", "").replaceFirst("\"containerID\": 0", "\"containerID\": " + containerId);
        assertEquals(expected, refusal(json));
    }

    @Test
    void theHighestIdsAreAccepted() {
        Spec spec = SpecLoader.parse(config("{\"uid\": 4294967294, \"gid\": 4294967294,"
                + " \"additionalGids\": [0, 4294967294]}", ""), "config.json");
        SpecValidator.validate(spec);
        assertEquals(4294967294L, spec.process().user().gid());
    }
}
