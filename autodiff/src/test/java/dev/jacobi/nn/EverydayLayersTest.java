package dev.jacobi.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** LayerNorm, Embedding, AdaptiveAvgPool2d, LayerList, Conv1d, ConvTranspose2d and Var.argmax. */
class EverydayLayersTest {
    private static final double TOL = 1e-6;

    private static Tensor randn(Rng r, int... shape) {
        return Tensor.randn(r, shape).to(DType.FLOAT64);
    }

    @Test
    void layerNormNormalisesTheTrailingDimsAndPassesOrderTwoChecks() {
        Rng r = new Rng(1);
        LayerNorm ln = new LayerNorm(3, 4);
        ln.to(DType.FLOAT64);
        Tensor x = randn(r, 2, 3, 4).mul(3).add(1);
        double[] y = ln.forward(x).value().toDoubleArray();
        for (int n = 0; n < 2; n++) {
            double s = 0;
            double sq = 0;
            for (int i = 0; i < 12; i++) {
                s += y[n * 12 + i];
                sq += y[n * 12 + i] * y[n * 12 + i];
            }
            assertEquals(0, s / 12, 1e-12);
            assertEquals(1, sq / 12, 1e-4); // biased variance 1 up to eps
        }
        ln.weight().set(randn(r, 3, 4));
        ln.bias().set(randn(r, 3, 4));
        GradCheck.check("layerNorm input", v -> ln.forward(v).square(), x, 2, TOL);
        GradCheck.check("layerNorm weight", w -> Functional.layerNorm(Var.of(x), new int[] {3, 4}, w,
                ln.bias().var(), 1e-5).square(), randn(r, 3, 4), 2, TOL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ln.forward(Tensor.zeros(DType.FLOAT64, 2, 4, 3)));
        assertTrue(e.getMessage().startsWith("LayerNorm(") && e.getMessage().contains("[2, 4, 3]"), e.getMessage());
    }

    @Test
    void embeddingLooksUpRowsAndItsGradientAddsIntoThem() {
        Rng r = new Rng(2);
        Embedding emb = new Embedding(5, 3, r);
        emb.to(DType.FLOAT64);
        Var y = emb.forward(Var.of(Tensor.of(new double[] {4, 0, 4, 2}, 2, 2)));
        assertArrayEquals(new int[] {2, 2, 3}, y.shape());
        double[] w = emb.weight().value().toDoubleArray();
        assertEquals(w[4 * 3 + 1], y.value().get(0, 0, 1), 0);
        assertEquals(w[2 * 3 + 2], y.value().get(1, 1, 2), 0);
        y.sum().backward();
        double[] g = emb.weight().grad().toDoubleArray();
        assertArrayEquals(new double[] {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2}, g, 0); // row 4 used twice
        GradCheck.check("embedding weight", v -> Functional.embedding(v, new int[] {1, 3, 1}).square(),
                randn(r, 5, 3), 2, TOL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> emb.forward(new int[] {1, 5}));
        assertTrue(e.getMessage().contains("index 5 at position 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> emb.forward(Var.of(Tensor.of(new double[] {0.5}, 1))));
        assertTrue(e.getMessage().contains("not a whole number"), e.getMessage());
    }

    @Test
    void adaptiveAvgPoolAveragesPyTorchsWindowsAndPassesOrderTwoChecks() {
        Rng r = new Rng(3);
        Tensor x = randn(r, 2, 3, 5, 7);
        AdaptiveAvgPool2d pool = new AdaptiveAvgPool2d(3, 2);
        Tensor y = pool.forward(x).value();
        assertArrayEquals(new int[] {2, 3, 3, 2}, y.shape());
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 2; j++) {
                int h0 = i * 5 / 3;
                int h1 = ((i + 1) * 5 + 2) / 3;
                int w0 = j * 7 / 2;
                int w1 = ((j + 1) * 7 + 1) / 2;
                double s = 0;
                for (int a = h0; a < h1; a++) {
                    for (int b = w0; b < w1; b++) {
                        s += x.get(1, 2, a, b);
                    }
                }
                assertEquals(s / ((h1 - h0) * (w1 - w0)), y.get(1, 2, i, j), 1e-12, "cell " + i + "," + j);
            }
        }
        Tensor z = randn(r, 1, 2, 4, 4);
        assertEquals(z.get(0, 1, 2, 2) + z.get(0, 1, 2, 3) + z.get(0, 1, 3, 2) + z.get(0, 1, 3, 3),
                4 * new AdaptiveAvgPool2d(2).forward(z).value().get(0, 1, 1, 1), 1e-12);
        GradCheck.check("adaptiveAvgPool uneven", v -> pool.forward(v).square(), x, 2, TOL);
        GradCheck.check("adaptiveAvgPool even", v -> new AdaptiveAvgPool2d(2).forward(v).square(), z, 2, TOL);
    }

