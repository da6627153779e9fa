package dev.jacobi.autodiff;

/**
 * Whether ops record a graph, per thread. {@link Autodiff#noGrad()} turns recording off for a try-with-resources
 * block; ops then run eagerly on their tensors, as cheap as calling the kernels directly.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {
    }

    /** Whether the current thread records graphs. */
    public static boolean enabled() {
        return ENABLED.get()[0];
    }

    /** Sets recording for the current thread and returns the previous setting. */
    static boolean set(boolean on) {
        boolean[] cell = ENABLED.get();
        boolean old = cell[0];
        cell[0] = on;
        return old;
    }

    /** A scope that restores the previous grad mode when closed. */
    public static final class Scope implements AutoCloseable {
        private final boolean previous;

        Scope(boolean on) {
            previous = set(on);
        }

        @Override
        public void close() {
            set(previous);
        }
    }
}
