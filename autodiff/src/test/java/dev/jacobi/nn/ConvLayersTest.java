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
import org.junit.jupiter.api.Test;

class ConvLayersTest {
    @Test
    void conv2dMatchesADirectLoopAndHasPyTorchNames() {
        Rng rng = new Rng(1);
        Conv2d conv = new Conv2d(2, 3, 3, 1, 1, rng);
        assertEquals("[weight, bias]", conv.namedParameters().keySet().toString());
        assertArrayEquals(new int[] {3, 2, 3, 3}, conv.weight().shape());
        double bound = 1 / Math.sqrt(2 * 9);
        assertTrue(conv.weight().value().abs().max().item() <= bound);
        Tensor x = Tensor.randn(rng, 1, 2, 4, 5);
        Tensor y = conv.forward(x).value();
        Tensor w = conv.weight().value();
        Tensor b = conv.bias().value();
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 5; j++) {
                    double acc = b.get(o);
                    for (int c = 0; c < 2; c++) {
                        for (int a = 0; a < 3; a++) {
                            for (int d = 0; d < 3; d++) {
                                int ii = i + a - 1;
                                int jj = j + d - 1;
                                if (ii >= 0 && ii < 4 && jj >= 0 && jj < 5) {
                                    acc += w.get(o, c, a, d) * x.get(0, c, ii, jj);
                                }
                            }
                        }
                    }
                    assertEquals(acc, y.get(0, o, i, j), 1e-5);
                }
            }
        }
        assertTrue(conv.toString().contains("Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"),
                conv.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conv.forward(Tensor.zeros(1, 3, 4, 4)));
        assertTrue(e.getMessage().contains("Conv2d(2 -> 3, 3x3)") && e.getMessage().contains("[1, 3, 4, 4]"),
                e.getMessage());
    }

    @Test
    void poolingLayers() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1, 1, 4, 4);
        assertArrayEquals(new float[] {6, 8, 14, 16}, new MaxPool2d(2).forward(x).value().toFloatArray());
        assertArrayEquals(new float[] {3.5f, 5.5f, 11.5f, 13.5f}, new AvgPool2d(2).forward(x).value().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> new MaxPool2d(2).forward(Tensor.zeros(4, 4)));
    }

    @Test
    void smallCnnGradientsCheckToOrderTwo() {
        Rng rng = new Rng(2);
        Sequential net = (Sequential) new Sequential(new Conv2d(1, 2, 3, Conv2dSpec.of(1, 1), true, rng), new Softplus(),
                new AvgPool2d(2), new Flatten(), new Linear(8, 3, rng)).to(DType.FLOAT64);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 2, 1, 4, 4);
        double err = GradCheck.check("cnn input", v -> Losses.crossEntropy(net.forward(v), new int[] {0, 2}), x, 2, 1e-6);
        assertTrue(err < 1e-6);
    }

    @Test
    void reluThenMaxPoolInASequentialGivesTheSameValuesAndGradientsAsOneByOne() {
        Rng rng = new Rng(3);
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Sequential net = (Sequential) new Sequential(new Conv2d(1, 3, 3, 1, 1, rng), new ReLU(), new MaxPool2d(2),
                    new Flatten(), new Linear(12, 2, rng)).to(dt);
            // ties, zeros, all-negative windows and a NaN
            float[] vals = {-1, 0, 0, 2, 2, -3};
            float[] xs = new float[2 * 16];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = vals[rng.nextInt(vals.length)];
            }
            xs[21] = Float.NaN;
            Tensor x = Tensor.of(xs, 2, 1, 4, 4).to(dt);
            java.util.function.Function<Var, Var> oneByOne = v -> {
                for (Layer m : net) {
                    v = m.forward(v);
                }
                return v;
            };
            Var xv = Var.param(x);
            Var fused = net.forward(xv);
            Var plain = oneByOne.apply(xv);
            assertArrayEquals(plain.value().toDoubleArray(), fused.value().toDoubleArray(), 0);
            Tensor c = Tensor.randn(rng, dt, 2, 2);
            Var wFused = Var.of(c);
            var gFused = dev.jacobi.autodiff.Autodiff.grad(fused, java.util.List.of(xv), wFused, true).get(0);
            var gPlain = dev.jacobi.autodiff.Autodiff.grad(plain, java.util.List.of(xv), wFused, true).get(0);
            assertArrayEquals(gPlain.value().toDoubleArray(), gFused.value().toDoubleArray(), 0);
            assertTrue(gPlain.value().abs().sum().item() > 0, "a non-zero input gradient");
            // and the second derivative along a direction (the conv's weight gradient of the squared input gradient)
            Var w0 = net.get(0).namedParameters().get("weight").var();
            Tensor h1 = dev.jacobi.autodiff.Autodiff.grad(gFused.square().sum(), java.util.List.of(w0), null, false)
                    .get(0).value();
            Tensor h2 = dev.jacobi.autodiff.Autodiff.grad(gPlain.square().sum(), java.util.List.of(w0), null, false)
                    .get(0).value();
            assertArrayEquals(h2.toDoubleArray(), h1.toDoubleArray(), 0);
        }
    }
}
