package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Regularizer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Gram-iteration penalty (Delattre et al. 2023): {@code Σ} over the model's {@code Conv2d} and {@code Linear}
 * layers of the Gram bound on each layer's spectral norm ({@link GramBound}), a differentiable upper bound, after
 * {@code steps} Gram steps (the authors train with 6). A convolution's bound is that of the circular convolution on
 * its (padded) input size, which bounds a zero-padded layer too; the input sizes come from one forward pass of the
 * first example, through the layers' forward hooks ({@link Layer#call}), so layers must be reached that way (a
 * {@code Sequential} does). Unstrided, undilated, ungrouped convolutions only.
 */
public final class GramPenalty implements Regularizer {
    private final int steps;

    /** A penalty with {@code steps} Gram steps per layer. */
    public GramPenalty(int steps) {
        if (steps < 0 || steps > 30) {
            throw new IllegalArgumentException("GramPenalty: steps must be in [0, 30], got " + steps);
        }
        this.steps = steps;
    }

    @Override
    public Var penalty(Layer model, Batch batch, long step) {
        Map<Layer, int[]> inputs = new IdentityHashMap<>();
        List<Runnable> removers = new ArrayList<>();
        for (Layer l : model.namedLayers().values()) {
            if (l instanceof Conv2d) {
                removers.add(l.registerForwardHook((layer, in, out) -> inputs.put(layer, in.shape())));
            }
        }
        try (var scope = Autodiff.noGrad()) {
            model.call(Var.of(batch.x().narrow(0, 0, 1)));
        } finally {
            removers.forEach(Runnable::run);
        }
        Var total = null;
        for (Map.Entry<String, Layer> e : model.namedLayers().entrySet()) {
            Var b = null;
            if (e.getValue() instanceof Linear lin) {
                b = GramBound.dense(lin.weight().var(), steps);
            } else if (e.getValue() instanceof Conv2d conv) {
                Conv2dSpec s = conv.spec();
                if (s.strideH() != 1 || s.strideW() != 1 || s.dilationH() != 1 || s.dilationW() != 1
                        || s.groups() != 1) {
                    throw new IllegalArgumentException("GramPenalty: layer " + e.getKey() + " is strided, dilated or"
                            + " grouped, which the circular Gram bound does not cover");
                }
                int[] in = inputs.get(conv);
                if (in == null) {
                    throw new IllegalArgumentException("GramPenalty: layer " + e.getKey() + " was not reached through"
                            + " Layer.call in a forward pass, so its input size is unknown");
                }
                boolean zeros = s.mode() == PaddingMode.ZEROS;
                b = GramBound.circular(conv.weight().var(), in[2] + (zeros ? 2 * s.padH() : 0),
                        in[3] + (zeros ? 2 * s.padW() : 0), steps);
            }
            if (b != null) {
                total = total == null ? b : total.add(b);
            }
        }
        if (total == null) {
            throw new IllegalArgumentException("GramPenalty: model " + model.getClass().getSimpleName()
                    + " has no Conv2d or Linear layer");
        }
        return total;
    }

    @Override
    public String name() {
        return "gram";
    }
}
