package dev.jacobi.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class LossesTest {
    private static final int N = 4;
    private static final int C = 5;
    private static final int[] LABELS = {2, 0, 4, 2};

    private static Tensor logits(long seed) {
        return Tensor.randn(new Rng(seed), DType.FLOAT64, N, C).mul(2);
    }

    /** {@code log softmax} of row {@code i} by the textbook formula. */
    private static double[] logSoftmaxRow(double[] x, int i) {
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < C; c++) {
            m = Math.max(m, x[i * C + c]);
        }
        double s = 0;
        for (int c = 0; c < C; c++) {
            s += Math.exp(x[i * C + c] - m);
        }
        double[] out = new double[C];
        for (int c = 0; c < C; c++) {
            out[c] = x[i * C + c] - m - Math.log(s);
        }
        return out;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double e : v) {
            s += e;
        }
        return s / v.length;
    }

    @Test
    void crossEntropyWithAndWithoutLabelSmoothingMatchesTheFormula() {
        Tensor x = logits(1);
        double[] xs = x.toDoubleArray();
        for (double eps : new double[] {0, 0.1, 0.3}) {
            // the target distribution q = (1-ε)·onehot(y) + ε/C, loss = -Σ_c q_c log p_c
            double[] per = new double[N];
            for (int i = 0; i < N; i++) {
                double[] lp = logSoftmaxRow(xs, i);
                for (int c = 0; c < C; c++) {
                    double q = (c == LABELS[i] ? 1 - eps : 0) + eps / C;
                    per[i] -= q * lp[c];
                }
            }
            Var none = Losses.crossEntropy(Var.of(x), LABELS, Reduction.NONE, eps);
            assertArrayEquals(new int[] {N}, none.shape());
            assertArrayEquals(per, none.value().toDoubleArray(), 1e-12);
            assertEquals(mean(per), Losses.crossEntropy(Var.of(x), LABELS, Reduction.MEAN, eps).item(), 1e-12);
            assertEquals(mean(per) * N, Losses.crossEntropy(Var.of(x), LABELS, Reduction.SUM, eps).item(), 1e-12);
        }
        assertEquals(Losses.crossEntropy(Var.of(x), LABELS, Reduction.MEAN, 0).item(),
                Losses.crossEntropy(Var.of(x), LABELS).item());
        // nll on log-probabilities gives the same as cross-entropy on logits
        double[] nll = new double[N];
        for (int i = 0; i < N; i++) {
            nll[i] = -logSoftmaxRow(xs, i)[LABELS[i]];
        }
        assertArrayEquals(nll, Losses.nll(Var.of(x).logSoftmax(1), LABELS, Reduction.NONE).value().toDoubleArray(),
                1e-12);
        assertEquals(mean(nll), Losses.nll(Var.of(x).logSoftmax(1), LABELS).item(), 1e-12);
        // float32 works too
        assertEquals(mean(nll), Losses.crossEntropy(Var.of(x.to(DType.FLOAT32)), LABELS).item(), 1e-5);
    }

    @Test
    void mseAndBceWithLogitsMatchTheFormulas() {
        Rng r = new Rng(2);
        Tensor p = Tensor.randn(r, DType.FLOAT64, 3, 4);
        Tensor t = Tensor.randn(r, DType.FLOAT64, 3, 4);
        double[] ps = p.toDoubleArray();
        double[] ts = t.toDoubleArray();
        double[] sq = new double[12];
        for (int i = 0; i < 12; i++) {
            sq[i] = (ps[i] - ts[i]) * (ps[i] - ts[i]);
        }
        assertArrayEquals(sq, Losses.mse(Var.of(p), t, Reduction.NONE).value().toDoubleArray(), 1e-12);
        assertEquals(mean(sq), Losses.mse(Var.of(p), t, Reduction.MEAN).item(), 1e-12);
        Tensor prob = Tensor.rand(r, DType.FLOAT64, 3, 4);
        double[] qs = prob.toDoubleArray();
        double[] bce = new double[12];
        for (int i = 0; i < 12; i++) {
            double s = 1 / (1 + Math.exp(-ps[i]));
            bce[i] = -(qs[i] * Math.log(s) + (1 - qs[i]) * Math.log(1 - s));
        }
        assertArrayEquals(bce, Losses.bceWithLogits(Var.of(p), prob, Reduction.NONE).value().toDoubleArray(), 1e-12);
        assertEquals(mean(bce) * 12, Losses.bceWithLogits(Var.of(p), prob, Reduction.SUM).item(), 1e-11);
        // stable at extreme logits: loss(±100, target 1) = 0 or 100, finite
        Tensor ext = Tensor.of(new double[] {100, -100}, 2);
        assertArrayEquals(new double[] {0, 100}, Losses.bceWithLogits(Var.of(ext), Tensor.ones(DType.FLOAT64, 2),
                Reduction.NONE).value().toDoubleArray(), 1e-12);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Losses.mse(Var.of(p), Tensor.zeros(DType.FLOAT64, 4),
                Reduction.MEAN)).getMessage().contains("mse: input [3, 4] and target [4] differ in shape"));
    }

    @Test
    void multiMarginLossMatchesTheFormula() {
        Tensor x = logits(3);
        double[] xs = x.toDoubleArray();
        double margin = 0.7;
        double[] per = new double[N];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < C; j++) {
                if (j != LABELS[i]) {
                    per[i] += Math.max(0, margin - xs[i * C + LABELS[i]] + xs[i * C + j]) / C;
                }
            }
        }
        assertArrayEquals(per, Losses.multiMarginLoss(Var.of(x), LABELS, margin, Reduction.NONE).value()
                .toDoubleArray(), 1e-12);
        assertEquals(mean(per), Losses.multiMarginLoss(Var.of(x), LABELS, margin, Reduction.MEAN).item(), 1e-12);
        // gradient of the row sum: +1/C for each active j, and -(#active)/C at the label
        Var xv = Var.param(x);
        Losses.multiMarginLoss(xv, LABELS, margin, Reduction.SUM).backward();
        double[] g = xv.grad().toDoubleArray();
        for (int i = 0; i < N; i++) {
            int active = 0;
            for (int j = 0; j < C; j++) {
                if (j != LABELS[i] && margin - xs[i * C + LABELS[i]] + xs[i * C + j] > 0) {
                    active++;
                    assertEquals(1.0 / C, g[i * C + j], 1e-12);
                }
            }
            assertEquals(-(double) active / C, g[i * C + LABELS[i]], 1e-12);
        }
    }

    @Test
    void labelAndShapeErrorsNameTheLossAndValues() {
        Var x = Var.of(logits(4));
        assertEquals("crossEntropy: label 5 at position 1 is outside [0, 5)", assertThrows(
                IllegalArgumentException.class, () -> Losses.crossEntropy(x, new int[] {0, 5, 1, 1})).getMessage());
        assertEquals("nll: 3 labels for input [4, 5] with N = 4", assertThrows(IllegalArgumentException.class,
                () -> Losses.nll(x, new int[] {0, 1, 1})).getMessage());
        assertEquals("multiMarginLoss: expected input [N, C], got [20]", assertThrows(IllegalArgumentException.class,
                () -> Losses.multiMarginLoss(x.reshape(20), LABELS, 1, Reduction.MEAN)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Losses.crossEntropy(x, LABELS, Reduction.MEAN, 1.5));
    }

    @Test
    void lossesPassTheGradientCheck() {
        Tensor x = logits(5);
        Rng r = new Rng(6);
        GradCheck.check("crossEntropy", v -> Losses.crossEntropy(v, LABELS), x, 3, 1e-6);
        GradCheck.check("crossEntropySmoothedNone", v -> Losses.crossEntropy(v, LABELS, Reduction.NONE, 0.2), x, 3,
                1e-6);
        GradCheck.check("nll", v -> Losses.nll(v.logSoftmax(1), LABELS, Reduction.SUM), x, 2, 1e-6);
        Tensor t = Tensor.randn(r, DType.FLOAT64, N, C);
        GradCheck.check("mse", xs -> Losses.mse(xs.get(0), xs.get(1), Reduction.MEAN), List.of(x, t), 2, 1e-6, 7);
        Tensor prob = Tensor.rand(r, DType.FLOAT64, N, C);
        GradCheck.check("bceWithLogits", xs -> Losses.bceWithLogits(xs.get(0), xs.get(1), Reduction.NONE),
                List.of(x.add(x.sign().mul(0.2)), prob), 2, 1e-6, 8);
        GradCheck.check("multiMarginLoss", v -> Losses.multiMarginLoss(v, LABELS, 1, Reduction.MEAN), x, 2, 1e-6);
    }
}
