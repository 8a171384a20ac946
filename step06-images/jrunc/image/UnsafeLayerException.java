package jrunc.image;

import java.io.IOException;

/** A layer entry that would write outside the root filesystem: the whole layer is refused. */
public final class UnsafeLayerException extends IOException {
    public UnsafeLayerException(String layer, String entry, String why) {
        super("refusing layer " + layer + ": entry '" + entry + "' " + why);
    }
}
