import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import workshop.testkit.Command;
import workshop.testkit.Privileged;
import workshop.testkit.Rootfs;

/**
 * The lesson that leads to step03. The command is PID 1, yet ps finds no process at all: ps
 * reads /proc, and the rootfs's /proc is an empty directory. Nobody mounted a proc for the new
 * PID namespace, and the runtime cannot do it for the command (see step03).
 */
class WhatIsStillMissingTest {
    @BeforeEach
    void requireRoot() {
        Privileged.requireRoot();
    }

    @Test
    void psSeesNoProcessesBecauseNobodyMountedProc() {
        var result = Command.javaMain("Run", Rootfs.workshopDefault().toString(), "/bin/sh", "-c",
                "echo $$; ps; ls -A /proc | wc -l").run().assertExit(0);
        assertEquals(
                "1\n"                        // we are PID 1...
                + "PID   USER     COMMAND\n"  // ...but ps lists nobody, not even us
                + "0\n",                      // because /proc is empty
                result.stdout());
    }
}
