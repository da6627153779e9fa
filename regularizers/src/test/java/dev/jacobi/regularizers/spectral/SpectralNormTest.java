package dev.jacobi.regularizers.spectral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import org.junit.jupiter.api.Test;

class SpectralNormTest {
    /** The dense matrix of {@code x ↦ conv2d(x, k)} on {@code [1, cin, h, w]} inputs, built column by column. */
    static Tensor denseConv(Tensor k, Conv2dSpec s, int h, int w) {
        int cin = k.shape()[1] * s.groups();
        int n = cin * h * w;
        double[][] cols = new double[n][];
        for (int j = 0; j < n; j++) {
            double[] e = new double[n];
            e[j] = 1;
            cols[j] = Conv.conv2d(Tensor.of(e, 1, cin, h, w), k, null, s).toDoubleArray();
        }
        double[] a = new double[cols[0].length * n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < cols[0].length; i++) {
                a[i * n + j] = cols[j][i];
            }
        }
        return Tensor.of(a, cols[0].length, n);
    }

    @Test
    void powerIterationMatchesSvd() {
        Rng rng = new Rng(1);
        for (DType dt : DType.values()) {
            Tensor w = Tensor.randn(rng, dt, 12, 30);
            double exact = Linalg.spectralNorm(w);
            double est = SpectralNorm.matrix(0, 2).update(w, 300);
            assertEquals(exact, est, (dt == DType.FLOAT32 ? 1e-4 : 1e-6) * exact, dt.toString());
        }
    }

    @Test
    void vectorsPersistAndTrackAChangingWeight() {
        Rng rng = new Rng(3);
        Tensor w = Tensor.randn(rng, DType.FLOAT64, 10, 8);
        SpectralNorm sn = SpectralNorm.matrix(200, 4);
        sn.update(w, 0); // warm-up only
        assertEquals(Linalg.spectralNorm(w), sn.sigma(w), 1e-8);
        Tensor u = sn.u();
        for (int step = 0; step < 20; step++) { // a slowly drifting weight, one step each
            w = w.add(Tensor.randn(rng, DType.FLOAT64, 10, 8).mul(1e-3));
            sn.update(w, 1);
        }
        assertEquals(Linalg.spectralNorm(w), sn.sigma(w), 1e-4 * Linalg.spectralNorm(w));
        assertTrue(u.allClose(u, 0, 0) && sn.u() != u, "vectors are replaced, never mutated");
    }

    @Test
    void convOperatorNormMatchesDenseMatrix() {
        Rng rng = new Rng(5);
        Conv2dSpec[] specs = {Conv2dSpec.of(1, 1), Conv2dSpec.of(2, 1), Conv2dSpec.of(1, 0).withDilation(2),
            new Conv2dSpec(1, 1, 1, 1, 1, 1, 2, PaddingMode.ZEROS), new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, PaddingMode.CIRCULAR)};
        for (Conv2dSpec s : specs) {
            Tensor k = Tensor.randn(rng, DType.FLOAT64, 4, 4 / s.groups(), 3, 3);
            double exact = Linalg.spectralNorm(denseConv(k, s, 6, 7));
            double conv = ConvSpectralNorm.operatorNorm(k, s, 6, 7, false, 4000);
            double transposed = ConvSpectralNorm.operatorNorm(k, s, 6, 7, true, 4000);
            assertEquals(exact, conv, 1e-5 * exact, s.toString());
            assertEquals(exact, transposed, 1e-5 * exact, "transposed " + s);
        }
    }

    @Test
    void reshapedHeuristicIsNotTheOperatorNorm() {
        Tensor k = Tensor.randn(new Rng(6), DType.FLOAT64, 16, 16, 3, 3);
        double reshaped = Linalg.spectralNorm(k.reshape(16, -1));
        double operator = ConvSpectralNorm.operatorNorm(k, Conv2dSpec.of(1, 1), 12, 12, false, 300);
        assertTrue(operator > 1.2 * reshaped, "METHODS: reshaped underestimates, " + reshaped + " vs " + operator);
    }

    @Test
    void sigmaIsDifferentiableWithVectorsConstant() {
        Rng rng = new Rng(7);
        Tensor w = Tensor.randn(rng, DType.FLOAT64, 5, 4);
        SpectralNorm m = SpectralNorm.matrix(50, 8);
        m.update(w, 0);
        // ∂σ/∂W = u vᵀ exactly
        Var wv = Var.param(w);
        m.sigma(wv).backward();
        Tensor uv = m.u().reshape(5, 1).mul(m.v().reshape(1, 4));
        assertTrue(wv.grad().allClose(uv, 1e-12, 1e-12));
        GradCheck.check("matrix sigma^2", x -> m.sigma(x).square(), w, 2, 1e-6);

        Tensor k = Tensor.randn(rng, DType.FLOAT64, 3, 2, 3, 3);
        SpectralNorm c = SpectralNorm.conv(Conv2dSpec.of(2, 1), 7, 6, false, 50, 9);
        c.update(k, 0);
        GradCheck.check("conv operator sigma^2", x -> c.sigma(x).square(), k, 2, 1e-6);
    }

    @Test
    void badInputsNameTheOp() {
        SpectralNorm m = SpectralNorm.matrix(0, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.update(Tensor.zeros(2, 3, 4), 1));
        assertTrue(e.getMessage().contains("SpectralNorm.matrix") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        Tensor nan = Tensor.of(new double[] {1, Double.NaN, 0, 1}, 2, 2);
        e = assertThrows(IllegalArgumentException.class, () -> SpectralNorm.matrix(0, 1).update(nan, 3));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> SpectralNorm.matrix(0, 1).sigma(Tensor.ones(2, 2)));
    }
}
