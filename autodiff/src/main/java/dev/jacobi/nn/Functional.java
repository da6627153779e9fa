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
}
