package jrunc.image;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How to assemble a container's root filesystem: the runtime mounts an overlayfs at
 * {@code merged} inside the container's mount namespace, or, when {@code copied} is true
 * (no overlayfs), uses {@code merged} as it is: a private copy of the image's files.
 *
 * @param lowerDirs the image's unpacked layers, TOP FIRST, as overlayfs's lowerdir= wants them
 * @param upper     where the container's own writes go
 * @param work      overlayfs's scratch dir, on the same filesystem as upper
 * @param merged    the mount point (or the copy): the container's "/"
 */
public record RootfsPlan(List<Path> lowerDirs, Path upper, Path work, Path merged, boolean copied) {

    /** The data argument of mount(2) for {@code mount -t overlay overlay merged}. */
    public String overlayOptions() {
        if (copied) throw new IllegalStateException("a copied rootfs is not mounted");
        // tag::overlay-options[]
        String lower = lowerDirs.stream().map(Path::toString)
                .collect(Collectors.joining(":")); // top first
        return "lowerdir=" + lower + ",upperdir=" + upper
                + ",workdir=" + work;
        // end::overlay-options[]
    }
}
