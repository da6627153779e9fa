package dev.jacobi.core;

import dev.jacobi.core.kernel.Workers;

/**
 * How many threads Jacobi's kernels use. The default is the number of available cores, or the system property
 * {@code jacobi.threads}. Work is split only over disjoint outputs, so results do not depend on the thread count.
 */
public final class Parallel {
    private Parallel() {
    }

    /** The number of threads kernels use. */
    public static int threads() {
        return Workers.threads();
    }

    /** Sets the number of threads kernels use (1 runs everything on the calling thread). */
    public static void setThreads(int n) {
        Workers.setThreads(n);
    }
}
