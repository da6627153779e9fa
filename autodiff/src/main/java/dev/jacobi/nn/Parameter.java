package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Tensor;

/**
 * A mutable holder of a trainable leaf {@link Var}: {@code θ}, with {@code ∂L/∂θ} accumulated by
 * {@code loss.backward()}. An update {@link #set replaces} the leaf; layers read {@link #var()} at every forward,
 * so they always see the current value. A leaf that was replaced is retired ({@link Var#retire}): a layer that kept
 * the {@code Var} from an earlier {@link #var()} in a field gets an {@link IllegalStateException} at its next
 * forward, where it would otherwise train a copy the optimizer never sees.
 */
public final class Parameter {
    private Var var;

    /** A parameter holding {@code value} as a fresh leaf. */
    public Parameter(Tensor value) {
        this.var = Var.param(value);
    }

    /** The current leaf, to use in a forward pass. */
    public Var var() {
        return var;
    }

    /** The current value {@code θ}. */
    public Tensor value() {
        return var.value();
    }

    /** The accumulated gradient {@code ∂L/∂θ}, or null if none since the last {@link #zeroGrad()} or {@link #set}. */
    public Tensor grad() {
        return var.grad();
    }

    /** The value's shape. */
    public int[] shape() {
        return var.shape();
    }

    /** The value's dtype. */
    public DType dtype() {
        return var.dtype();
    }

    /** Replaces the value by a fresh leaf {@code θ ← value}, whose gradient starts empty (null), and retires the old one. */
    public void set(Tensor value) {
        var.retire("this parameter " + dev.jacobi.core.Shapes.str(shape()) + " " + dtype() + " was given a new value"
                + " (by an optimizer step, Layer.to or loadStateDict) after this Var was taken from it; read"
                + " Parameter.var() at every forward instead of keeping the Var it returned");
        var = Var.param(value);
    }

    /**
     * Replaces the gradient by {@code g} (null clears it). {@link Var} has no gradient setter, so this runs a tiny
     * backward of {@code Σ θ·g}, whose gradient is exactly {@code g}.
     */
    public void setGrad(Tensor g) {
        if (g != null && (!java.util.Arrays.equals(g.shape(), shape()) || g.dtype() != dtype())) {
            throw new IllegalArgumentException("Parameter.setGrad: gradient " + dev.jacobi.core.Shapes.str(g.shape())
                    + " " + g.dtype() + " does not match the parameter " + dev.jacobi.core.Shapes.str(shape()) + " "
                    + dtype());
        }
        var.setGrad(g);
    }

    /** Clears the gradient (sets it to null, as PyTorch's {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        var.zeroGrad();
    }

    @Override
    public String toString() {
        return "Parameter " + var.value();
    }
}
