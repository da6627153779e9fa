package dev.jacobi.core;

import dev.jacobi.core.kernel.Backend;

/**
 * Which kernels run: the Vector API path when {@code jdk.incubator.vector} is present, otherwise the plain-Java path
 * (the reason is logged once). {@code -Djacobi.simd=false} forces the scalar path and
 * {@code -Djacobi.simd.bits=128|256|512} a vector width.
 */
public final class Simd {
    private Simd() {
    }

    /** Whether the Vector API kernels are in use. */
    public static boolean vectorized() {
        return Backend.vectorized();
    }

    /** A one-line description of the kernels in use (species and lane count, or why the scalar path runs). */
    public static String describe() {
        return Backend.describe();
    }
}
