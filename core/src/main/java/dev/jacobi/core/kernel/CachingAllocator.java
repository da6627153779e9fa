package dev.jacobi.core.kernel;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The caching allocator behind tensor storage, as PyTorch's: arrays of at least {@link #MIN_LENGTH} elements that
 * their tensors released ({@code Tensor.close()}, the autodiff engine's spent gradients, {@code Trainer.step}'s
 * activations) wait in free lists, one per element type and exact length, and go to the next op that asks for that
 * length. A training loop asks for the same lengths every step, so it works in memory that is warm in the caches
 * and that the JVM neither zeroes nor collects. The lists hold at most {@link #limit()} bytes (a quarter of the
 * heap by default); an array beyond it is left to the garbage collector. Smaller arrays come from the JVM, whose
 * thread-local allocation is cheaper than a lock.
 *
 * <p>An array handed out is either fresh or was released by the one storage that held it, which is then dead: the
 * caller owns it alone. Thread-safe.
 */
public final class CachingAllocator {
    /** Arrays shorter than this (64 KiB of floats) are never cached. */
    public static final int MIN_LENGTH = 1 << 14;

    /**
     * With {@code -Djacobi.poisonMemory=true} (the tests' setting) every array handed out without zeroing, and
     * every array released, is filled with NaN (ints with {@code Integer.MIN_VALUE}), so that an op that reads its
     * output before writing it, or memory after its release, shows up.
     */
    private static final boolean POISON = Boolean.getBoolean("jacobi.poisonMemory");
    private static final Object LOCK = new Object();
    /** Free arrays by element type and length: key {@code length·4 + type}, type 0 float, 1 double, 2 int. */
    private static final Map<Long, ArrayDeque<Object>> FREE = new HashMap<>();
    private static long cached;
    private static long limit = Runtime.getRuntime().maxMemory() / 4;
    private static long hits;
    private static long misses;

    private CachingAllocator() {
    }

    /** A float array of length {@code n} with arbitrary contents, cached if one is free. */
    public static float[] floats(int n) {
        float[] a = (float[]) take(0, n);
        if (a == null) {
            a = new float[n];
        }
        if (POISON) {
            Arrays.fill(a, Float.NaN);
        }
        return a;
    }

    /** A double array of length {@code n} with arbitrary contents, cached if one is free. */
    public static double[] doubles(int n) {
        double[] a = (double[]) take(1, n);
        if (a == null) {
            a = new double[n];
        }
        if (POISON) {
            Arrays.fill(a, Double.NaN);
        }
        return a;
    }

    /** An int array of length {@code n} with arbitrary contents, cached if one is free. */
    public static int[] ints(int n) {
        int[] a = (int[]) take(2, n);
        if (a == null) {
            a = new int[n];
        }
        if (POISON) {
            Arrays.fill(a, Integer.MIN_VALUE);
        }
        return a;
    }

    /** A zero-filled float array of length {@code n}. */
    public static float[] zeroFloats(int n) {
        float[] a = (float[]) take(0, n);
        if (a == null) {
            return new float[n];
        }
        Arrays.fill(a, 0f);
        return a;
    }

    /** A zero-filled double array of length {@code n}. */
    public static double[] zeroDoubles(int n) {
        double[] a = (double[]) take(1, n);
        if (a == null) {
            return new double[n];
        }
        Arrays.fill(a, 0d);
        return a;
    }

    /** A free array of {@code type} and length {@code n}, or null. */
    private static Object take(int type, int n) {
        if (n < MIN_LENGTH) {
            return null;
        }
        synchronized (LOCK) {
            ArrayDeque<Object> free = FREE.get(key(type, n));
            if (free != null && !free.isEmpty()) {
                cached -= bytes(type, n);
                hits++;
                return free.pop();
            }
            misses++;
            return null;
        }
    }

    /**
     * Takes back {@code a}, which no live storage may hold any more. Short arrays and arrays beyond the limit are
     * left to the garbage collector.
     */
    public static void release(float[] a) {
        if (a != null) {
            put(0, a.length, a);
        }
    }

    /** Takes back {@code a}, as {@link #release(float[])}. */
    public static void release(double[] a) {
        if (a != null) {
            put(1, a.length, a);
        }
    }

    /** Takes back {@code a}, as {@link #release(float[])}. */
    public static void release(int[] a) {
        if (a != null) {
            put(2, a.length, a);
        }
    }

    private static void put(int type, int n, Object a) {
        if (POISON) {
            // a use after release reads garbage that shows
            if (a instanceof float[] f) {
                Arrays.fill(f, Float.NaN);
            } else if (a instanceof double[] d) {
                Arrays.fill(d, Double.NaN);
            } else {
                Arrays.fill((int[]) a, Integer.MIN_VALUE);
            }
        }
        if (n >= MIN_LENGTH) {
            synchronized (LOCK) {
                if (cached + bytes(type, n) <= limit) {
                    FREE.computeIfAbsent(key(type, n), k -> new ArrayDeque<>()).push(a);
                    cached += bytes(type, n);
                }
            }
        }
    }

    private static long key(int type, int n) {
        return (long) n << 2 | type;
    }

    private static long bytes(int type, int n) {
        return (type == 1 ? 8L : 4L) * n;
    }

    /** Bytes waiting in the free lists. */
    public static long cachedBytes() {
        synchronized (LOCK) {
            return cached;
        }
    }

    /** The most bytes the free lists hold. */
    public static long limit() {
        synchronized (LOCK) {
            return limit;
        }
    }

    /** Sets the most bytes the free lists hold (0 turns caching off), dropping arrays beyond it. */
    public static void setLimit(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cache limit must be >= 0 bytes, got " + bytes);
        }
        synchronized (LOCK) {
            limit = bytes;
            if (cached > limit) {
                clear();
            }
        }
    }

    /** Drops every cached array (they become garbage). */
    public static void clear() {
        synchronized (LOCK) {
            FREE.clear();
            cached = 0;
        }
    }

    /** {@code {hits, misses}}: requests of a cacheable length served from the lists, and those that were not. */
    public static long[] counts() {
        synchronized (LOCK) {
            return new long[] {hits, misses};
        }
    }
}
