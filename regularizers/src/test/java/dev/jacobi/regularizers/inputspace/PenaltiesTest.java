package dev.jacobi.regularizers.inputspace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;
import dev.jacobi.nn.Losses;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Reduction;
import dev.jacobi.regularizers.Nets;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class PenaltiesTest {
    private static final Rng R = new Rng(0);

    /** GradCheck of {@code θ ↦ penalty(net_θ)} to first order in the parameters. */
    private static void check(String name, boolean smooth, Tensor x, BiFunction<Layer, Tensor, Var> penalty) {
        List<Tensor> p = Nets.params(new Rng(11), x.numel() / x.shape()[0], 5, 3);
        Nets.VarNet net = new Nets.VarNet(Nets.leaves(p), smooth);
        GradCheck.check(name, vs -> {
            net.p = vs;
            return penalty.apply(net, x);
        }, p, 1, 1e-5, 3);
    }

    private static Tensor x64(long seed, int... shape) {
        return Tensor.rand(new Rng(seed), DType.FLOAT64, shape);
    }

    @Test
    void gradientPenaltiesPassGradCheck() {
        Tensor x = x64(1, 6, 4);
        int[] y = Nets.labels(new Rng(2), 6, 3);
        for (GradientPenalty.Kind k : GradientPenalty.Kind.values()) {
            GradientPenalty gp = new GradientPenalty(k);
            check(gp.name(), true, x, (m, xx) -> gp.penalty(m, xx, y, 3));
        }
    }

    @Test
    void gradL2IsTheMeanSquaredInputGradient() {
        Tensor x = x64(3, 5, 4);
        int[] y = Nets.labels(new Rng(4), 5, 3);
        Nets.VarNet net = new Nets.VarNet(Nets.leaves(Nets.params(new Rng(5), 4, 5, 3)), true);
        double expected = 0;
        for (int i = 0; i < 5; i++) {
            int yi = y[i];
            Tensor g = Autodiff.grad(v -> Losses.crossEntropy(net.forward(v), new int[] {yi}), x.narrow(0, i, 1));
            expected += g.square().sum().item() / 5;
        }
        assertEquals(expected, new GradientPenalty(GradientPenalty.Kind.GRAD_L2).penalty(net, x, y, 0).item(), 1e-12);
        double sup = 0;
        for (int k = 0; k < 3; k++) {
            double best = 0;
            for (int i = 0; i < 5; i++) {
                int kk = k;
                Tensor g = Autodiff.grad(v -> net.forward(v).narrow(1, kk, 1).sum(), x.narrow(0, i, 1));
                best = Math.max(best, g.square().sum().item());
            }
            sup += best;
        }
        assertEquals(sup, new GradientPenalty(GradientPenalty.Kind.SUP_CLASS).penalty(net, x, y, 0).item(), 1e-12);
    }

    @Test
    void adversarialAndDeformationPenaltiesPassGradCheck() {
        Tensor x = x64(6, 4, 1, 4, 5);
        Nets.VarNet net = new Nets.VarNet(Nets.leaves(Nets.params(new Rng(11), 20, 5, 3)), true);
        AdversarialPenalty ap = new AdversarialPenalty(0.3);
        ClassAscent.Selection s = ap.search(net, x);
        assertTrue(InputGrads.rowNorms(s.theta(), 2).max().item() <= 0.3 * (1 + 1e-12), "left the ball");
        assertTrue(ap.penalty(net, x).item() > 0);
        check("adversarial", true, x, (m, xx) -> ClassAscent.penaltyAt(m, s, Var::add));
        Tensor basis = DeformationPenalty.basis(4, 5, 2).to(DType.FLOAT64);
        BiFunction<Var, Var, Var> warp = (xs, th) -> DeformationPenalty.warp(xs,
                DeformationPenalty.displacement(th, basis, 4, 5));
        ClassAscent.Selection sd = ClassAscent.search("deformation", net, x, 0.5, 5, 0.15, new int[] {2, 4}, warp);
        check("deformation", true, x, (m, xx) -> ClassAscent.penaltyAt(m, sd, warp));
        assertTrue(new DeformationPenalty(0.5, 2, 5).penalty(net, x).item() > 0);
    }

    @Test
    void warpWithZeroDisplacementIsTheIdentityAndShiftsByWholePixels() {
        Tensor x = Tensor.randn(new Rng(7), 2, 3, 5, 6);
        Var tau = Var.of(Tensor.zeros(2, 5, 6, 2));
        assertTrue(DeformationPenalty.warp(Var.of(x), tau).value().allClose(x, 0, 1e-6));
        double[] shift = new double[2 * 5 * 6 * 2];
        for (int i = 0; i < shift.length; i += 2) {
            shift[i] = 1;
        }
        Tensor shifted = DeformationPenalty.warp(Var.of(x), Var.of(Tensor.of(shift, 2, 5, 6, 2).to(DType.FLOAT32)))
                .value();
        assertTrue(shifted.narrow(3, 1, 5).allClose(x.narrow(3, 0, 5), 0, 1e-5), "x(u - 1) is x shifted right");
        assertEquals(0, shifted.narrow(3, 0, 1).abs().max().item(), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> DeformationPenalty.warp(Var.of(x), Var.of(Tensor.zeros(2, 5,
                6, 3))));
    }

    @Test
    void hessianPowerIterationMatchesTheTopEigenvalue() {
        Tensor x = x64(8, 4, 5).mul(2);
        int[] y = Nets.labels(new Rng(9), 4, 3);
        Nets.VarNet net = new Nets.VarNet(Nets.leaves(Nets.params(new Rng(10), 5, 6, 3)), true);
        HessianNormPenalty hp = new HessianNormPenalty(200, 4, HessianNormPenalty.Mode.EXACT);
        double[] est = hp.eigenvalues(net, x, y).toDoubleArray();
        for (int i = 0; i < 4; i++) {
            int yi = y[i];
            Tensor h = Autodiff.hessian(v -> Losses.crossEntropy(net.forward(v.reshape(1, 5)), new int[] {yi}),
                    x.narrow(0, i, 1).reshape(5));
            double[] ev = Linalg.eigh(h).values().toDoubleArray();
            double top = Math.max(Math.abs(ev[0]), Math.abs(ev[ev.length - 1]));
            assertEquals(top, Math.abs(est[i]), 1e-6 * top);
        }
    }

    @Test
    void exactAndFiniteDifferenceHessianPenaltiesAgree() {
        Tensor x = x64(12, 6, 5);
        int[] y = Nets.labels(new Rng(13), 6, 3);
        List<Tensor> p = Nets.params(new Rng(14), 5, 6, 3);
        double[] values = new double[2];
        Tensor[] grads = new Tensor[2];
        for (HessianNormPenalty.Mode mode : HessianNormPenalty.Mode.values()) {
            Nets.VarNet net = new Nets.VarNet(Nets.leaves(p), true);
            Var pen = new HessianNormPenalty(100, 4, mode, 1e-4, InputLoss.crossEntropy()).penalty(net, x, y);
            values[mode.ordinal()] = pen.item();
            grads[mode.ordinal()] = Autodiff.grad(pen, net.p, null, false).get(0).value();
        }
        assertEquals(values[0], values[1], 1e-6 * values[0]);
        assertTrue(grads[0].allClose(grads[1], 1e-4, 1e-7), grads[0] + " vs " + grads[1]);
        Tensor v = InputGrads.randomDirections(new Rng(15), x);
        for (HessianNormPenalty.Mode mode : HessianNormPenalty.Mode.values()) {
            HessianNormPenalty hp = new HessianNormPenalty(3, 6, mode, 1e-3, InputLoss.crossEntropy());
            check("hessian " + mode, true, x, (m, xx) -> hp.penaltyAt(m, xx, y, v));
        }
    }

    @Test
    void hessianPenaltyOnReluNetMatchesTheGaussNewtonOracle() {
        Tensor x = x64(16, 3, 5);
        int[] y = Nets.labels(new Rng(17), 3, 3);
        Nets.VarNet net = new Nets.VarNet(Nets.leaves(Nets.params(new Rng(18), 5, 6, 3)), false);
        Tensor v = InputGrads.randomDirections(new Rng(19), x);
        HessianNormPenalty hp = new HessianNormPenalty(0, 3, HessianNormPenalty.Mode.EXACT);
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            Tensor xi = x.narrow(0, i, 1);
            Tensor j = Autodiff.jacobian(net::forward, xi).reshape(3, 5);
            Tensor pr = net.forward(Var.of(xi)).value().reshape(3);
            pr = pr.sub(pr.max()).exp();
            pr = pr.div(pr.sum());
            Tensor curv = Tensor.eye(DType.FLOAT64, 3).mul(pr.reshape(1, 3)).sub(pr.reshape(3, 1).matmul(pr.reshape(1, 3)));
            Tensor jv = j.matmul(v.narrow(0, i, 1).reshape(5, 1));
            expected += Math.abs(jv.t().matmul(curv).matmul(jv).item()) / 3;
        }
        assertEquals(expected, hp.penaltyAt(net, x, y, v).item(), 1e-10 * Math.max(1, expected));
        assertThrows(IllegalArgumentException.class, () -> new HessianNormPenalty(5, 0, HessianNormPenalty.Mode.EXACT));
        Tensor l = Losses.crossEntropy(Var.of(Tensor.zeros(DType.FLOAT64, 2, 3)), new int[2], Reduction.NONE).value();
        assertEquals(2, l.numel());
    }
}
