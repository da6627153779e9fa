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
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.spectral.LipschitzLayer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ActivationsTest {
    @Test
    void maxMinPairsTheChannelHalves() {
        Tensor x = Tensor.of(new double[] {1, -2, 3, 0.5, 4, -1, 2, 9}, 2, 4);
        double[] y = new MaxMin().forward(x).value().toDoubleArray();
        // row 0: a = (1, -2), b = (3, 0.5); row 1: a = (4, -1), b = (2, 9)
        assertArrayEquals(new double[] {3, 0.5, 1, -2, 4, 9, 2, -1}, y, 0);
    }

    @Test
    void groupSortSortsEachGroupDescending() {
        Rng rng = new Rng(11);
        for (int g : new int[] {1, 2, 3, 6}) {
            Tensor x = Tensor.randn(rng, DType.FLOAT32, 2, 6, 2, 1);
            Tensor y = new GroupSort(g).forward(x).value();
            assertArrayEquals(x.shape(), y.shape());
            for (int n = 0; n < 2; n++) {
                for (int h = 0; h < 2; h++) {
                    for (int start = 0; start < 6; start += g) {
                        double[] want = new double[g];
                        double[] got = new double[g];
                        for (int i = 0; i < g; i++) {
                            want[i] = -x.get(n, start + i, h, 0);
                            got[i] = y.get(n, start + i, h, 0);
                        }
                        Arrays.sort(want);
                        for (int i = 0; i < g; i++) {
                            assertEquals(-want[i], got[i], 0, "group size " + g);
                        }
                    }
                }
            }
        }
    }

    @Test
    void bothPreserveGradientNormsAndPassSecondOrderGradCheck() {
        Rng rng = new Rng(12);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 3, 8, 2);
        Layer[] acts = {new MaxMin(), new GroupSort(2), new GroupSort(4), new GroupSort(8)};
        for (Layer act : acts) {
            Tensor c = Tensor.randn(rng, DType.FLOAT64, 3, 8, 2);
            Tensor g = Autodiff.vjp(act::forward, x, c);
            assertEquals(c.norm(2).item(), g.norm(2).item(), 1e-12, act + " changed a gradient norm");
            assertEquals(x.norm(2).item(), act.forward(x).value().norm(2).item(), 1e-12);
            Tensor w = Tensor.randn(rng, DType.FLOAT64, 3, 8, 2);
            // Gaussian inputs have no ties; square the output so the second derivative is not zero
            GradCheck.check(act.toString(), v -> act.forward(v).mul(Var.of(w)).sum().square(), x, 2, 1e-6);
            assertEquals(1.0, ((LipschitzLayer) act).lipschitzConstant());
        }
    }

    @Test
    void pixelLayersAreMutualInversesAndNormPreserving() {
        Tensor x = Tensor.randn(new Rng(13), DType.FLOAT64, 2, 3, 4, 6);
        Tensor down = new PixelUnshuffle(2).forward(x).value();
        assertArrayEquals(new int[] {2, 12, 2, 3}, down.shape());
        assertEquals(x.get(1, 2, 3, 5), down.get(1, 2 * 4 + 1 * 2 + 1, 1, 2));
        assertEquals(x.norm(2).item(), down.norm(2).item(), 1e-12);
        assertTrue(new PixelShuffle(2).forward(down).value().allClose(x, 0, 0));
    }

    @Test
    void badShapesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MaxMin().forward(Tensor.zeros(2, 3)));
        assertTrue(e.getMessage().contains("MaxMin") && e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GroupSort(4).forward(Tensor.zeros(2, 6)));
        assertTrue(e.getMessage().contains("[2, 6]") && e.getMessage().contains("4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GroupSort(0));
        e = assertThrows(IllegalArgumentException.class, () -> new PixelUnshuffle(2).forward(Tensor.zeros(1, 1, 3, 4)));
        assertTrue(e.getMessage().contains("[1, 1, 3, 4]"), e.getMessage());
    }
}
