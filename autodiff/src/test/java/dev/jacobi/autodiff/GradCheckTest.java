package dev.jacobi.autodiff;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class GradCheckTest {
    @TestFactory
    Stream<DynamicTest> everyRegisteredOpPassesItsGradientCheck() {
        return OpRegistry.all().stream().map(op -> DynamicTest.dynamicTest(op.name() + " to order " + op.order(), () -> {
            List<Tensor> xs = op.sample().apply(new Rng(op.name().hashCode()));
            double err = GradCheck.check(op.name(), op.fn(), xs, op.order(), op.tol(), 99);
            assertTrue(err <= op.tol());
        }));
    }

    @Test
    void everyPrimitiveIsRegistered() {
        Set<Op> seen = EnumSet.noneOf(Op.class);
        for (OpRegistry.OpInfo op : OpRegistry.all()) {
            List<Var> ps = Autodiff.params(op.sample().apply(new Rng(1)));
            ArrayDeque<Var> todo = new ArrayDeque<>();
            todo.add(op.fn().apply(ps));
            while (!todo.isEmpty()) {
                Var v = todo.poll();
                if (v.op != null) {
                    seen.add(v.op);
                }
                if (v.inputs != null) {
                    todo.addAll(List.of(v.inputs));
                }
            }
        }
        Set<Op> missing = EnumSet.allOf(Op.class);
        missing.removeAll(seen);
        assertTrue(missing.isEmpty(), "primitives without a gradient-check entry: " + missing);
    }

    @Test
    void docsListEveryPrimitiveWithTheFileOfItsRule() throws Exception {
        // the module's tests run in autodiff/, the docs are in the repository's docs/
        List<String> lines = Files.readAllLines(Path.of("..", "docs", "AUTODIFF.md"));
        for (Op op : Op.values()) {
            Path file = Path.of("src", "main", "java", "dev", "jacobi", "autodiff", op.kind().file());
            assertTrue(Files.readString(file).contains("Op." + op + ","), op + " is not declared in " + file);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("|") && l.matches(".*`" + op + "`[,| ].*")
                    && l.contains(op.kind().file())), "docs/AUTODIFF.md has no row for " + op + " in "
                    + op.kind().file());
        }
    }

    @Test
    void aWrongRuleIsCaught() {
        // x·x written so that the rule is wrong (the mask makes the gradient 0 where it should be 2x)
        GradCheck.Failure f = assertThrows(GradCheck.Failure.class, () -> GradCheck.check("broken",
                x -> x.mul(x.detach()), Tensor.randn(new Rng(1), DType.FLOAT64, 4), 1, 1e-6));
        assertTrue(f.getMessage().contains("gradcheck broken, order 1"), f.getMessage());
        // a rule that is right at order 1 but wrong at order 2 is caught only at order 2
        GradCheck.check("detachedSecond", x -> x.mul(x.detach()).add(x.detach().square().mul(0)).mul(2)
                .sub(x.detach().square()), Tensor.randn(new Rng(2), DType.FLOAT64, 4), 1, 1e-6);
        assertThrows(GradCheck.Failure.class, () -> GradCheck.check("detachedSecond", x -> x.mul(x.detach())
                .mul(2).sub(x.detach().square()), Tensor.randn(new Rng(2), DType.FLOAT64, 4), 2, 1e-6));
    }
}
