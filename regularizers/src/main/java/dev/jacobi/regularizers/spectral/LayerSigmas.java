package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Persistent power-iteration state per weight ({@link Parameter} identity) for the penalties and projections: the
 * differentiable {@code σ} of a Linear or Conv2d layer under one {@link SpectralPenalty.Estimate}.
 */
final class LayerSigmas {
    private final String op;
    private final SpectralPenalty.Estimate estimate;
    private final int steps;
    private final long seed;
    private final Map<Parameter, SpectralNorm> norms = new IdentityHashMap<>();
    private final Map<Parameter, ConvSpectralNorm> fours = new IdentityHashMap<>();
    private final Map<Layer, int[]> convInputs = new IdentityHashMap<>();

    LayerSigmas(String op, SpectralPenalty.Estimate estimate, int steps, long seed) {
        if (estimate == null || steps < 0) {
            throw new IllegalArgumentException(op + ": need an estimate and steps >= 0, got " + estimate + ", " + steps);
        }
        this.op = op;
        this.estimate = estimate;
        this.steps = steps;
        this.seed = seed;
    }

    /** Records the per-example input shape of every conv layer of {@code model} from {@code input}, when not known. */
    void traceOnce(Layer model, int[] input) {
        if (estimate == SpectralPenalty.Estimate.OPERATOR && Layers.weighted(model).values().stream()
                .anyMatch(m -> m instanceof Conv2d && !convInputs.containsKey(m))) {
            for (Layers.Traced t : Layers.trace(op, model, input)) {
                if (t.layer() instanceof Conv2d) {
                    convInputs.put(t.layer(), t.in());
                }
            }
        }
    }

    /**
     * {@code σ} of {@code layer}'s weight after {@code steps} power steps without graph, differentiable in the weight
     * with the vectors constant. Linear layers always use the matrix norm.
     */
    Var sigma(Layer layer) {
        Parameter p = Layers.weight(layer);
        Var w = p.var();
        boolean conv = layer instanceof Conv2d;
        if (conv && estimate == SpectralPenalty.Estimate.FANTASTIC_FOUR) {
            ConvSpectralNorm f = fours.computeIfAbsent(p, k -> new ConvSpectralNorm(seed + fours.size()));
            return f.fantasticFour(w, steps);
        }
        boolean operator = conv && estimate == SpectralPenalty.Estimate.OPERATOR;
        SpectralNorm sn = norms.computeIfAbsent(p, k -> operator ? convNorm((Conv2d) layer)
                : SpectralNorm.matrix(SpectralNorm.DEFAULT_WARMUP, seed + norms.size()));
        Var m = operator || !conv ? w : w.reshape(w.shape()[0], -1);
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            sn.update(m.value(), steps);
        }
        return sn.sigma(m);
    }

    private SpectralNorm convNorm(Conv2d c) {
        int[] in = convInputs.get(c);
        if (in == null) {
            throw new IllegalArgumentException(op + ": the input size of " + c + " is unknown; the OPERATOR estimate "
                    + "needs a Sequential model whose shapes can be traced (per-example input shape "
                    + (convInputs.isEmpty() ? "not traced" : "traced") + ")");
        }
        return SpectralNorm.conv(c.spec(), in[1], in[2], false, SpectralNorm.DEFAULT_WARMUP, seed + norms.size());
    }

    /** The per-example shape of a batch tensor's shape (drops dim 0). */
    static int[] perExample(String op, int[] batchShape) {
        if (batchShape.length < 2) {
            throw new IllegalArgumentException(op + ": batch input " + Shapes.str(batchShape) + " has no batch dim");
        }
        return java.util.Arrays.copyOfRange(batchShape, 1, batchShape.length);
    }
}
