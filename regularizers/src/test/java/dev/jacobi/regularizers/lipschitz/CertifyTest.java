package dev.jacobi.regularizers.lipschitz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Sequential;
import org.junit.jupiter.api.Test;

class CertifyTest {
    @Test
    void marginsRadiiAndAccuracyOnAHandExample() {
        Tensor logits = Tensor.of(new double[] {3, 1, 0, 0, 2, 2.5, 1, 1, 0}, 3, 3);
        int[] labels = {0, 1, 0};
        assertArrayEquals(new double[] {2, -0.5, 0}, Certify.margins(logits, labels).toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {2 / (2 * Math.sqrt(2)), 0, 0},
                Certify.certifiedRadius(logits, labels, 2).toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {0.5, 0, 0},
                Certify.certifiedRadius(logits, labels, 2, Certify.Norm.LINF).toDoubleArray(), 1e-15);
        // margin 2 > √2·ε·2 holds for ε = 0.7 (1.98) but not 0.71 (2.008)
        assertArrayEquals(new double[] {1.0 / 3, 1.0 / 3, 0}, Certify.certifiedAccuracy(logits, labels, 2, 0, 0.7,
                0.71), 1e-15);
        assertArrayEquals(new double[] {1.0 / 3, 0}, Certify.certifiedAccuracy(logits, labels, 2, Certify.Norm.LINF,
                0.49, 0.5), 1e-15);
    }

