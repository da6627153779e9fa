package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.spectral.LipschitzLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GroupSort activation (Anil et al. 2019): the channels (dim 1) are cut into consecutive groups of
 * {@code groupSize} and each group is sorted in descending order, {@code y[g] = sort↓(x[g])}. 1-Lipschitz and
 * gradient-norm preserving (the Jacobian is a permutation away from ties). Built as an odd–even transposition
 * sorting network of {@code maximum}/{@code minimum}, so its adjoint routes each cotangent back through the same
 * comparisons. {@code GroupSort(2)} sorts adjacent pairs; {@link MaxMin} pairs the two channel halves instead.
 */
public final class GroupSort extends Layer implements LipschitzLayer {
    private final int groupSize;

    /**
     * Sorts each group of {@code groupSize} consecutive channels.
     *
     * @param groupSize channels per group, at least 1 (1 is the identity)
     */
    public GroupSort(int groupSize) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("GroupSort: groupSize must be >= 1, got " + groupSize);
        }
        this.groupSize = groupSize;
    }

    /** The number of channels per group. */
    public int groupSize() {
        return groupSize;
    }

    /** {@code [N, C, ...] → [N, C, ...]} with every group of {@code groupSize} channels sorted descending. */
    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        if (s.length < 2 || s[1] % groupSize != 0) {
            throw error("input " + Shapes.str(s) + " needs dims [N, C, ...] with C divisible by " + groupSize);
        }
        if (groupSize == 1) {
            return x;
        }
        int[] grouped = new int[s.length + 1];
        grouped[0] = s[0];
        grouped[1] = s[1] / groupSize;
        grouped[2] = groupSize;
        System.arraycopy(s, 2, grouped, 3, s.length - 2);
        Var g = x.reshape(grouped);
        List<Var> e = new ArrayList<>(groupSize);
        for (int i = 0; i < groupSize; i++) {
            e.add(g.narrow(2, i, 1));
        }
        for (int round = 0; round < groupSize; round++) {
            for (int i = round % 2; i + 1 < groupSize; i += 2) {
                Var a = e.get(i);
                Var b = e.get(i + 1);
                e.set(i, a.maximum(b));
                e.set(i + 1, a.minimum(b));
            }
        }
        return Var.cat(e, 2).reshape(s);
    }

    /** 1: the output is a permutation of the input at every point. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String extraRepr() {
        return "group_size=" + groupSize;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("group_size", groupSize);
    }
}
