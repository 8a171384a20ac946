package jrunc.runtime;

import jrunc.linux.LibC;

/** "run" in the foreground passes the signals a terminal sends on to the container's init. */
final class Signals {
    private Signals() {}

    @SuppressWarnings("removal")
    static void forwardTo(int pid) {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name),
                        s -> LibC.C.kill(pid, s.getNumber()));
            } catch (IllegalArgumentException e) {
                // the JVM reserves this signal (e.g. with -Xrs): leave it alone
            }
        }
    }
}
