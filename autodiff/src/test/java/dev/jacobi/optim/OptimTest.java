package dev.jacobi.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Parameter;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class OptimTest {
    private static final double[] A = {1.0, 2.0, 0.5};
    private static final double[] B = {0.3, -1.0, 2.0};
    private static final double[] X0 = {1.0, -0.5, 2.0};
    private static final int STEPS = 4;

    /** Loss {@code Σ a_i x_i²/2 + b_i x_i}, whose gradient is {@code a·x + b}. */
    private static void backward(Parameter p) {
        Tensor a = Tensor.of(A, 3).to(p.dtype());
        Tensor b = Tensor.of(B, 3).to(p.dtype());
        p.var().square().mul(a).mul(0.5).add(p.var().mul(b)).sum().backward();
    }

    private static double grad(double[] x, int i) {
        return A[i] * x[i] + B[i];
    }

    /** Runs the optimiser for STEPS steps and compares with {@code reference}, one scalar update per element. */
    private static void check(Function<List<Parameter>, Optimizer> make, Reference reference, DType dtype, double tol) {
        Parameter p = new Parameter(Tensor.of(X0, 3).to(dtype));
        Optimizer opt = make.apply(List.of(p));
        double[] x = X0.clone();
        double[][] state = new double[3][3];
        for (int t = 1; t <= STEPS; t++) {
            opt.zeroGrad();
            backward(p);
            opt.step();
            for (int i = 0; i < 3; i++) {
                x[i] = reference.update(x[i], grad(x, i), state[i], t);
            }
            assertArrayEquals(x, p.value().toDoubleArray(), tol, "step " + t);
            assertEquals(dtype, p.dtype());
        }
    }

    /** One element's update at step {@code t} given its gradient and mutable state. */
    interface Reference {
        double update(double x, double g, double[] s, int t);
    }

    private static Reference sgd(double lr, double mu, double tau, double wd, boolean nesterov) {
        return (x, g, s, t) -> {
            double d = g + wd * x;
            if (mu != 0) {
                s[0] = t == 1 ? d : mu * s[0] + (1 - tau) * d;
                d = nesterov ? d + mu * s[0] : s[0];
            }
            return x - lr * d;
        };
    }

    @Test
    void sgdFollowsPyTorchsUpdate() {
        for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            double tol = dt == DType.FLOAT64 ? 1e-12 : 1e-5;
            check(ps -> new SGD(ps, 0.1), sgd(0.1, 0, 0, 0, false), dt, tol);
            check(ps -> new SGD(ps, 0.1, 0.9, 0.2, 0.05, false), sgd(0.1, 0.9, 0.2, 0.05, false), dt, tol);
            check(ps -> new SGD(ps, 0.05, 0.8, 0, 0.01, true), sgd(0.05, 0.8, 0, 0.01, true), dt, tol);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(new Parameter(Tensor.zeros(1))),
                0.1, 0, 0, 0, true)).getMessage().contains("Nesterov momentum requires momentum > 0"));
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(new Parameter(Tensor.zeros(1))), -1));
    }

    private static Reference adam(double lr, double b1, double b2, double eps, double wd, boolean decoupled) {
        return (x, g, s, t) -> {
            if (decoupled) {
                x *= 1 - lr * wd;
            } else {
                g += wd * x;
            }
            s[0] = b1 * s[0] + (1 - b1) * g;
            s[1] = b2 * s[1] + (1 - b2) * g * g;
            double mHat = s[0] / (1 - Math.pow(b1, t));
            double vHat = s[1] / (1 - Math.pow(b2, t));
            return x - lr * mHat / (Math.sqrt(vHat) + eps);
        };
    }

    @Test
    void adamAndAdamWFollowThePublishedUpdates() {
        for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            double tol = dt == DType.FLOAT64 ? 1e-12 : 1e-5;
            check(ps -> new Adam(ps, 0.1), adam(0.1, 0.9, 0.999, 1e-8, 0, false), dt, tol);
            check(ps -> new Adam(ps, 0.05, 0.8, 0.99, 1e-6, 0.1), adam(0.05, 0.8, 0.99, 1e-6, 0.1, false), dt, tol);
            check(ps -> new AdamW(ps, 0.05, 0.8, 0.99, 1e-6, 0.1), adam(0.05, 0.8, 0.99, 1e-6, 0.1, true), dt, tol);
        }
        check(AdamW::new, adam(1e-3, 0.9, 0.999, 1e-8, 0.01, true), DType.FLOAT64, 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(new Parameter(Tensor.zeros(1))), 0.1, 1,
                0.9, 1e-8, 0));
    }

    @Test
    void parametersWithoutGradientsAreSkipped() {
        Parameter p = new Parameter(Tensor.of(X0, 3));
        Parameter q = new Parameter(Tensor.of(X0, 3));
        Optimizer opt = new Adam(List.of(p, q), 0.1);
        backward(p);
        opt.step();
        assertArrayEquals(X0, q.value().toDoubleArray());
        assertTrue(opt.stateDict().keySet().stream().noneMatch(k -> k.startsWith("state.1.")));
        opt.zeroGrad();
        assertNull(p.grad());
    }

    @Test
    void stateDictRestoresTrainingExactly() {
        Parameter p = new Parameter(Tensor.of(X0, 3));
        Optimizer opt = new SGD(List.of(p), 0.1, 0.9, 0, 0, true);
        Parameter pa = new Parameter(Tensor.of(X0, 3));
        Optimizer adam = new Adam(List.of(pa), 0.1);
        for (int t = 0; t < 2; t++) {
            opt.zeroGrad();
            backward(p);
            opt.step();
            adam.zeroGrad();
            backward(pa);
            adam.step();
        }
        Map<String, Tensor> sd = opt.stateDict();
        assertEquals(List.of("state.0.momentum_buffer", "param_groups.0.lr"), List.copyOf(sd.keySet()));
        assertEquals(List.of("state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step", "param_groups.0.lr"),
                List.copyOf(adam.stateDict().keySet()));
        assertEquals(2, adam.stateDict().get("state.0.step").item());
        for (boolean isAdam : new boolean[] {false, true}) {
            Parameter src = isAdam ? pa : p;
            Optimizer from = isAdam ? adam : opt;
            Parameter copy = new Parameter(src.value());
            Optimizer resumed = isAdam ? new Adam(List.of(copy), 0.5) : new SGD(List.of(copy), 0.5, 0.9, 0, 0, true);
            resumed.loadStateDict(from.stateDict());
            assertEquals(0.1, resumed.lr());
            for (Parameter x : List.of(src, copy)) {
                backward(x);
            }
            from.step();
            resumed.step();
            assertArrayEquals(src.value().toDoubleArray(), copy.value().toDoubleArray(), 0);
        }
        Map<String, Tensor> bad = Map.of("state.0.momentum_buffer", Tensor.zeros(DType.FLOAT64, 4),
                "state.3.momentum_buffer", Tensor.zeros(DType.FLOAT64, 3), "state.0.exp_avg", Tensor.zeros(3));
        String msg = assertThrows(IllegalArgumentException.class, () -> opt.loadStateDict(bad)).getMessage();
        assertTrue(msg.contains("size mismatch for state.0.momentum_buffer: checkpoint [4] vs parameter [3]"), msg);
        assertTrue(msg.contains("unexpected key state.3.momentum_buffer"), msg);
        assertTrue(msg.contains("unexpected key state.0.exp_avg"), msg);
    }

    @Test
    void parameterGroupsHaveTheirOwnLrAndWeightDecayAndSchedules() {
        Parameter w = new Parameter(Tensor.of(new double[] {1, 2}, 2));
        Parameter b = new Parameter(Tensor.of(new double[] {1}, 1));
        SGD opt = new SGD(List.of(w), 0.1, 0, 0, 0.5, false);
        opt.addParamGroup(List.of(b), 0.01, 0);
        w.setGrad(Tensor.of(new double[] {1, 1}, 2));
        b.setGrad(Tensor.of(new double[] {1}, 1));
        opt.step();
        // w: θ − 0.1·(g + 0.5·θ); b: θ − 0.01·g, no decay
        assertArrayEquals(new double[] {1 - 0.1 * 1.5, 2 - 0.1 * 2}, w.value().toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {1 - 0.01}, b.value().toDoubleArray(), 1e-15);
        assertEquals(List.of(w, b), opt.parameters());
        Map<String, Tensor> sd = opt.stateDict();
        assertEquals(0.01, sd.get("param_groups.1.lr").item());
        LRScheduler s = new StepLR(opt, 1, 0.5);
        s.step();
        assertEquals(0.05, opt.paramGroups().get(0).lr(), 1e-15);
        assertEquals(0.005, opt.paramGroups().get(1).lr(), 1e-15);
        opt.loadStateDict(sd);
        assertEquals(0.01, opt.paramGroups().get(1).lr(), 1e-15, "the group's lr comes back from the state dict");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> opt.addParamGroup(List.of(w), 0.1, Double.NaN));
        assertTrue(e.getMessage().contains("appears twice"), e.getMessage());
        opt.addParamGroup(List.of(new Parameter(Tensor.zeros(1))), 0.1, Double.NaN);
        IllegalStateException late = assertThrows(IllegalStateException.class, s::step);
        assertTrue(late.getMessage().contains("add groups before making the schedule"), late.getMessage());
    }

    private static double[] lrs(Function<Optimizer, LRScheduler> make, int epochs) {
        Optimizer opt = new SGD(List.of(new Parameter(Tensor.zeros(1))), 1.0);
        LRScheduler s = make.apply(opt);
        double[] out = new double[epochs];
        for (int e = 0; e < epochs; e++) {
            out[e] = opt.lr();
            s.step();
        }
        assertEquals(opt.lr(), s.lastLr());
        assertEquals(epochs, s.lastEpoch());
        return out;
    }

    @Test
    void schedulesGiveTheDocumentedSequences() {
        assertArrayEquals(new double[] {1, 1, 1, 0.1, 0.1, 0.1, 0.01}, lrs(o -> new StepLR(o, 3, 0.1), 7), 1e-15);
        assertArrayEquals(new double[] {1, 0.5, 0.25, 0.125}, lrs(o -> new ExponentialLR(o, 0.5), 4), 1e-15);
        double r = Math.sqrt(0.5);
        // T_max = 4, η_min = 0.1: 0.1 + 0.9·(1 + cos(πe/4))/2
        assertArrayEquals(new double[] {1, 0.1 + 0.9 * (1 + r) / 2, 0.55, 0.1 + 0.9 * (1 - r) / 2, 0.1,
            0.1 + 0.9 * (1 - r) / 2}, lrs(o -> new CosineAnnealingLR(o, 4, 0.1), 6), 1e-15);
        // warm-up and one-cycle: PyTorch 1.13's sequences (LinearLR(0.1, 1.0, 4) from lr 1 is 0.5's times 2;
        // OneCycleLR(max_lr 1, total_steps 10) whatever the optimiser's lr)
        assertArrayEquals(new double[] {0.1, 0.325, 0.55, 0.775, 1, 1, 1},
                lrs(o -> new LinearLR(o, 0.1, 1.0, 4), 7), 1e-15);
        assertArrayEquals(new double[] {0.040000000000000036, 0.52, 1.0, 0.9504846320134737, 0.8117456539497631,
            0.6112620219362893, 0.38874197806371075, 0.18825834605023697, 0.049519367986526286, 4e-06},
                lrs(o -> new OneCycleLR(o, 1.0, 10), 10), 1e-12);
        assertThrows(IllegalStateException.class, () -> lrs(o -> new OneCycleLR(o, 1.0, 10), 12));
        Optimizer opt = new SGD(List.of(new Parameter(Tensor.zeros(1))), 2.0);
        LRScheduler s = new StepLR(opt, 2, 0.5);
        s.setLastEpoch(5);
        assertEquals(0.5, opt.lr());
    }

    @Test
    void clipGradNormScalesToTheMaximum() {
        Parameter a = new Parameter(Tensor.of(new double[] {1, 1}, 2));
        Parameter b = new Parameter(Tensor.of(new float[] {1}, 1));
        Parameter none = new Parameter(Tensor.of(new double[] {1}, 1));
        a.setGrad(Tensor.of(new double[] {3, 4}, 2));
        b.setGrad(Tensor.of(new float[] {12}, 1));
        assertEquals(13, Optimizers.clipGradNorm(List.of(a, b, none), 100), 1e-12);
        assertArrayEquals(new double[] {3, 4}, a.grad().toDoubleArray(), 0, "below the maximum: unchanged");
        assertEquals(13, Optimizers.clipGradNorm(List.of(a, b, none), 6.5), 1e-12);
        double k = 6.5 / (13 + 1e-6);
        assertArrayEquals(new double[] {3 * k, 4 * k}, a.grad().toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {12 * k}, b.grad().toDoubleArray(), 1e-5);
        assertEquals(DType.FLOAT32, b.grad().dtype());
        assertNull(none.grad());
        assertThrows(IllegalArgumentException.class, () -> a.setGrad(Tensor.zeros(DType.FLOAT64, 3)));
    }
}