    @Test
    void multiMarginLossUsesTheCertifyingMargin() {
        Var logits = Var.of(Tensor.of(new double[] {2, 0, 1}, 1, 3));
        MultiMarginLoss loss = new MultiMarginLoss(1, 1);
        assertEquals(Math.sqrt(2), loss.margin(), 1e-15);
        // hinge terms: j=1: max(0, √2 − 2) = 0, j=2: max(0, √2 − 1); divided by C = 3
        assertEquals((Math.sqrt(2) - 1) / 3, loss.forward(logits, new int[] {0}).item(), 1e-15);
        assertEquals(0, new MultiMarginLoss(0.5, 1).forward(logits, new int[] {0}).item(), 0);
        assertEquals(Math.sqrt(2) * 1.5 * 3, new MultiMarginLoss(1.5, 3).margin(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new MultiMarginLoss(-1, 1));
    }

    @Test
    void badInputsAreNamed() {
        Tensor logits = Tensor.zeros(DType.FLOAT64, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Certify.certifiedRadius(logits, new int[] {0, 1}, 0));
        assertTrue(e.getMessage().contains("Certify.certifiedRadius") && e.getMessage().contains("0.0"));
        e = assertThrows(IllegalArgumentException.class, () -> Certify.margins(logits, new int[] {0, 3}));
        assertTrue(e.getMessage().contains("label 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Certify.margins(logits, new int[] {0}));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        Tensor nan = Tensor.of(new double[] {0, Double.NaN}, 1, 2);
        assertThrows(IllegalArgumentException.class, () -> Certify.margins(nan, new int[] {0}));
        assertThrows(IllegalArgumentException.class, () -> Certify.certifiedAccuracy(logits, new int[] {0, 1}, 1, -1));
    }

    /**
     * Minimal PGD-ℓ2 on the margin: at each step the runner-up class {@code j*} is fixed, the gradient of
     * {@code f_{j*} − f_y} is normalised per example, a step of {@code 2.5·ε/steps} is taken and the perturbation is
     * projected back onto the ball {@code ‖δ‖ ≤ ε_i}. Returns the final margins.
     */
    static double[] pgdMargins(Layer net, Tensor x, int[] labels, double[] eps, int steps) {
        int n = labels.length;
        int d = x.numel() / n;
        double[] x0 = x.toDoubleArray();
        double[] delta = new double[x0.length];
        for (int s = 0; s <= steps; s++) {
            double[] cur = x0.clone();
            for (int i = 0; i < cur.length; i++) {
                cur[i] += delta[i];
            }
            Tensor xa = Tensor.of(cur, x.shape());
            if (s == steps) {
                try (var ignored = Autodiff.noGrad()) {
                    return Certify.margins(net.forward(xa).value(), labels).toDoubleArray();
                }
            }
            Tensor logits;
            try (var ignored = Autodiff.noGrad()) {
                logits = net.forward(xa).value();
            }
            int c = logits.shape()[1];
            int[] runnerUp = new int[n];
            for (int i = 0; i < n; i++) {
                double best = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) {
                    if (j != labels[i] && logits.get(i, j) > best) {
                        best = logits.get(i, j);
                        runnerUp[i] = j;
                    }
                }
            }
            double[] g = Autodiff.grad(v -> {
                Var f = net.forward(v);
                return f.gather(1, runnerUp).sub(f.gather(1, labels)).sum();
            }, xa).toDoubleArray();
            for (int i = 0; i < n; i++) {
                double gn = 0;
                for (int k = 0; k < d; k++) {
                    gn += g[i * d + k] * g[i * d + k];
                }
                gn = Math.sqrt(gn) + 1e-30;
                double dn = 0;
                for (int k = 0; k < d; k++) {
                    delta[i * d + k] += 2.5 * eps[i] / steps * g[i * d + k] / gn;
                    dn += delta[i * d + k] * delta[i * d + k];
                }
                double scale = Math.min(1, eps[i] / (Math.sqrt(dn) + 1e-30));
                for (int k = 0; k < d; k++) {
                    delta[i * d + k] *= scale;
                }
            }
        }
        throw new AssertionError("unreachable");
    }

    private static int[] predictions(Layer net, Tensor x) {
        try (var ignored = Autodiff.noGrad()) {
            return net.forward(x).value().argmax(1);
        }
    }

    private static double[] scaled(Tensor radius, double factor) {
        double[] r = radius.toDoubleArray();
        for (int i = 0; i < r.length; i++) {
            r[i] *= factor;
        }
        return r;
    }

    @Test
    void theRadiusIsTightForAnOrthonormalLinearModelSoPgdBreaksItJustBeyond() {
        Rng rng = new Rng(41);
        BjorckLinear net = new BjorckLinear(6, 3, rng);
        net.to(DType.FLOAT64);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 20, 6);
        int[] y = predictions(net, x);
        Tensor r;
        try (var ignored = Autodiff.noGrad()) {
            r = Certify.certifiedRadius(net.forward(x).value(), y, 1);
        }
        double[] inside = pgdMargins(net, x, y, scaled(r, 0.99), 30);
        double[] outside = pgdMargins(net, x, y, scaled(r, 1.02), 30);
        for (int i = 0; i < y.length; i++) {
            assertTrue(inside[i] > 0, "example " + i + " flipped inside its certified radius " + r.get(i));
            assertTrue(outside[i] < 0, "PGD failed to flip example " + i + " at 1.02x its exact radius");
        }
    }

    @Test
    void pgdNeverBreaksTheCertificateOfABcopMaxMinNetwork() {
        Rng rng = new Rng(42);
        Sequential net = new Sequential(new BcopConv2d(1, 4, 3, 1, rng), new MaxMin(), new BcopConv2d(4, 8, 2, 2, rng),
                new MaxMin(), new Flatten(), new BjorckLinear(8 * 3 * 3, 16, rng), new MaxMin(),
                new BjorckLinear(16, 4, rng));
        net.to(DType.FLOAT64);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 12, 1, 6, 6);
        int[] y = predictions(net, x);
        Tensor logits;
        try (var ignored = Autodiff.noGrad()) {
            logits = net.forward(x).value();
        }
        Tensor r = Certify.certifiedRadius(logits, y, 1);
        double[] before = Certify.margins(logits, y).toDoubleArray();
        double[] eps = scaled(r, 0.99);
        double[] after = pgdMargins(net, x, y, eps, 20);
        double drop = 0;
        for (int i = 0; i < y.length; i++) {
            assertTrue(r.get(i) > 0);
            assertTrue(after[i] > 0, "example " + i + " flipped inside its certified radius " + r.get(i));
            drop += (before[i] - after[i]) / (Math.sqrt(2) * eps[i]);
        }
        // the attack is not idle: it uses a good part of the margin budget √2·ε the certificate allows
        assertTrue(drop / y.length > 0.3, "mean margin drop fraction " + drop / y.length);
    }
}
