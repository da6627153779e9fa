package dev.jacobi.autodiff;

/**
 * A backward rule: the cotangents of an op's inputs given the cotangent {@code g} of its output. Rules are written
 * with {@link Var} ops, never on raw arrays, so a gradient computed with {@code createGraph = true} is itself a graph
 * and can be differentiated again, to any order.
 */
@FunctionalInterface
interface Rule {
    /** Returns one cotangent per input ({@code null} where {@code needs[i]} is false or the input is constant). */
    Var[] apply(Var g, Var out, boolean[] needs);

    /** Called when the graph is freed and this rule will never run again: it may give back what it holds. */
    default void free() {
    }

    /**
     * A rule that adds each input's cotangent onto that input's cotangent summed so far, {@code acc[i]} (null if
     * none), itself, where it can do so more cheaply than the engine's separate {@code add}: a matrix product's
     * cotangent is formed by one {@code addmm} that accumulates onto the sum.
     */
    @FunctionalInterface
    interface Accumulating extends Rule {
        /**
         * Returns, per input, {@code acc[i]} plus its cotangent (null where {@code needs[i]} is false). On entry
         * {@code owned[i]} says that no one but the engine holds {@code acc[i]}'s storage, so that without a graph
         * the rule may add into it in place; on return, that the returned sum is likewise fresh and unshared.
         */
        Var[] applyOnto(Var g, Var out, boolean[] needs, Var[] acc, boolean[] owned);

        @Override
        default Var[] apply(Var g, Var out, boolean[] needs) {
            return applyOnto(g, out, needs, new Var[needs.length], new boolean[needs.length]);
        }
    }
}
