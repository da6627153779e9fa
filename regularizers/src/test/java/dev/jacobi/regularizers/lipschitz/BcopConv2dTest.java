package dev.jacobi.regularizers.lipschitz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Fft;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Init;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BcopConv2dTest {
    /** All singular values of the circular convolution by {@code w [cout, cin, k, k]} on {@code n×n} inputs (METHODS 2a). */
    static double[] fftSingularValues(Tensor w, int n) {
        Fft.Complex f = Fft.fft2(w.to(DType.FLOAT64), n, n);
        Tensor re = f.re().permute(2, 3, 0, 1);
        Tensor im = f.im().permute(2, 3, 0, 1);
        List<Double> all = new ArrayList<>();
        for (int p = 0; p < n; p++) {
            for (int q = 0; q < n; q++) {
                Tensor s = Linalg.svdvalsComplex(re.select(0, p).select(0, q).contiguous(),
                        im.select(0, p).select(0, q).contiguous());
                for (double v : s.toDoubleArray()) {
                    all.add(v);
                }
            }
        }
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Perturbs the layer's matrices away from their orthogonal init, as training would. */
    private static void perturb(BcopConv2d layer, Rng rng, double scale) {
        Tensor m = layer.paramMatrices().value();
        layer.paramMatrices().set(m.add(Tensor.randn(rng, m.dtype(), m.shape()).mul(scale)));
    }

    @Test
    void everyFftSingularValueOfTheKernelIsOne() {
        int[][] configs = {{3, 3, 3, 1}, {2, 5, 3, 1}, {6, 4, 2, 1}, {4, 4, 4, 1}, {1, 2, 5, 1}, {1, 1, 3, 1},
            {2, 4, 4, 2}, {3, 6, 2, 2}, {1, 3, 3, 3}};
        Rng rng = new Rng(21);
        for (int[] cfg : configs) {
            String name = "cin=" + cfg[0] + ", cout=" + cfg[1] + ", k=" + cfg[2] + ", stride=" + cfg[3];
            BcopConv2d layer = new BcopConv2d(cfg[0], cfg[1], cfg[2], cfg[3], rng);
            perturb(layer, rng, 0.05);
            int k = cfg[2] / cfg[3];
            int cin = cfg[0] * cfg[3] * cfg[3];
            Tensor w = layer.kernel().value();
            assertArrayEquals(new int[] {cfg[1], cin, k, k}, w.shape(), name);
            double[] s = fftSingularValues(w, 6);
            assertEquals(36 * Math.min(cin, cfg[1]), s.length);
            for (double v : s) {
                assertEquals(1, v, 1e-5, name + " (float32)");
            }
            layer.to(DType.FLOAT64);
            for (double v : fftSingularValues(layer.kernel().value(), 5)) {
                assertEquals(1, v, 1e-10, name + " (float64)");
            }
        }
    }

    @Test
    void theFftOracleSeesANonOrthogonalKernel() {
        // guards the oracle itself: an ordinary random kernel does not pass
        double[] s = fftSingularValues(Tensor.randn(new Rng(22), DType.FLOAT64, 3, 3, 3, 3), 6);
        double worst = 0;
        for (double v : s) {
            worst = Math.max(worst, Math.abs(v - 1));
        }
        assertTrue(worst > 0.1);
    }

    @Test
    void theLayerIsAnIsometryOrCoIsometryOnCircularInputs() {
        Rng rng = new Rng(23);
        // cout >= cin·s²: ‖f(x) − b‖ = ‖x‖
        for (int[] cfg : new int[][] {{2, 8, 2, 2}, {3, 5, 3, 1}, {2, 3, 4, 1}}) {
            BcopConv2d layer = new BcopConv2d(cfg[0], cfg[1], cfg[2], cfg[3], false, 20, 1, rng);
            perturb(layer, rng, 0.05);
            layer.to(DType.FLOAT64);
            Tensor x = Tensor.randn(rng, DType.FLOAT64, 2, cfg[0], 8, 8);
            Tensor y = layer.forward(x).value();
            assertArrayEquals(new int[] {2, cfg[1], 8 / cfg[3], 8 / cfg[3]}, y.shape());
            assertEquals(x.norm(2).item(), y.norm(2).item(), 1e-9);
        }
        // cout < cin·s²: the adjoint is an isometry, ‖Jᵀg‖ = ‖g‖
        BcopConv2d layer = new BcopConv2d(4, 2, 3, 1, false, 20, 1, rng);
        layer.to(DType.FLOAT64);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 1, 4, 6, 6);
        Tensor g = Tensor.randn(rng, DType.FLOAT64, 1, 2, 6, 6);
        assertEquals(g.norm(2).item(), Autodiff.vjp(layer::forward, x, g).norm(2).item(), 1e-9);
        assertTrue(layer.forward(x).value().norm(2).item() < x.norm(2).item());
    }

    @Test
    void gradCheckOfTheKernelConstructionAndEveryPairIsUsed() {
        Rng rng = new Rng(24);
        int c = 3;
        List<Tensor> ms = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ms.add(Init.orthogonal(rng, new int[] {c, c}, 1).to(DType.FLOAT64)
                    .add(Tensor.randn(rng, DType.FLOAT64, c, c).mul(0.1)));
        }
        Tensor m = Tensor.stack(ms, 0);
        GradCheck.check("bcop kernel", v -> BcopConv2d.kernel(v, 2, 3, 25, 1), m, 1, 1e-6);
        GradCheck.check("bcop kernel cin > cout", v -> BcopConv2d.kernel(v, 3, 1, 25, 2).square().sum(), m, 2, 1e-6);
        // each of the k−1 = 2 projector pairs is used exactly once: every matrix moves the kernel
        Tensor c0 = Tensor.randn(rng, DType.FLOAT64, 3, 2, 3, 3);
        Tensor grad = Autodiff.grad(v -> BcopConv2d.kernel(v, 2, 3, 25, 1).mul(Var.of(c0)).sum(), m);
        for (int i = 0; i < 5; i++) {
            assertTrue(grad.select(0, i).abs().max().item() > 1e-6, "matrix " + i + " does not affect the kernel");
        }
    }

    @Test
    void namesStrideAndErrors() {
        BcopConv2d layer = new BcopConv2d(2, 4, 4, 2, new Rng(25));
        assertEquals("[param_matrices, bias]", layer.stateDict().keySet().toString());
        assertArrayEquals(new int[] {3, 8, 8}, layer.paramMatrices().shape());
        assertEquals(1.0, layer.lipschitzConstant());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> layer.forward(Tensor.zeros(1, 2, 5, 6)));
        assertTrue(e.getMessage().contains("BcopConv2d") && e.getMessage().contains("[1, 2, 5, 6]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BcopConv2d(2, 4, 3, 2, new Rng(1)));
        assertTrue(e.getMessage().contains("kernel=3") && e.getMessage().contains("stride=2"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> BcopConv2d.kernel(Var.of(Tensor.zeros(DType.FLOAT64, 2, 3, 3)), 2, 3, 20, 1));
    }
}
