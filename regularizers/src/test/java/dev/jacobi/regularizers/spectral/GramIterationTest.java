package dev.jacobi.regularizers.spectral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.ConvSpectra;
import dev.jacobi.core.linalg.GramIteration;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Losses;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.SGD;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Gram iteration (issue #28's claims, fixed before the runs): every iteration count gives an upper bound on the exact
 * spectral norm, the bounds never increase, and after the authors' training setting of 6 iterations for convolutions
 * ({@code --bound_n_iter 6} in lip4conv's README) the bound is within 1e-3 of the exact value on random and trained
 * kernels; for dense matrices after the authors' notebook setting of 15.
 */
class GramIterationTest {
    /** Relative slack for rounding in the comparisons with the exact value. */
    private static final double ROUND = 1e-12;

    private static void checkBounds(String what, double[] b, double exact, int converged) {
        for (int t = 0; t < b.length; t++) {
            assertTrue(b[t] >= exact * (1 - ROUND), what + ": bound at t=" + t + " " + b[t] + " < exact " + exact);
            if (t > 0) {
                assertTrue(b[t] <= b[t - 1] * (1 + ROUND), what + ": bound rose at t=" + t);
            }
        }
        assertTrue(b[converged] / exact - 1 <= 1e-3, what + ": relative gap " + (b[converged] / exact - 1)
                + " after " + converged + " iterations");
    }

    /** Kernels of a small CNN after 30 SGD steps on a synthetic task (the "trained" ones). */
    private static List<Tensor> trainedKernels(long seed) {
        Rng r = new Rng(seed);
        Sequential net = new Sequential(new Conv2d(1, 8, 3, 1, 1, r), new ReLU(), new Conv2d(8, 8, 3, 1, 1, r),
                new ReLU(), new Flatten(), new Linear(8 * 8 * 8, 2, r));
        net.to(DType.FLOAT64);
        SGD opt = new SGD(net.parameters(), 0.05, 0.9, 0, 0, false);
        Tensor w = Tensor.randn(r, DType.FLOAT64, 64);
        for (int step = 0; step < 30; step++) {
            Tensor x = Tensor.randn(r, DType.FLOAT64, 16, 1, 8, 8);
            int[] y = new int[16];
            for (int i = 0; i < 16; i++) {
                y[i] = x.narrow(0, i, 1).reshape(64).mul(w).sum().item() > 0 ? 1 : 0;
            }
            opt.zeroGrad();
            Losses.crossEntropy(net.forward(Var.of(x)), y).backward();
            opt.step();
        }
        return List.of(((Conv2d) net.get(0)).weight().value(), ((Conv2d) net.get(2)).weight().value());
    }

    @Test
    void convolutionBoundsHoldAtEveryStepAndConvergeOnRandomAndTrainedKernels() {
        Rng r = new Rng(28);
        List<Tensor> kernels = new ArrayList<>();
        int[][] shapes = {{16, 16, 3, 3}, {32, 16, 3, 3}, {16, 32, 3, 3}, {8, 3, 3, 3}, {10, 1, 5, 5}, {12, 12, 1, 1},
            {24, 24, 5, 5}, {4, 4, 2, 2}};
        for (int[] s : shapes) {
            kernels.add(Tensor.randn(r, DType.FLOAT64, s));
            kernels.add(Tensor.randn(r, DType.FLOAT64, s).mul(0.01)); // the same shapes at another scale
        }
        for (long seed = 1; seed <= 4; seed++) {
            kernels.addAll(trainedKernels(seed));
        }
        assertTrue(kernels.size() >= 20);
        for (int i = 0; i < kernels.size(); i++) {
            Tensor k = kernels.get(i);
            int n = 12;
            double exact = ConvSpectra.operatorNorm(k, n, n);
            checkBounds("kernel " + i + " " + dev.jacobi.core.Shapes.str(k.shape()), GramIteration.circular(k, n, n, 8),
                    exact, 6);
        }
    }

    @Test
    void denseBoundsHoldAtEveryStepAndConverge() {
        Rng r = new Rng(29);
        int[][] shapes = {{64, 32}, {32, 64}, {100, 100}, {10, 200}, {1, 7}, {7, 1}};
        for (int[] s : shapes) {
            Tensor m = Tensor.randn(r, DType.FLOAT64, s);
            checkBounds("matrix " + s[0] + "x" + s[1], GramIteration.dense(m, 15), Linalg.spectralNorm(m), 15);
        }
        Tensor init = new Linear(20, 30, r).weight().value().to(DType.FLOAT64); // PyTorch's uniform initialisation
        checkBounds("initialised linear weight", GramIteration.dense(init, 15), Linalg.spectralNorm(init), 15);
        assertEquals(0, GramIteration.dense(Tensor.zeros(DType.FLOAT64, 3, 3), 4)[4]);
        assertThrows(IllegalArgumentException.class, () -> GramIteration.dense(Tensor.zeros(3), 2));
        assertThrows(IllegalArgumentException.class, () -> GramIteration.dense(Tensor.zeros(2, 2), 31));
    }

    @Test
    void theDifferentiableBoundEqualsTheTensorOneAndPassesOrderTwoChecks() {
        Rng r = new Rng(30);
        Tensor k = Tensor.randn(r, DType.FLOAT64, 3, 2, 3, 3);
        for (int t : new int[] {0, 1, 3, 6}) {
            assertEquals(GramIteration.circular(k, 5, 4, t)[t], GramBound.circular(Var.param(k), 5, 4, t).value().item(),
                    1e-10 * GramIteration.circular(k, 5, 4, t)[t], "circular, t=" + t);
            Tensor w = Tensor.randn(r, DType.FLOAT64, 5, 3);
            assertEquals(GramIteration.dense(w, t)[t], GramBound.dense(Var.param(w), t).value().item(),
                    1e-10 * GramIteration.dense(w, t)[t], "dense, t=" + t);
        }
        Tensor wide = Tensor.randn(r, DType.FLOAT64, 2, 4, 2, 2); // cin > cout: the transposed blocks
        assertEquals(GramIteration.circular(wide, 3, 3, 4)[4], GramBound.circular(Var.param(wide), 3, 3, 4).value()
                .item(), 1e-10 * GramIteration.circular(wide, 3, 3, 4)[4]);
        dev.jacobi.autodiff.GradCheck.check("gram circular", v -> GramBound.circular(v, 4, 4, 3), k, 2, 1e-6);
        dev.jacobi.autodiff.GradCheck.check("gram dense", v -> GramBound.dense(v, 4), Tensor.randn(r, DType.FLOAT64,
                4, 3), 2, 1e-6);
    }

    /**
     * Delattre et al. 2024's bound holds for the zero-padded convolution (its exact norm by power iteration, a
     * lower estimate) and for the circular one, at every step count and several input sizes, on random and trained
     * kernels; its Var form passes order-2 checks. The gaps are printed (bench/RESULTS.md records them).
     */
    @Test
    void theZeroPaddingBoundHoldsForZeroPaddedAndCircularConvolutions() {
        Rng r = new Rng(31);
        List<Tensor> kernels = new ArrayList<>();
        int[][] shapes = {{8, 8, 3, 3}, {16, 8, 3, 3}, {8, 16, 3, 3}, {8, 3, 3, 3}, {6, 1, 5, 5}, {12, 12, 1, 1},
            {6, 6, 5, 5}, {4, 4, 2, 2}};
        for (int[] s : shapes) {
            kernels.add(Tensor.randn(r, DType.FLOAT64, s));
            kernels.add(Tensor.randn(r, DType.FLOAT64, s).mul(0.01));
        }
        for (long seed = 1; seed <= 2; seed++) {
            kernels.addAll(trainedKernels(seed));
        }
        assertTrue(kernels.size() >= 20);
        for (int i = 0; i < kernels.size(); i++) {
            Tensor k = kernels.get(i);
            String what = "kernel " + i + " " + dev.jacobi.core.Shapes.str(k.shape());
            double[] bounds = new double[4];
            for (int t = 1; t <= 4; t++) {
                bounds[t - 1] = GramBound.zeroPadding(Var.of(k), t).value().item();
            }
            StringBuilder gaps = new StringBuilder(what + ": bound/exact at t=1..4");
            for (int n : new int[] {5, 12}) {
                dev.jacobi.core.Conv2dSpec same = dev.jacobi.core.Conv2dSpec.of(1, (k.shape()[2] - 1) / 2);
                double zero = ConvSpectralNorm.operatorNorm(k, same, n, n, false, 400);
                double circular = ConvSpectra.operatorNorm(k, n, n);
                gaps.append(", n=").append(n).append(':');
                for (int t = 1; t <= 4; t++) {
                    assertTrue(bounds[t - 1] >= zero * (1 - 1e-9), what + " n=" + n + " t=" + t + ": bound "
                            + bounds[t - 1] + " < zero-padded norm " + zero);
                    assertTrue(bounds[t - 1] >= circular * (1 - 1e-9), what + " n=" + n + " t=" + t + ": bound "
                            + bounds[t - 1] + " < circular norm " + circular);
                    gaps.append(String.format(" %.4f", bounds[t - 1] / zero));
                }
            }
            System.out.println(gaps);
        }
        dev.jacobi.autodiff.GradCheck.check("gram zero padding", v -> GramBound.zeroPadding(v, 2),
                Tensor.randn(r, DType.FLOAT64, 3, 2, 3, 3), 2, 1e-6);
        assertThrows(IllegalArgumentException.class, () -> GramBound.zeroPadding(Var.of(Tensor.zeros(2, 2)), 2));
        assertThrows(IllegalArgumentException.class, () -> GramBound.zeroPadding(Var.of(Tensor.zeros(2, 2, 3, 3)),
                0));
    }

    @Test
    void thePenaltySumsEachLayersBoundAtItsInputSize() {
        Rng r = new Rng(31);
        Sequential net = new Sequential(new Conv2d(1, 3, 3, 1, 1, r), new ReLU(), new Flatten(), new Linear(3 * 6 * 6, 4,
                r));
        net.to(DType.FLOAT64);
        Tensor x = Tensor.randn(r, DType.FLOAT64, 2, 1, 6, 6);
        Var p = new GramPenalty(6).penalty(net, new dev.jacobi.core.Batch(x, new int[] {0, 1}), 0);
        double want = GramIteration.circular(((Conv2d) net.get(0)).weight().value(), 8, 8, 6)[6]
                + GramIteration.dense(((Linear) net.get(3)).weight().value(), 6)[6];
        assertEquals(want, p.value().item(), 1e-10 * want); // the 6x6 input padded by 1 on each side: 8x8
        p.backward();
        assertTrue(((Conv2d) net.get(0)).weight().grad() != null && ((Linear) net.get(3)).weight().grad() != null);
        assertThrows(IllegalArgumentException.class, () -> new GramPenalty(6).penalty(new Sequential(new ReLU()),
                new dev.jacobi.core.Batch(x, new int[] {0, 1}), 0));
    }
}