    @Test
    void layerListRegistersItsLayersAndHasNoForward() {
        Rng r = new Rng(4);
        LayerList list = new LayerList(new Linear(2, 3, r)).add(new ReLU()).add(new Linear(3, 1, r));
        assertEquals(3, list.size());
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(list.stateDict().keySet()));
        assertEquals(4, list.parameters().size());
        Var h = Var.of(Tensor.ones(1, 2));
        for (Layer l : list) {
            h = l.forward(h);
        }
        assertArrayEquals(new int[] {1, 1}, h.shape());
        assertThrows(UnsupportedOperationException.class, () -> list.forward(Tensor.ones(1, 2)));
        assertThrows(IllegalArgumentException.class, () -> list.get(3));
    }

    @Test
    void conv1dMatchesTheSumAndPassesOrderTwoChecks() {
        Rng r = new Rng(5);
        Conv1d conv = new Conv1d(2, 3, 3, 2, 1, true, r);
        conv.to(DType.FLOAT64);
        Tensor x = randn(r, 2, 2, 9);
        Tensor y = conv.forward(x).value();
        assertArrayEquals(new int[] {2, 3, 5}, y.shape()); // (9 + 2 - 3) / 2 + 1
        Tensor w = conv.weight().value();
        for (int o = 0; o < 3; o++) {
            for (int t = 0; t < 5; t++) {
                double s = conv.bias().value().get(o);
                for (int c = 0; c < 2; c++) {
                    for (int k = 0; k < 3; k++) {
                        int p = t * 2 - 1 + k;
                        s += p < 0 || p >= 9 ? 0 : w.get(o, c, k) * x.get(1, c, p);
                    }
                }
                assertEquals(s, y.get(1, o, t), 1e-12);
            }
        }
        GradCheck.check("conv1d input", v -> conv.forward(v).square(), x, 2, TOL);
        assertThrows(IllegalArgumentException.class, () -> conv.forward(Tensor.zeros(DType.FLOAT64, 2, 3, 9)));
    }

    @Test
    void convTranspose2dIsTheAdjointOfConv2dAndPassesOrderTwoChecks() {
        Rng r = new Rng(6);
        ConvTranspose2d up = new ConvTranspose2d(3, 2, 3, 2, 1, 1, false, r);
        up.to(DType.FLOAT64);
        Tensor yIn = randn(r, 1, 3, 4, 4);
        Tensor out = up.forward(yIn).value();
        assertArrayEquals(new int[] {1, 2, 8, 8}, out.shape()); // (4 - 1)·2 − 2 + 3 + 1
        // ⟨conv(x), y⟩ = ⟨x, convT(y)⟩ for the convolution with the same weight, stride and padding
        Tensor x = randn(r, 1, 2, 8, 8);
        Var cx = Var.of(x).conv2d(up.weight().var(), null, Conv2dSpec.of(2, 1));
        double lhs = cx.mul(Var.of(yIn)).sum().value().item();
        double rhs = Var.of(x).mul(up.forward(yIn)).sum().value().item();
        assertEquals(lhs, rhs, 1e-10 * Math.abs(lhs) + 1e-12);
        ConvTranspose2d withBias = new ConvTranspose2d(3, 2, 3, 1, 0, r);
        withBias.to(DType.FLOAT64);
        GradCheck.check("convTranspose2d input", v -> withBias.forward(v).square(), randn(r, 1, 3, 3, 3), 2, TOL);
        GradCheck.check("convTranspose2d strided", v -> up.forward(v).square(), yIn, 2, TOL);
        assertThrows(IllegalArgumentException.class, () -> new ConvTranspose2d(3, 2, 3, 2, 1, 2, true, r));
    }

    @Test
    void argmaxGivesTheFirstMaximumAlongADim() {
        Var v = Var.param(Tensor.of(new double[] {1, 5, 5, 7, 0, 2}, 2, 3));
        assertArrayEquals(new int[] {1, 0}, v.argmax(1));
        assertArrayEquals(new int[] {1, 0, 0}, v.argmax(0));
        assertEquals(3, v.argmax());
    }

    @Test
    void forwardHooksSeeEachLayerAndSummaryListsShapesAndParameters() {
        Rng r = new Rng(7);
        Sequential net = new Sequential(new Conv2d(1, 4, 3, 1, 1, r), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(4 * 4 * 4, 10, r));
        java.util.List<String> seen = new java.util.ArrayList<>();
        Runnable remove = net.get(1).registerForwardHook((layer, in, out) -> seen.add(layer.getClass().getSimpleName()
                + " " + dev.jacobi.core.Shapes.str(out.shape())));
        net.forward(Tensor.zeros(2, 1, 8, 8));
        assertEquals(List.of("ReLU [2, 4, 8, 8]"), seen); // the ReLU's own output: not swapped behind the pooling
        remove.run();
        net.forward(Tensor.zeros(2, 1, 8, 8));
        assertEquals(1, seen.size());
        String table = net.summary(1, 8, 8);
        assertTrue(table.contains("0                        Conv2d               [1, 4, 8, 8]                   40"), table);
        assertTrue(table.contains("2                        MaxPool2d            [1, 4, 4, 4]                    0"), table);
        assertTrue(table.contains("4                        Linear               [1, 10]                       650"), table);
        assertTrue(table.endsWith("input [1, 1, 8, 8], 690 parameters\n"), table);
        assertTrue(net.isTraining(), "summary restores the training mode");
        assertTrue(!net.get(0).hasForwardHooks(), "summary removes its hooks");
    }
}
