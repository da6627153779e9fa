package dev.jacobi.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Linear or BatchNorm followed by a ReLU runs as one node in a Sequential ({@code addRelu}, or the batch norm
 * primitive with the ReLU folded in), with unchanged results.
 */
class SequentialFusionTest {
    /** The layers one by one through {@link Layer#call}, as a Sequential without rewrites would run them. */
    private static Var oneByOne(Sequential net, Var x) {
        for (Layer m : net) {
            x = m.call(x);
        }
        return x;
    }

    /**
     * The fused and the one-by-one forward of {@code net} on {@code x}: the same values, the same gradients with
     * respect to the input and every parameter, and the same second derivatives (the squared input gradient's
     * gradient), all to the last bit; the fused output is the {@code fusedOp} node.
     */
    private static void sameAsOneByOne(Sequential net, Tensor x, Rng rng, String fusedOp) {
        Var xv = Var.param(x);
        List<Var> wrt = new ArrayList<>(List.of(xv));
        net.parameters().forEach(p -> wrt.add(p.var()));
        Var fused = net.forward(xv);
        assertTrue(fused.toString().startsWith("Var(" + fusedOp + ","), fused.toString());
        // in training each pass also updates BatchNorm's running statistics, which the output does not use
        Var plain = oneByOne(net, xv);
        assertArrayEquals(plain.value().toDoubleArray(), fused.value().toDoubleArray(), 0);
        assertTrue(fused.value().min().item() == 0 && fused.value().max().item() > 0, "the ReLU clamps some values");
        Var gy = Var.of(Tensor.randn(rng, x.dtype(), fused.shape()));
        List<Var> gf = Autodiff.grad(fused, wrt, gy, true);
        List<Var> gp = Autodiff.grad(plain, wrt, gy, true);
        for (int i = 0; i < wrt.size(); i++) {
            assertArrayEquals(gp.get(i).value().toDoubleArray(), gf.get(i).value().toDoubleArray(), 0, "grad " + i);
        }
        // the rules without a graph (BatchNorm's fused passes) give what the recorded ones give
        List<Var> g0 = Autodiff.grad(net.forward(xv), wrt, gy, false);
        double tol = x.dtype() == DType.FLOAT64 ? 1e-12 : 1e-4;
        for (int i = 0; i < wrt.size(); i++) {
            assertArrayEquals(gf.get(i).value().toDoubleArray(), g0.get(i).value().toDoubleArray(), tol, "grad " + i);
        }
        List<Var> hf = Autodiff.grad(gf.get(0).square().sum(), wrt, null, false);
        List<Var> hp = Autodiff.grad(gp.get(0).square().sum(), wrt, null, false);
        for (int i = 0; i < wrt.size(); i++) {
            assertArrayEquals(hp.get(i).value().toDoubleArray(), hf.get(i).value().toDoubleArray(), 0, "2nd " + i);
        }
    }

    @Test
    void linearThenReluIsFusedWithTheSameValuesAndGradients() {
        Rng rng = new Rng(1);
        for (DType dt : DType.values()) {
            Sequential net = (Sequential) new Sequential(new Linear(6, 5, rng), new ReLU(), new Linear(5, 3, rng))
                    .to(dt);
            Sequential head = new Sequential(net.get(0), net.get(1));
            sameAsOneByOne(head, Tensor.randn(rng, dt, 4, 6), rng, "add_relu");
        }
    }

    @Test
    void batchNormThenReluIsFusedInTrainingAndInEval() {
        Rng rng = new Rng(2);
        for (DType dt : DType.values()) {
            BatchNorm2d bn = new BatchNorm2d(3);
            Sequential net = (Sequential) new Sequential(bn, new ReLU()).to(dt);
            // γ and β away from 1 and 0, so that the affine part matters
            bn.weight().set(Tensor.randn(rng, dt, 3));
            bn.bias().set(Tensor.randn(rng, dt, 3));
            Tensor x = Tensor.randn(rng, dt, 4, 3, 5, 5).mul(2).add(1);
            sameAsOneByOne(net, x, rng, "batch_norm");
            net.train(false);
            sameAsOneByOne(net, x, rng, "add_relu");
            Sequential bn1 = (Sequential) new Sequential(new BatchNorm1d(4), new ReLU()).to(dt);
            sameAsOneByOne(bn1, Tensor.randn(rng, dt, 6, 4), rng, "batch_norm");
            sameAsOneByOne(bn1, Tensor.randn(rng, dt, 6, 4, 3), rng, "batch_norm");
        }
    }

    @Test
    void theFusedBatchNormIsTheFormulaAndChecksToOrderTwo() {
        Rng rng = new Rng(3);
        BatchNorm2d bn = (BatchNorm2d) new BatchNorm2d(2).to(DType.FLOAT64);
        bn.weight().set(Tensor.of(new double[] {1.5, -0.5}));
        bn.bias().set(Tensor.of(new double[] {0.25, 0.1}));
        Sequential net = new Sequential(bn, new ReLU());
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 3, 2, 2, 2);
        Tensor y = net.forward(x).value();
        for (int c = 0; c < 2; c++) {
            Tensor xc = x.narrow(1, c, 1);
            double mean = xc.mean().item();
            double var = xc.sub(Tensor.full(DType.FLOAT64, mean)).square().mean().item();
            Tensor want = xc.sub(Tensor.full(DType.FLOAT64, mean)).div(Math.sqrt(var + 1e-5))
                    .mul(bn.weight().value().get(c)).add(bn.bias().value().get(c)).relu();
            assertArrayEquals(want.toDoubleArray(), y.narrow(1, c, 1).toDoubleArray(), 1e-12);
        }
        // gradients of the input to second order against finite differences
        double err = GradCheck.check("bn+relu", v -> net.forward(v).square().sum(), x, 2, 1e-6);
        assertTrue(err < 1e-6, "gradcheck error " + err);
    }

    @Test
    void aForwardHookKeepsTheLayersOwnOutput() {
        Rng rng = new Rng(4);
        Linear lin = new Linear(6, 5, rng);
        Sequential net = new Sequential(lin, new ReLU());
        List<Var> seen = new ArrayList<>();
        lin.registerForwardHook((layer, in, out) -> seen.add(out));
        Var y = net.forward(Tensor.randn(rng, 8, 6));
        assertEquals(1, seen.size());
        assertTrue(seen.get(0).value().min().item() < 0, "the hook sees the Linear's output before the ReLU");
        assertTrue(y.toString().startsWith("Var(relu,"), y.toString());
        assertArrayEquals(seen.get(0).value().relu().toDoubleArray(), y.value().toDoubleArray(), 0);
    }
}
