package dev.jacobi.examples;

import dev.jacobi.autodiff.CustomOp;
import dev.jacobi.autodiff.GradCheck;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;

/**
 * An op of your own with its own backward rule: softsign {@code x / (1 + |x|)}, whose derivative is
 * {@code 1 / (1 + |x|)²}. The rule is written with {@code Var} ops, so the op has second and third derivatives too;
 * {@link GradCheck} checks them in float64 against central differences.
 */
public final class CustomOpGradcheck {
    private CustomOpGradcheck() {
    }

    /** Softsign with a hand-written rule. */
    static final CustomOp SOFTSIGN = new CustomOp() {
        @Override
        public String name() {
            return "softsign";
        }

        @Override
        public Tensor forward(Tensor... x) {
            return x[0].div(x[0].abs().add(1));
        }

        @Override
        public Var[] backward(Var g, Var out, Var... x) {
            return new Var[] {g.div(x[0].abs().add(1).square())};
        }
    };

    /** {@code --tiny} changes nothing: the check is small. */
    public static void main(String[] args) {
        // away from 0, where |x| has no derivative
        Tensor x = Tensor.randn(new Rng(6), DType.FLOAT64, 3, 4).add(Tensor.randn(new Rng(7), DType.FLOAT64, 3, 4)
                .sign().mul(0.5));
        for (int order = 1; order <= 3; order++) {
            double err = GradCheck.check("softsign", v -> CustomOp.apply(SOFTSIGN, v), x, order, 1e-6);
            System.out.printf("softsign, order %d: worst relative error %.2e%n", order, err);
        }
    }
}
