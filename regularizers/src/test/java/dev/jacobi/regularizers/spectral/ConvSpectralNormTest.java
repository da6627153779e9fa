package dev.jacobi.regularizers.spectral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import org.junit.jupiter.api.Test;

class ConvSpectralNormTest {
    private static final Conv2dSpec CIRCULAR = new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, PaddingMode.CIRCULAR);

    @Test
    void fftSpectrumEqualsDenseCircularConvMatrix() {
        Tensor k = Tensor.randn(new Rng(11), DType.FLOAT64, 2, 2, 3, 3);
        double[] dense = Linalg.svdvals(SpectralNormTest.denseConv(k, CIRCULAR, 5, 5)).toDoubleArray();
        double[] fft = ConvSpectralNorm.singularValuesCircular(k, 5, 5).toDoubleArray();
        assertArrayEquals(dense, fft, 1e-10);
        assertEquals(dense[0], ConvSpectralNorm.exactCircular(k, 5, 5), 1e-10);
        // zero padding: power iteration on the operator is below and close to the circular value
        double zero = ConvSpectralNorm.operatorNorm(k, Conv2dSpec.of(1, 1), 5, 5, false, 500);
        assertTrue(zero <= dense[0] + 1e-9 && zero > 0.6 * dense[0], zero + " vs " + dense[0]);
    }

    @Test
    void fourBoundsAreAtLeastExactAndEqualForOneByOne() {
        Rng rng = new Rng(12);
        for (int trial = 0; trial < 100; trial++) {
            int cout = 1 + rng.nextInt(6);
            int cin = 1 + rng.nextInt(6);
            int kh = 1 + rng.nextInt(4);
            int kw = 1 + rng.nextInt(4);
            Tensor k = Tensor.randn(rng, DType.FLOAT64, cout, cin, kh, kw);
            double exact = ConvSpectralNorm.exactCircular(k, 8, 8);
            ConvSpectralNorm.FourBounds b = ConvSpectralNorm.fantasticFour(k);
            assertTrue(b.bound() >= exact * (1 - 1e-12), trial + ": " + b + " < " + exact);
            if (kh == 1 && kw == 1) {
                assertEquals(exact, b.bound(), 1e-10 * exact, trial + ": 1x1");
            }
        }
    }

    @Test
    void ratioOnRandom3x3IsAsPublished() {
        Rng rng = new Rng(13);
        for (int trial = 0; trial < 5; trial++) {
            Tensor k = Tensor.randn(rng, DType.FLOAT64, 16, 16, 3, 3);
            double ratio = ConvSpectralNorm.fantasticFour(k).bound() / ConvSpectralNorm.exactCircular(k, 16, 16);
            assertTrue(ratio > 1.4 && ratio < 2.4, "bound/exact " + ratio);
        }
    }

    @Test
    void separableKernelLetsTheSTermWin() {
        // J[o, i, a, b] = F[o, a]·G[i, b]: R is rank one (its norm is ‖J‖_F, the largest possible), S is the smallest
        Rng rng = new Rng(14);
        int c = 8;
        int k = 3;
        Tensor f = Tensor.randn(rng, DType.FLOAT64, c, k);
        Tensor g = Tensor.randn(rng, DType.FLOAT64, c, k);
        Tensor j = f.reshape(c, 1, k, 1).mul(g.reshape(1, c, 1, k));
        ConvSpectralNorm.FourBounds b = ConvSpectralNorm.fantasticFour(j);
        assertEquals('S', b.winner(), b.toString());
        assertTrue(b.s() < 0.95 * Math.min(b.t(), b.u()), b.toString());
        assertTrue(b.bound() >= ConvSpectralNorm.exactCircular(j, 9, 9));
    }

    @Test
    void persistentFourBoundConvergesAndIsDifferentiable() {
        Tensor k = Tensor.randn(new Rng(15), DType.FLOAT64, 4, 3, 3, 3);
        ConvSpectralNorm four = new ConvSpectralNorm(16);
        Var b = null;
        for (int i = 0; i < 20; i++) {
            b = four.fantasticFour(Var.of(k));
        }
        assertEquals(ConvSpectralNorm.fantasticFour(k).bound(), b.item(), 1e-6);
        GradCheck.check("fantasticFour (vectors fixed)", x -> four.fantasticFour(x, 0), k, 2, 1e-6);
    }

    @Test
    void clipCircularBoundsTheNorm() {
        Tensor k = Tensor.randn(new Rng(17), DType.FLOAT32, 6, 5, 3, 3);
        double before = ConvSpectralNorm.exactCircular(k, 10, 10);
        double tau = 0.5 * before;
        Tensor clipped = ConvSpectralNorm.clipCircular(k, 10, 10, tau);
        assertArrayEquals(k.shape(), clipped.shape());
        assertEquals(DType.FLOAT32, clipped.dtype());
        double after = ConvSpectralNorm.exactCircular(clipped, 10, 10);
        assertTrue(after <= tau * (1 + 1e-6) && after > 0.9 * tau, after + " vs tau " + tau);
        // inside the ball nothing moves (up to the FFT round trip)
        assertTrue(ConvSpectralNorm.clipCircular(k, 10, 10, 2 * before).allClose(k, 1e-5, 1e-5));
    }
}
