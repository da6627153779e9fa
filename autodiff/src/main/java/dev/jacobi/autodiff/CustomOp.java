package dev.jacobi.autodiff;

import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.Arrays;

/**
 * An op of your own, as PyTorch's {@code torch.autograd.Function}: a forward on tensors and a backward rule written
 * with {@link Var} ops. Because the rule is made of recorded ops, a gradient taken with {@code createGraph} through
 * it is a graph again, so your op has derivatives of every order that its rule's ops have. Check it with
 * {@link GradCheck} in float64 before you rely on it.
 *
 * <pre>{@code
 * CustomOp cube = new CustomOp() {
 *     public Tensor forward(Tensor... x) { return x[0].mul(x[0]).mul(x[0]); }
 *     public Var[] backward(Var g, Var out, Var... x) { return new Var[] {g.mul(x[0].square()).mul(3)}; }
 * };
 * Var y = CustomOp.apply(cube, x);
 * }</pre>
 */
public interface CustomOp {
    /** The op's name, for graphs and error messages (default: the class's simple name). */
    default String name() {
        String n = getClass().getSimpleName();
        return n.isEmpty() ? "CustomOp" : n;
    }

    /** The output for the input values; must not modify them. */
    Tensor forward(Tensor... inputs);

    /**
     * The cotangent of each input, {@code ∂L/∂inputᵢ = (∂out/∂inputᵢ)ᵀ · gradOutput}, written with {@link Var} ops on
     * {@code gradOutput}, {@code output} and {@code inputs}, each of its input's shape. An entry may be null where that
     * input needs no gradient.
     */
    Var[] backward(Var gradOutput, Var output, Var... inputs);

    /** Applies {@code op} to {@code inputs}, recording it for backward when grad mode is on and an input needs it. */
    static Var apply(CustomOp op, Var... inputs) {
        Tensor[] values = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            values[i] = inputs[i].value();
        }
        Tensor out = op.forward(values);
        if (out == null) {
            throw new IllegalStateException("custom op " + op.name() + ": forward returned null");
        }
        return Var.make(Op.CUSTOM, out, (g, o, needs) -> {
            Var[] grads = op.backward(g, o, inputs);
            if (grads == null || grads.length != inputs.length) {
                throw new IllegalStateException("custom op " + op.name() + ": backward returned "
                        + (grads == null ? "null" : grads.length + " cotangents") + " for " + inputs.length
                        + " inputs");
            }
            for (int i = 0; i < grads.length; i++) {
                if (!needs[i]) {
                    grads[i] = null;
                } else if (grads[i] == null || !Arrays.equals(grads[i].shape(), inputs[i].shape())) {
                    throw new IllegalStateException("custom op " + op.name() + ": the cotangent of input " + i
                            + (grads[i] == null ? " is null" : " has shape " + Shapes.str(grads[i].shape()))
                            + ", but that input has shape " + Shapes.str(inputs[i].shape())
                            + " and needs a gradient");
                }
            }
            return grads;
        }, inputs);
    }
}
