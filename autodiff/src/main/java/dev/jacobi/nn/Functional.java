package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Tensor;

/** Differentiable functions composed from {@link Var} ops that the layers share. */
public final class Functional {
    /** Chebyshev coefficients of {@code erfc} (Numerical Recipes' {@code erfcc}), lowest order first. */
    private static final double[] ERFC = {-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
        0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277};

    private Functional() {
    }

    /**
     * {@code erfc(|x|)} with relative error below 1.2e-7 everywhere: {@code t·exp(-x² + P(t))}, {@code t = 1/(1 +
     * |x|/2)}, {@code P} a degree-9 polynomial. Adjoint that of the composition (≈ {@code -2/√π·e^{-x²}·sign x}).
     */
    public static Var erfcAbs(Var x) {
        Var z = x.abs();
        Var t = z.mul(0.5).add(1).pow(-1);
        Var p = t.mul(ERFC[9]);
        for (int i = 8; i >= 1; i--) {
            p = p.add(ERFC[i]).mul(t);
        }
        p = p.add(ERFC[0]);
        return t.mul(z.square().neg().add(p).exp());
    }

    /** {@code erf x = 1 - erfc x}, odd, with absolute error below 1.2e-7; adjoint ≈ {@code g·2/√π·e^{-x²}}. */
    public static Var erf(Var x) {
        Var e = erfcAbs(x).neg().add(1);
        Tensor sign = x.value().gt(0).mul(2).sub(1);
        return e.mul(sign);
    }

    /** {@code x·Φ(x) = x/2·(1 + erf(x/√2))}, the exact GELU (error below 1e-7·|x|). */
    public static Var gelu(Var x) {
        Var half = erfcAbs(x.mul(Math.sqrt(0.5))).mul(0.5);
        Var phi = Var.where(x.value().gt(0), half.neg().add(1), half);
        return x.mul(phi);
    }

    /**
     * PyTorch's {@code F.layer_norm}: {@code (x − mean) / √(var + eps) · weight + bias} with the mean and the biased
     * variance over the trailing dims {@code normalizedShape} of {@code x}; {@code weight} and {@code bias} (of that
     * shape) may be null.
     */
    public static Var layerNorm(Var x, int[] normalizedShape, Var weight, Var bias, double eps) {
        int[] s = x.shape();
        int k = normalizedShape.length;
        if (s.length < k || !java.util.Arrays.equals(java.util.Arrays.copyOfRange(s, s.length - k, s.length),
                normalizedShape)) {
            throw new IllegalArgumentException("input " + dev.jacobi.core.Shapes.str(s) + " does not end in the"
                    + " normalized shape " + dev.jacobi.core.Shapes.str(normalizedShape));
        }
        int[] dims = new int[k];
        for (int i = 0; i < k; i++) {
            dims[i] = s.length - k + i;
        }
        Var centred = x.sub(x.mean(dims, true));
        Var y = centred.div(centred.square().mean(dims, true).add(eps).sqrt());
        if (weight != null) {
            y = y.mul(weight);
        }
        return bias == null ? y : y.add(bias);
    }

    /**
     * PyTorch's {@code F.embedding}: the rows {@code weight[indices[i]]}, shape {@code [indices.length, dim]} for a
     * {@code [num, dim]} weight; its gradient adds into the selected rows.
     */
    public static Var embedding(Var weight, int[] indices) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("embedding: weight must be [num, dim], got "
                    + dev.jacobi.core.Shapes.str(weight.shape()));
        }
        int num = weight.shape()[0];
        for (int i = 0; i < indices.length; i++) {
            if (indices[i] < 0 || indices[i] >= num) {
                throw new IllegalArgumentException("embedding: index " + indices[i] + " at position " + i
                        + " is outside [0, " + num + ")");
            }
        }
        return weight.indexSelect(0, indices);
    }
}
