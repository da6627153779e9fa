package dev.jacobi.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class AutodiffTest {
    private static Tensor randn(Rng r, int... shape) {
        return Tensor.randn(r, DType.FLOAT64, shape);
    }

    @Test
    void gradientsOfTransposedMatricesComeBackContiguous() {
        Rng rng = new Rng(31);
        Var x = Var.param(Tensor.randn(rng, DType.FLOAT64, 5, 4));
        Var w = Var.param(Tensor.randn(rng, DType.FLOAT64, 3, 4));
        // x·wᵀ as in a linear layer, and xᵀ on the left: both gradients must be plain contiguous tensors
        Var loss = x.matmul(w.t()).tanh().sum().add(x.t().matmul(Var.of(Tensor.ones(DType.FLOAT64, 5, 2))).sum());
        List<Var> g = Autodiff.grad(loss, List.of(x, w), null, true);
        assertTrue(g.get(0).value().isContiguous());
        assertTrue(g.get(1).value().isContiguous());
        Tensor want = Tensor.ones(DType.FLOAT64, 5, 3).sub(x.value().matmul(w.value().t()).tanh().square())
                .t().matmul(x.value());
        assertTrue(g.get(1).value().allClose(want, 1e-12, 1e-12));
        // and stay so one order up (the HVP's second backward)
        Var dot = g.get(0).mul(Var.of(Tensor.ones(DType.FLOAT64, 5, 4))).sum().add(g.get(1).sum());
        List<Var> h = Autodiff.grad(dot, List.of(x, w), null, false);
        assertTrue(h.get(0).value().isContiguous());
        assertTrue(h.get(1).value().isContiguous());
    }

    @Test
    void gradOfKnownFunctions() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 3);
        // f = Σ x² → 2x
        assertArrayEquals(new double[] {2, 4, 6}, Autodiff.grad(v -> v.square().sum(), x).toDoubleArray(), 1e-12);
        // f = Σ exp(x) → exp(x); its Hessian is diag(exp x)
        Tensor h = Autodiff.hessian(v -> v.exp().sum(), x);
        assertArrayEquals(new int[] {3, 3}, h.shape());
        assertEquals(Math.exp(2), h.get(1, 1), 1e-12);
        assertEquals(0, h.get(0, 2), 1e-12);
        // Jacobian of A·x is A
        Tensor a = randn(new Rng(1), 2, 3);
        Tensor j = Autodiff.jacobian(v -> Var.of(a).matmul(v), x);
        assertTrue(j.allClose(a, 1e-12, 1e-12));
        // third derivative of x³ is 6
        Tensor x0 = Tensor.of(new double[] {0.7}, 1);
        Function<Var, Var> d2 = v -> Autodiff.grad(Autodiff.grad(v.pow(3).sum(), List.of(v), null, true).get(0).sum(),
                List.of(v), null, true).get(0).sum();
        assertEquals(6, Autodiff.grad(d2, x0).item(), 1e-12);
    }

    /** A two-layer ReLU net with softmax cross-entropy, as a function of its input. */
    private static Var reluNetLoss(Var x, Tensor w1, Tensor w2, int[] labels) {
        Var logits = x.matmul(Var.of(w1)).relu().matmul(Var.of(w2));
        return logits.logSoftmax(1).gather(1, labels).sum().neg();
    }

    @Test
    void inputHessianOfReluNetEqualsGaussNewtonForm() {
        Rng r = new Rng(3);
        Tensor w1 = randn(r, 5, 7);
        Tensor w2 = randn(r, 7, 4);
        Tensor x = randn(r, 1, 5);
        Tensor v = randn(r, 1, 5);
        int[] y = {2};
        Tensor hv = Autodiff.hvp(xv -> reluNetLoss(xv, w1, w2, y), x, v);
        // J = ∂logits/∂x, p = softmax(logits): H v = Jᵀ (diag p − p pᵀ) J v
        Function<Var, Var> logitsFn = xv -> xv.matmul(Var.of(w1)).relu().matmul(Var.of(w2));
        Tensor jac = Autodiff.jacobian(logitsFn, x).reshape(4, 5);
        Tensor logits = logitsFn.apply(Var.of(x)).value().reshape(4);
        Tensor p = logits.sub(logits.logSumExp(0, true)).exp();
        Tensor hLogits = p.reshape(4, 1).mul(Tensor.eye(DType.FLOAT64, 4)).sub(p.reshape(4, 1).matmul(p.reshape(1, 4)));
        Tensor expected = jac.t().matmul(hLogits.matmul(jac.matmul(v.reshape(5, 1)))).reshape(1, 5);
        assertTrue(hv.allClose(expected, 1e-10, 1e-10), hv + " vs " + expected);
    }

    @Test
    void reluAndMaxSecondDerivativesAreZeroNotNaN() {
        Tensor x = Tensor.of(new double[] {-1, 0, 2}, 3);
        Tensor h = Autodiff.hessian(v -> v.relu().sum(), x);
        for (double d : h.toDoubleArray()) {
            assertEquals(0, d);
        }
        Tensor hm = Autodiff.hessian(v -> v.amax(new int[] {0}, false).sum(), x);
        for (double d : hm.toDoubleArray()) {
            assertEquals(0, d);
        }
    }

    @Test
    void hvpReverseOverReverseEqualsJvpOfGrad() {
        Rng r = new Rng(5);
        Tensor w = randn(r, 4, 3);
        Tensor x = randn(r, 2, 4);
        Tensor v = randn(r, 2, 4);
        Function<Var, Var> f = xv -> xv.matmul(Var.of(w)).tanh().logSoftmax(1).gather(1, new int[] {0, 2}).sum()
                .add(xv.softplus().sum());
        Tensor hvp = Autodiff.hvp(f, x, v);
        Tensor jvpOfGrad = Autodiff.jvp(xv -> Autodiff.grad(f.apply(xv), List.of(xv), null, true).get(0), x, v);
        assertTrue(hvp.allClose(jvpOfGrad, 1e-10, 1e-12));
        // and both match the explicit Hessian
        Tensor hess = Autodiff.hessian(f, x).reshape(8, 8);
        assertTrue(hvp.reshape(8).allClose(hess.matmul(v.reshape(8)), 1e-10, 1e-12));
    }

    @Test
    void gradOfSeveralOutputsSumsTheirVectorJacobianProducts() {
        Rng r = new Rng(12);
        Var x = Var.param(randn(r, 3, 4));
        Var w = Var.param(randn(r, 4, 2));
        Var h = x.matmul(w).tanh();
        Var y1 = h.square();                  // depends on h
        Var y2 = h.sum(1, false).exp();       // shares h with y1
        Var y3 = x.sum();                     // a scalar, seeded with 1 (null gradOutput)
        Tensor c1 = randn(r, 3, 2);
        Tensor c2 = randn(r, 3);
        List<Var> both = Autodiff.grad(List.of(y1, y2, y3, h), List.of(x, w),
                java.util.Arrays.asList(Var.of(c1), Var.of(c2), null, Var.of(c1)), false);
        for (int i = 0; i < 2; i++) {
            Var in = List.of(x, w).get(i);
            Tensor want = Autodiff.grad(y1, List.of(in), Var.of(c1), false).get(0).value()
                    .add(Autodiff.grad(y2, List.of(in), Var.of(c2), false).get(0).value())
                    .add(Autodiff.grad(y3, List.of(in), null, false).get(0).value())
                    .add(Autodiff.grad(h, List.of(in), Var.of(c1), false).get(0).value());
            assertTrue(both.get(i).value().allClose(want, 1e-12, 1e-12), "input " + i);
        }
        // the same output twice sums its seeds; an output that is an input passes its seed through
        Tensor twice = Autodiff.grad(List.of(y2, y2, x), List.of(x), List.of(Var.of(c2), Var.of(c2), Var.of(c1.sum(1,
                true).expand(3, 4))), false).get(0).value();
        Tensor want = Autodiff.grad(y2, List.of(x), Var.of(c2.mul(2.0)), false).get(0).value()
                .add(c1.sum(1, true).expand(3, 4));
        assertTrue(twice.allClose(want, 1e-12, 1e-12));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Autodiff.grad(List.of(y1, y2), List.of(x),
                List.of(Var.of(c1)), false)).getMessage().contains("grad: 2 outputs but 1 gradOutputs"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Autodiff.grad(List.of(y1), List.of(x), null,
                false)).getMessage().contains("grad: output of shape [3, 2] is not a scalar"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Autodiff.grad(List.of(y1), List.of(x),
                List.of(Var.of(c2)), false)).getMessage().contains("gradOutput shape [3] differs from output shape"));
    }

    @Test
    void productGradientsThatMeetAreSummedByAddmm() {
        Rng r = new Rng(11);
        Var x = Var.param(Tensor.randn(r, DType.FLOAT64, 5, 4));
        Var w = Var.param(Tensor.randn(r, DType.FLOAT64, 4, 3));
        Var w2 = Var.param(Tensor.randn(r, DType.FLOAT64, 3, 4));
        Var b = Var.param(Tensor.randn(r, DType.FLOAT64, 3));
        Tensor t = x.value().matmul(w.value()).add(b.value()).tanh();
        Tensor dt = t.square().neg().add(1);
        Tensor ones = Tensor.ones(DType.FLOAT64, 5, 3);
        // x meets two products (one through a transposed weight); w2's gradient comes back through w2.t()
        Tensor dx = dt.matmul(w.value().t()).add(ones.matmul(w2.value()));
        for (boolean createGraph : new boolean[] {false, true}) {
            Var y = x.matmul(w).add(b).tanh().add(x.matmul(w2.t())).sum();
            List<Var> g = Autodiff.grad(y, List.of(x, w, w2, b), null, createGraph);
            // with a graph, an addmm node; without, the engine owns the first product and adds the second into it
            assertEquals(createGraph ? Op.ADDMM : Op.MATMUL, g.get(0).op);
            assertTrue(g.get(0).value().allClose(dx, 1e-12, 1e-12));
            assertTrue(g.get(1).value().allClose(x.value().t().matmul(dt), 1e-12, 1e-12));
            assertTrue(g.get(2).value().allClose(ones.t().matmul(x.value()), 1e-12, 1e-12));
            assertTrue(g.get(3).value().allClose(dt.sum(new int[] {0}, false), 1e-12, 1e-12));
        }
        // the same Var twice as the factors of one product is not fused (its two terms would count the sum twice)
        Var z = Var.param(Tensor.randn(r, DType.FLOAT64, 4, 4));
        Var q = z.matmul(z).add(z.matmul(z.t())).sum();
        Tensor zz = z.value();
        Tensor o4 = Tensor.ones(DType.FLOAT64, 4, 4);
        Tensor expect = o4.matmul(zz.t()).add(zz.t().matmul(o4)).add(o4.matmul(zz)).add(o4.matmul(zz));
        assertTrue(Autodiff.grad(q, List.of(z), null, false).get(0).value().allClose(expect, 1e-12, 1e-12));
    }

    @Test
    void inPlaceSumsNeverReachAGradientThatSharesTheirStorage() {
        Rng r = new Rng(12);
        Var a = Var.param(Tensor.randn(r, DType.FLOAT64, 3, 4));
        Var b = Var.param(Tensor.randn(r, DType.FLOAT64, 3, 4));
        Var w = Var.param(Tensor.randn(r, DType.FLOAT64, 4, 2));
        Var v = Var.param(Tensor.randn(r, DType.FLOAT64, 4, 2));
        Tensor ones = Tensor.ones(DType.FLOAT64, 3, 2);
        Tensor db = ones.matmul(w.value().t());
        Tensor da = db.add(ones.matmul(v.value().t()));
        // add's rule hands the same gradient to a and b; a then takes a product, in either order of the two terms
        for (boolean first : new boolean[] {false, true}) {
            Var s = a.add(b).matmul(w).sum();
            Var t = a.matmul(v).sum();
            List<Var> g = Autodiff.grad(first ? s.add(t) : t.add(s), List.of(a, b), null, false);
            assertTrue(g.get(0).value().allClose(da, 1e-12, 1e-12), "a, order " + first);
            assertTrue(g.get(1).value().allClose(db, 1e-12, 1e-12), "b, order " + first);
        }
        // a transpose whose own gradient is asked for keeps it, while w's sum goes on (either order of the terms)
        Var x = Var.param(Tensor.randn(r, DType.FLOAT64, 3, 2));
        Tensor xt = x.value();
        Tensor o34 = Tensor.ones(DType.FLOAT64, 3, 4);
        Tensor dwt = xt.t().matmul(o34).add(xt.t().matmul(xt.matmul(w.value().t()).mul(2)));
        for (boolean first : new boolean[] {false, true}) {
            Var wt = w.t();
            Var s = x.matmul(wt).sum().add(x.matmul(wt).square().sum());
            Var t = a.matmul(w).sum();
            List<Var> g = Autodiff.grad(first ? s.add(t) : t.add(s), List.of(wt, w), null, false);
            assertTrue(g.get(0).value().allClose(dwt, 1e-12, 1e-12), "w.t(), order " + first);
            assertTrue(g.get(1).value().allClose(dwt.t().add(a.value().t().matmul(ones)), 1e-12, 1e-12),
                    "w, order " + first);
        }
    }

    @Test
    void hvpOfSeveralInputsMatchesTheDotProductForm() {
        Rng r = new Rng(13);
        Tensor x = randn(r, 5, 3);
        List<Tensor> ps = List.of(randn(r, 3, 4), randn(r, 4), randn(r, 4, 2));
        List<Tensor> vs = List.of(randn(r, 3, 4), randn(r, 4), randn(r, 4, 2));
        Autodiff.MultiFunction f = p -> Var.of(x).matmul(p.get(0)).add(p.get(1)).relu().matmul(p.get(2))
                .logSoftmax(1).gather(1, new int[] {0, 1, 1, 0, 1}).sum().neg();
        List<Tensor> hv = Autodiff.hvp(f, ps, vs);
        // reference: differentiate the scalar Σ⟨gᵢ, vᵢ⟩
        List<Var> pv = Autodiff.params(ps);
        List<Var> g = Autodiff.grad(f.apply(pv), pv, null, true);
        Var dot = g.get(0).mul(Var.of(vs.get(0))).sum().add(g.get(1).mul(Var.of(vs.get(1))).sum())
                .add(g.get(2).mul(Var.of(vs.get(2))).sum());
        List<Var> want = Autodiff.grad(dot, pv, null, false);
        for (int i = 0; i < 3; i++) {
            assertTrue(hv.get(i).allClose(want.get(i).value(), 1e-12, 1e-12), "parameter " + i);
        }
        assertTrue(hv.get(2).abs().sum().item() > 0, "a non-trivial product");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Autodiff.hvp(f, ps, List.of(vs.get(0),
                vs.get(2), vs.get(1)))).getMessage().contains("hvp: vector 1 has shape [4, 2], input 1 has shape [4]"));
    }

    @Test
    void backwardAccumulatesIntoLeavesAndFreesTheGraph() {
        Var w = Var.param(Tensor.of(new double[] {1, 2}, 2));
        Var b = Var.param(Tensor.of(new double[] {0.5}, 1));
        Var c = Var.of(Tensor.of(new double[] {3, 4}, 2));
        Var loss = w.mul(c).sum().add(b.sum().square());
        assertFalse(loss.isLeaf());
        loss.backward();
        assertArrayEquals(new double[] {3, 4}, w.grad().toDoubleArray());
        assertArrayEquals(new double[] {1}, b.grad().toDoubleArray());
        assertNull(c.grad());
        // freeing the graph does not make the loss a leaf: a second backward through it throws, naming retainGraph
        assertFalse(loss.isLeaf(), "a freed result is still not a leaf");
        IllegalStateException again = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(again.getMessage().contains("backward through the graph a second time"), again.getMessage());
        assertTrue(again.getMessage().contains("retainGraph"), again.getMessage());
        assertArrayEquals(new double[] {3, 4}, w.grad().toDoubleArray(), "the failed backward changed nothing");
        // a second loss accumulates; zeroGrad clears
        w.mul(c).sum().backward();
        assertArrayEquals(new double[] {6, 8}, w.grad().toDoubleArray());
        w.zeroGrad();
        assertNull(w.grad());
        // retainGraph keeps it for a second pass
        Var l2 = w.square().sum();
        l2.backward(null, true);
        l2.backward(null, false);
        assertArrayEquals(new double[] {4, 8}, w.grad().toDoubleArray());
    }

    @Test
    void aNewLossThroughAFreedIntermediateThrows() {
        Var w = Var.param(Tensor.of(new double[] {1, 2}, 2));
        Var y = w.mul(w);
        y.sum().backward();
        assertArrayEquals(new double[] {2, 4}, w.grad().toDoubleArray());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.exp().sum().backward());
        assertTrue(e.getMessage().contains("made by MUL was freed"), e.getMessage());
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Autodiff.grad(y.sum(), List.of(w), null, false));
        assertArrayEquals(new double[] {2, 4}, w.grad().toDoubleArray());
        // with retainGraph the intermediate stays usable, and the gradients add up
        Var y2 = w.mul(w);
        y2.sum().backward(null, true);
        y2.exp().sum().backward();
        double[] want = {2 + 2 + 2 * Math.exp(1), 4 + 4 + 4 * Math.exp(4)};
        assertArrayEquals(want, w.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void backwardOfAValueWithoutAGradientSaysWhy() {
        Var w = Var.param(Tensor.of(new double[] {1, 2}, 2));
        Var underNoGrad;
        try (var ignored = Autodiff.noGrad()) {
            underNoGrad = w.mul(w).sum();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, underNoGrad::backward);
        assertTrue(e.getMessage().contains("does not require a gradient"), e.getMessage());
        assertTrue(e.getMessage().contains("noGrad"), e.getMessage());
        // a value computed later from it inherits the reason
        e = assertThrows(IllegalStateException.class, () -> underNoGrad.mul(2).backward());
        assertTrue(e.getMessage().contains("noGrad"), e.getMessage());
        Var constant = Var.of(Tensor.of(new double[] {1, 2}, 2)).square().sum();
        e = assertThrows(IllegalStateException.class, constant::backward);
        assertTrue(e.getMessage().contains("only from constants"), e.getMessage());
        assertTrue(e.getMessage().contains("Var.param"), e.getMessage());
        assertNull(w.grad());
        // a non-scalar needs its gradOutput
        IllegalArgumentException ne = assertThrows(IllegalArgumentException.class, () -> w.mul(w).backward());
        assertTrue(ne.getMessage().contains("is not a scalar; pass a gradOutput"), ne.getMessage());
    }

    @Test
    void fanInAndBroadcastGradientsAreSummed() {
        Var x = Var.param(Tensor.of(new double[] {1, 2, 3}, 3));
        Var bias = Var.param(Tensor.of(new double[] {1}, 1));
        Var y = x.mul(x).add(x).add(bias).sum();
        List<Var> g = Autodiff.grad(y, List.of(x, bias), null, false);
        assertArrayEquals(new double[] {3, 5, 7}, g.get(0).value().toDoubleArray());
        assertArrayEquals(new double[] {3}, g.get(1).value().toDoubleArray());
    }

    @Test
    void unusedInputsGetZerosOrThrowInStrictMode() {
        Var x = Var.param(Tensor.of(new double[] {1, 2}, 2));
        Var z = Var.param(Tensor.of(new double[] {5, 6, 7}, 3));
        Var y = x.sum();
        assertArrayEquals(new double[] {0, 0, 0}, Autodiff.grad(y, List.of(z), null, false).get(0).value()
                .toDoubleArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Autodiff.grad(y, List.of(x, z), null, false, true));
        assertTrue(e.getMessage().contains("input 1 of shape [3] is not used"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> x.mul(x).backward()).getMessage()
                .contains("backward: output of shape [2] is not a scalar"));
    }

    @Test
    void noGradRecordsNothing() {
        Var x = Var.param(Tensor.of(new double[] {1, 2}, 2));
        try (var ignored = Autodiff.noGrad()) {
            Var y = x.mul(x).sum();
            assertFalse(y.requiresGrad());
            assertTrue(y.isLeaf());
        }
        assertTrue(x.mul(x).sum().requiresGrad());
        Var d = x.detach();
        assertFalse(d.requiresGrad());
    }

    @Test
    void gradientsOfGradientsFlowThroughAnMlp() {
        Rng r = new Rng(8);
        Tensor x = randn(r, 4, 6);
        Var w1 = Var.param(randn(r, 6, 5));
        Var w2 = Var.param(randn(r, 5, 3));
        int[] y = {0, 1, 2, 1};
        Var xv = Var.param(x);
        Var loss = xv.matmul(w1).tanh().matmul(w2).logSoftmax(1).gather(1, y).mean().neg();
        Var gx = Autodiff.grad(loss, List.of(xv), null, true).get(0);
        Var penalty = gx.square().sum();
        List<Var> gw = Autodiff.grad(penalty, List.of(w1, w2), null, false);
        // check d(penalty)/dw1 along a direction by central differences
        Tensor dir = randn(r, 6, 5);
        double h = 1e-6;
        Function<Tensor, Double> pen = w -> {
            Var xp = Var.param(x);
            Var l = xp.matmul(Var.of(w)).tanh().matmul(Var.of(w2.value())).logSoftmax(1).gather(1, y).mean().neg();
            return Autodiff.grad(l, List.of(xp), null, true).get(0).square().sum().item();
        };
        double numeric = (pen.apply(w1.value().add(dir.mul(h))) - pen.apply(w1.value().sub(dir.mul(h)))) / (2 * h);
        assertEquals(numeric, gw.get(0).value().mul(dir).sum().item(), 1e-6 * Math.max(1, Math.abs(numeric)));
    }

    @Test
    void trainingLikeLoopDoesNotGrowTheHeap() {
        Rng r = new Rng(9);
        Var w = Var.param(Tensor.randn(r, 32, 10).mul(0.1));
        Tensor x = Tensor.randn(r, 16, 32);
        int[] y = new int[16];
        Runtime rt = Runtime.getRuntime();
        long baseline = 0;
        for (int it = 0; it < 10_000; it++) {
            Var loss = Var.of(x).matmul(w).logSoftmax(1).gather(1, y).mean().neg();
            loss.backward();
            w.zeroGrad();
            if (it == 1000) {
                System.gc();
                baseline = rt.totalMemory() - rt.freeMemory();
            }
        }
        System.gc();
        long after = rt.totalMemory() - rt.freeMemory();
        assertTrue(after < baseline + (16 << 20), "heap grew from " + baseline + " to " + after);
    }

    @Test
    void backwardThroughAValueWrittenInPlaceThrows() {
        Var w = Var.param(Tensor.randn(new Rng(1), 3));
        Tensor xv = Tensor.randn(new Rng(2), 3);
        Var loss = w.mul(Var.of(xv)).sum();
        xv.mul_(2); // the product's rule would read the new x
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("modified by an in-place operation"), e.getMessage());
        // written before it was recorded: fine
        Tensor yv = Tensor.randn(new Rng(3), 3).mul_(2);
        w.mul(Var.of(yv)).sum().backward();
        assertArrayEquals(yv.toFloatArray(), w.grad().toFloatArray());
    }

    @Test
    void backwardReleasesOnlyTheEnginesOwnGradients() {
        // an MLP large enough for the caching allocator: the values the user holds survive backward
        Rng r = new Rng(4);
        Var x = Var.of(Tensor.randn(r, 64, 300));
        Var w1 = Var.param(Tensor.randn(r, 300, 300).mul(0.05));
        Var w2 = Var.param(Tensor.randn(r, 300, 300).mul(0.05));
        Var h = x.matmul(w1).relu();
        Var z = h.matmul(w2).relu();
        float[] hBefore = h.value().toFloatArray();
        float[] zBefore = z.value().toFloatArray();
        z.square().sum().backward();
        assertArrayEquals(hBefore, h.value().toFloatArray());
        assertArrayEquals(zBefore, z.value().toFloatArray());
        assertFalse(w1.grad().isReleased());
        // the same gradients as with retainGraph, where nothing is freed early
        Var h2 = x.matmul(w1).relu();
        List<Var> g = Autodiff.grad(h2.matmul(w2).relu().square().sum(), List.of(w1, w2), null, false);
        assertArrayEquals(g.get(0).value().toFloatArray(), w1.grad().toFloatArray(), 1e-4f);
        assertArrayEquals(g.get(1).value().toFloatArray(), w2.grad().toFloatArray(), 1e-4f);
    }

    @Test
    void computedValuesLeaveOutLeavesConstantsAndViews() {
        Tensor xt = Tensor.randn(new Rng(5), 4, 3);
        Var x = Var.of(xt);
        Var w = Var.param(Tensor.randn(new Rng(6), 3, 2));
        Var flat = x.reshape(12).reshape(4, 3); // views of a constant
        Var m = flat.matmul(w);
        Var h = m.relu();
        Var loss = m.square().sum().add(h.transpose(0, 1).sum());
        List<Tensor> values = Autodiff.computedValues(loss);
        assertTrue(values.stream().noneMatch(v -> v.sharesStorage(xt) || v.sharesStorage(w.value())));
        // h has a view (its transpose), so it stays; the product is the graph's own
        assertTrue(values.stream().noneMatch(v -> v.sharesStorage(h.value())));
        assertTrue(values.stream().anyMatch(v -> v == m.value()));
    }

    @Test
    void doubleBackpropThroughMaxPoolKeepsThePositionsTheRecordedGraphNeeds() {
        // ∇ₓ of (v · maxPool(conv(x, w))) recorded with a graph holds scatters of v to the pool's positions; a
        // backward of the loss then frees the forward graph, which must not give the positions back while that
        // recorded graph can still run (the tests poison released memory)
        Rng r = new Rng(7);
        Tensor xt = Tensor.randn(r, 8, 4, 64, 64);
        Tensor wt = Tensor.randn(r, 4, 4, 3, 3).mul(0.2);
        Tensor vt = Tensor.randn(r, 8, 4, 32, 32);
        double[][] grads = new double[2][];
        for (int retain = 0; retain < 2; retain++) {
            Var x = Var.param(xt);
            Var w = Var.param(wt);
            Var v = Var.param(vt);
            Var loss = x.conv2d(w, null, dev.jacobi.core.Conv2dSpec.of(1, 1)).maxPool2d(2, 2, 0).mul(v).sum();
            Var gx = Autodiff.grad(loss, List.of(x), null, true).get(0);
            loss.backward(null, retain == 1);
            gx.square().sum().backward();
            grads[retain] = v.grad().toDoubleArray();
        }
        assertArrayEquals(grads[1], grads[0], 0);
        for (double v : grads[0]) {
            assertTrue(Double.isFinite(v));
        }
    }
}
