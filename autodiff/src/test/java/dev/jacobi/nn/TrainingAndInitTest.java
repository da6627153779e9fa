package dev.jacobi.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.optim.CosineAnnealingLR;
import dev.jacobi.optim.Optimizers;
import dev.jacobi.optim.SGD;
import org.junit.jupiter.api.Test;

class TrainingAndInitTest {
    @Test
    void tinyMlpLearnsXorQuadrantsWithSgd() {
        Rng r = new Rng(21);
        int n = 256;
        float[] xs = new float[n * 2];
        int[] ys = new int[n];
        for (int i = 0; i < n; i++) {
            float a = (float) (r.nextDouble() * 2 - 1);
            float b = (float) (r.nextDouble() * 2 - 1);
            xs[2 * i] = a;
            xs[2 * i + 1] = b;
            ys[i] = a * b > 0 ? 1 : 0; // not linearly separable: needs the hidden layer
        }
        Tensor x = Tensor.of(xs, n, 2);
        Sequential mlp = new Sequential(new Linear(2, 32, true, r), new ReLU(), new Linear(32, 2, true, r));
        SGD opt = new SGD(mlp.parameters(), 0.2, 0.9, 0, 1e-4, false);
        CosineAnnealingLR sched = new CosineAnnealingLR(opt, 300, 0.01);
        double first = 0;
        double last = 0;
        for (int epoch = 0; epoch < 300; epoch++) {
            opt.zeroGrad();
            Var loss = Losses.crossEntropy(mlp.forward(x), ys);
            loss.backward();
            Optimizers.clipGradNorm(mlp.parameters(), 5);
            opt.step();
            sched.step();
            if (epoch == 0) {
                first = loss.item();
            }
            last = loss.item();
        }
        mlp.eval();
        int[] pred;
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            pred = mlp.forward(x).value().argmax(1);
        }
        int correct = 0;
        for (int i = 0; i < n; i++) {
            correct += pred[i] == ys[i] ? 1 : 0;
        }
        assertTrue(correct >= 0.95 * n, "accuracy " + correct + "/" + n + ", loss " + first + " -> " + last);
        assertTrue(last < 0.3 * first, "loss " + first + " -> " + last);
    }

    private static double[] moments(Tensor t) {
        double[] v = t.toDoubleArray();
        double s = 0;
        double sq = 0;
        double max = 0;
        for (double e : v) {
            s += e;
            sq += e * e;
            max = Math.max(max, Math.abs(e));
        }
        double mean = s / v.length;
        return new double[] {mean, Math.sqrt(sq / v.length - mean * mean), max};
    }

    @Test
    void initialisersHaveThePublishedScales() {
        Rng r = new Rng(22);
        int[] conv = {64, 32, 3, 3};
        assertArrayEquals(new int[] {288, 576}, Init.fans(conv));
        // Kaiming uniform, defaults: bound √(6/fan_in), std bound/√3
        double bound = Math.sqrt(6.0 / 288);
        double[] m = moments(Init.kaimingUniform(r, conv));
        assertTrue(m[2] <= bound && m[2] > 0.99 * bound);
        assertEquals(bound / Math.sqrt(3), m[1], 0.02 * m[1]);
        // Kaiming normal, relu, fan_out: std √2/√576
        m = moments(Init.kaimingNormal(r, conv, 0, Init.FanMode.FAN_OUT, Init.Nonlinearity.RELU));
        assertEquals(Math.sqrt(2.0 / 576), m[1], 0.02 * m[1]);
        assertEquals(0, m[0], 0.02 * m[1]);
        // Xavier uniform with tanh gain: bound 5/3·√(6/(fan_in + fan_out))
        double xb = 5.0 / 3 * Math.sqrt(6.0 / (288 + 576));
        m = moments(Init.xavierUniform(r, conv, Init.Nonlinearity.TANH.gain(0)));
        assertTrue(m[2] <= xb && m[2] > 0.99 * xb);
        m = moments(Init.xavierNormal(r, conv, 2));
        assertEquals(2 * Math.sqrt(2.0 / 864), m[1], 0.02 * m[1]);
        assertEquals(Math.sqrt(2 / 1.01), Init.Nonlinearity.LEAKY_RELU.gain(0.1), 1e-15);
    }

    @Test
    void orthogonalRowsOrColumnsAreOrthonormalTimesGain() {
        Rng r = new Rng(23);
        for (int[] shape : new int[][] {{6, 3}, {3, 8}, {4, 2, 2}}) {
            Tensor w = Init.orthogonal(r, shape, 1.5).to(DType.FLOAT64);
            assertArrayEquals(shape, w.shape());
            Tensor mat = w.reshape(shape[0], -1);
            boolean wide = mat.shape()[0] <= mat.shape()[1];
            Tensor gram = wide ? mat.matmul(mat.t()) : mat.t().matmul(mat);
            int k = gram.shape()[0];
            assertTrue(gram.allClose(Tensor.eye(DType.FLOAT64, k).mul(2.25), 1e-5, 1e-5), gram.toString());
        }
    }
}
