package jrunc.image;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a pull shows on stderr. On a terminal, one line per layer redrawn in place with the
 * bytes so far and the rate; otherwise (CI, pipes) one plain line per layer when it starts and
 * when it is done, so logs stay readable.
 */
public final class Progress {
    private final PrintStream out;
    private final boolean terminal;
    private final Map<String, Layer> layers = new LinkedHashMap<>();
    private int drawnLines;
    private long lastDraw;

    private static final class Layer {
        final long size;
        final long start = System.nanoTime();
        long done;
        String state = "waiting";

        Layer(long size) {
            this.size = size;
        }
    }

    public Progress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    public static Progress forStderr(boolean quiet) {
        return new Progress(quiet ? new PrintStream(java.io.OutputStream.nullOutputStream()) : System.err,
                System.console() != null && !quiet);
    }

    public synchronized void message(String line) {
        out.println(line);
        drawnLines = 0;
    }

    public synchronized void start(Digest digest, long size, String what) {
        Layer l = new Layer(size);
        l.state = what;
        layers.put(short12(digest), l);
        if (!terminal) out.println(short12(digest) + ": " + what + " " + human(size));
        else draw(true);
    }

    public synchronized void advance(Digest digest, long bytes) {
        Layer l = layers.get(short12(digest));
        l.done += bytes;
        if (terminal) draw(false);
    }

    public synchronized void finish(Digest digest, String what) {
        Layer l = layers.get(short12(digest));
        l.state = what;
        double seconds = Math.max(1e-3, (System.nanoTime() - l.start) / 1e9);
        if (!terminal) out.printf(Locale.ROOT, "%s: %s %s in %.1fs (%s/s)%n", short12(digest), what, human(l.done), seconds, human((long) (l.done / seconds)));
        else draw(true);
    }

    private void draw(boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastDraw < 100_000_000L) return; // 10 frames a second is plenty
        lastDraw = now;
        if (drawnLines > 0) out.print("\033[" + drawnLines + "A");
        for (var e : layers.entrySet()) {
            Layer l = e.getValue();
            double seconds = Math.max(1e-3, (now - l.start) / 1e9);
            out.printf(Locale.ROOT, "\033[2K%s: %-11s %9s / %-9s %9s/s%n", e.getKey(), l.state,
                    human(l.done), human(l.size), human((long) (l.done / seconds)));
        }
        drawnLines = layers.size();
        out.flush();
    }

    static String short12(Digest d) {
        return d.hex().substring(0, 12);
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String units = "KMGT";
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %siB", v, units.charAt(u));
    }
}
