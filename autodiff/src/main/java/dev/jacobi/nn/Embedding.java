package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.Arrays;

/**
 * A lookup table of {@code num} vectors of size {@code dim}, as PyTorch's {@code nn.Embedding}: index {@code i}
 * gives row {@code i} of the weight, initialised {@code N(0, 1)}. Indices are integers: {@link #forward(int[], int...)}
 * takes them as an array; {@link #forward(Var)} accepts a tensor of whole numbers (the index tensor has no gradient).
 */
public final class Embedding extends Layer {
    private final int num;
    private final int dim;
    private final Parameter weight;

    /** A table of {@code num} vectors of size {@code dim}, drawn from {@code rng}. */
    public Embedding(int num, int dim, Rng rng) {
        if (num <= 0 || dim <= 0) {
            throw new IllegalArgumentException("Embedding: num_embeddings and embedding_dim must be positive, got "
                    + num + ", " + dim);
        }
        this.num = num;
        this.dim = dim;
        this.weight = registerParameter("weight", Init.normal(rng, new int[] {num, dim}, 0, 1));
    }

    /** The table, {@code [num, dim]}. */
    public Parameter weight() {
        return weight;
    }

    /** The rows for {@code indices}, laid out as {@code shape} (default {@code [indices.length]}) plus {@code [dim]}. */
    public Var forward(int[] indices, int... shape) {
        return lookup(indices, shape.length == 0 ? new int[] {indices.length} : shape);
    }

    /** The rows for a tensor of whole-number indices of any shape {@code S}: {@code [S..., dim]}. */
    @Override
    public Var forward(Var indices) {
        Tensor t = indices.value();
        double[] v = t.toDoubleArray();
        int[] idx = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] != Math.rint(v[i]) || v[i] < 0 || v[i] >= num) {
                throw error("index " + v[i] + " at position " + i + " is not a whole number in [0, " + num + ")");
            }
            idx[i] = (int) v[i];
        }
        return lookup(idx, t.shape());
    }

    private Var lookup(int[] indices, int[] lead) {
        if (Shapes.numel(lead, "Embedding") != indices.length) {
            throw error(indices.length + " indices do not fill the shape " + Shapes.str(lead));
        }
        Var rows;
        try {
            rows = Functional.embedding(weight.var(), indices);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
        int[] out = Arrays.copyOf(lead, lead.length + 1);
        out[lead.length] = dim;
        return rows.reshape(out);
    }

    @Override
    protected String extraRepr() {
        return num + ", " + dim;
    }
}
