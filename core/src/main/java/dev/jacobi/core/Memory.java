package dev.jacobi.core;

import dev.jacobi.core.kernel.CachingAllocator;

/**
 * The caching allocator's controls, the CPU counterparts of PyTorch's {@code torch.cuda.memory_reserved} and
 * {@code empty_cache}. Tensor memory of at least 16K elements that was released ({@link Tensor#close()}, the
 * autodiff engine's spent gradients, {@code Trainer.step}'s activations) waits in free lists, by element type and
 * exact length, for the next op that needs that length; a training loop then reuses warm memory that the JVM
 * neither zeroes nor collects. The lists hold at most {@link #cacheLimit()} bytes, a quarter of the heap unless set.
 */
public final class Memory {
    private Memory() {
    }

    /** Bytes of released memory waiting for reuse. */
    public static long cachedBytes() {
        return CachingAllocator.cachedBytes();
    }

    /** The most bytes the cache holds. */
    public static long cacheLimit() {
        return CachingAllocator.limit();
    }

    /**
     * Sets the most bytes the cache holds; 0 turns caching off (every op then gets memory from the JVM).
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public static void setCacheLimit(long bytes) {
        CachingAllocator.setLimit(bytes);
    }

    /** Drops all cached memory, for the garbage collector to reclaim. */
    public static void emptyCache() {
        CachingAllocator.clear();
    }

    /** Requests of a cacheable size that the cache served, since the JVM started. */
    public static long cacheHits() {
        return CachingAllocator.counts()[0];
    }

    /** Requests of a cacheable size that it could not serve (the JVM allocated), since the JVM started. */
    public static long cacheMisses() {
        return CachingAllocator.counts()[1];
    }

    /**
     * Gives back an index array that an op of this library made (the positions of
     * {@link Pool#maxPool2d}), once nothing will read it again; for the autodiff engine.
     */
    public static void releaseIndices(int[] indices) {
        CachingAllocator.release(indices);
    }
}
