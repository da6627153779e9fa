package dev.jacobi.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the tensors over one array hold in common: how many tensors were made over it (the first and its views),
 * its version (bumped by every in-place op, so that the autodiff engine can tell a saved value was modified), and,
 * once it was released to the {@link dev.jacobi.core.kernel.CachingAllocator}, by what. A released array may be
 * holding another tensor's values, so every tensor over it refuses to be read.
 */
final class Storage {
    private static final AtomicLong MADE = new AtomicLong();

    /** The how-manieth storage this is: later storages have larger serials. */
    final long serial = MADE.incrementAndGet();
    int tensors;
    int version;
    String releasedBy;

    /** The serial of the newest storage so far. */
    static long mark() {
        return MADE.get();
    }
}
