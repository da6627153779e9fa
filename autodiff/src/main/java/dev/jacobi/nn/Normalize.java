package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * Per-channel standardisation {@code y[:, c] = (x[:, c] - mean[c]) / std[c]} over channel dim 1, as a layer with
 * no parameters and no state, so a model can take raw inputs in [0, 1]. Its adjoint is {@code g[:, c] / std[c]}.
 */
public final class Normalize extends Layer {
    private final double[] mean;
    private final double[] std;

    /** Standardises channel {@code c} with {@code mean[c]} and {@code std[c] > 0}. */
    public Normalize(double[] mean, double[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("Normalize: mean has " + mean.length + " channels but std has "
                    + std.length);
        }
        for (double v : std) {
            if (!(v > 0)) {
                throw new IllegalArgumentException("Normalize: std must be positive, got " + Arrays.toString(std));
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** {@code (x - mean)/std}, broadcast over channel dim 1. */
    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        if (s.length < 2 || s[1] != mean.length) {
            throw error("input " + Shapes.str(s) + " does not have " + mean.length + " channels in dim 1");
        }
        int[] bshape = new int[s.length];
        Arrays.fill(bshape, 1);
        bshape[1] = mean.length;
        double[] inv = new double[std.length];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1 / std[i];
        }
        Tensor m = Tensor.of(mean, bshape).to(x.dtype());
        Tensor k = Tensor.of(inv, bshape).to(x.dtype());
        return x.sub(Var.of(m)).mul(k);
    }

    @Override
    protected String extraRepr() {
        return "mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std);
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("mean", mean.clone(), "std", std.clone());
    }
}
