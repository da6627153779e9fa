package dev.jacobi.autodiff;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import org.junit.jupiter.api.Test;

class CustomOpTest {
    /** sin written as a custom op, with a rule that is correct or deliberately wrong. */
    private static CustomOp sine(boolean wrong) {
        return new CustomOp() {
            @Override
            public Tensor forward(Tensor... x) {
                return Var.of(x[0]).sin().value();
            }

            @Override
            public Var[] backward(Var g, Var out, Var... x) {
                return new Var[] {g.mul(wrong ? x[0].sin() : x[0].cos())};
            }
        };
    }

    @Test
    void aCorrectRulePassesToOrderThreeAndAWrongOneFails() {
        Tensor x = Tensor.randn(new Rng(1), DType.FLOAT64, 5);
        GradCheck.check("custom sin", v -> CustomOp.apply(sine(false), v), x, 3, 1e-6);
        assertThrows(GradCheck.Failure.class, () -> GradCheck.check("custom sin, wrong rule",
                v -> CustomOp.apply(sine(true), v), x, 1, 1e-6));
    }

    @Test
    void aCotangentOfTheWrongShapeIsRefusedWithTheOpsName() {
        CustomOp sumTo = new CustomOp() {
            @Override
            public String name() {
                return "badSum";
            }

            @Override
            public Tensor forward(Tensor... x) {
                return x[0].sum();
            }

            @Override
            public Var[] backward(Var g, Var out, Var... x) {
                return new Var[] {g}; // should be g expanded to x's shape
            }
        };
        Var x = Var.param(Tensor.ones(DType.FLOAT64, 3));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CustomOp.apply(sumTo, x).backward());
        assertTrue(e.getMessage().contains("custom op badSum: the cotangent of input 0 has shape []"), e.getMessage());
    }
}
