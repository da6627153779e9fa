package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.Arrays;

/**
 * Loss functions with PyTorch's definitions, on a batch of {@code N} examples. Classification losses take logits or
 * log-probabilities {@code [N, C]} and integer labels {@code y_i ∈ [0, C)}; {@link Reduction} picks mean (default),
 * sum or per-example values.
 */
public final class Losses {
    private Losses() {
    }

    /** Checks {@code x} is {@code [N, C]} and every label is in {@code [0, C)}. */
    private static void checkLabels(String loss, Var x, int[] labels) {
        int[] s = x.shape();
        if (s.length != 2) {
            throw new IllegalArgumentException(loss + ": expected input [N, C], got " + Shapes.str(s));
        }
        if (labels.length != s[0]) {
            throw new IllegalArgumentException(loss + ": " + labels.length + " labels for input "
                    + Shapes.str(s) + " with N = " + s[0]);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= s[1]) {
                throw new IllegalArgumentException(loss + ": label " + labels[i] + " at position " + i
                        + " is outside [0, " + s[1] + ")");
            }
        }
    }

    private static void checkSameShape(String loss, Var a, Var b) {
        if (!Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException(loss + ": input " + Shapes.str(a.shape()) + " and target "
                    + Shapes.str(b.shape()) + " differ in shape");
        }
    }

    /** {@code ℓ_i = -x[i, y_i]}, the negative log-likelihood of log-probabilities {@code x}. */
    public static Var nll(Var logProbs, int[] labels, Reduction reduction) {
        checkLabels("nll", logProbs, labels);
        return reduction.apply(pick(logProbs, labels).neg());
    }

    /** {@code nll} with MEAN reduction. */
    public static Var nll(Var logProbs, int[] labels) {
        return nll(logProbs, labels, Reduction.MEAN);
    }

    /** {@code x[i, y_i]} as {@code [N]}. */
    private static Var pick(Var x, int[] labels) {
        return x.gather(1, labels).reshape(labels.length);
    }

    /**
     * Softmax cross-entropy with label smoothing {@code ε}: with {@code lp = logSoftmax(x)},
     * {@code ℓ_i = -(1-ε)·lp[i, y_i] - (ε/C)·Σ_c lp[i, c]} (PyTorch's formula; ε = 0 is plain cross-entropy).
     */
    public static Var crossEntropy(Var logits, int[] labels, Reduction reduction, double labelSmoothing) {
        checkLabels("crossEntropy", logits, labels);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("crossEntropy: labelSmoothing must be in [0, 1], got " + labelSmoothing);
        }
        Var lp = logits.logSoftmax(1);
        Var loss = pick(lp, labels).neg();
        if (labelSmoothing > 0) {
            int c = logits.shape()[1];
            Var uniform = lp.sum(1, false).mul(-1.0 / c);
            loss = loss.mul(1 - labelSmoothing).add(uniform.mul(labelSmoothing));
        }
        return reduction.apply(loss);
    }

    /** Cross-entropy with the given reduction and no label smoothing. */
    public static Var crossEntropy(Var logits, int[] labels, Reduction reduction) {
        return crossEntropy(logits, labels, reduction, 0);
    }

    /** Cross-entropy averaged over the batch: {@code mean_i -log softmax(x_i)[y_i]}. */
    public static Var crossEntropy(Var logits, int[] labels) {
        return crossEntropy(logits, labels, Reduction.MEAN, 0);
    }

    /** Squared error {@code ℓ = (x - t)²} element-wise (MEAN averages over all elements); shapes must match. */
    public static Var mse(Var pred, Var target, Reduction reduction) {
        checkSameShape("mse", pred, target);
        return reduction.apply(pred.sub(target).square());
    }

    /** {@link #mse(Var, Var, Reduction)} against a constant target. */
    public static Var mse(Var pred, Tensor target, Reduction reduction) {
        return mse(pred, Var.of(target), reduction);
    }

    /**
     * Binary cross-entropy on logits {@code x} with targets {@code t ∈ [0, 1]}, element-wise, in the stable form
     * {@code ℓ = softplus(x) - x·t = max(x, 0) - x·t + log(1 + e^{-|x|})}.
     */
    public static Var bceWithLogits(Var logits, Var target, Reduction reduction) {
        checkSameShape("bceWithLogits", logits, target);
        return reduction.apply(logits.softplus().sub(logits.mul(target)));
    }

    /** {@link #bceWithLogits(Var, Var, Reduction)} against constant targets. */
    public static Var bceWithLogits(Var logits, Tensor target, Reduction reduction) {
        return bceWithLogits(logits, Var.of(target), reduction);
    }

    /**
     * PyTorch's {@code multi_margin_loss} with p = 1: {@code ℓ_i = Σ_{j≠y_i} max(0, margin - x[i, y_i] + x[i, j]) / C}.
     */
    public static Var multiMarginLoss(Var logits, int[] labels, double margin, Reduction reduction) {
        checkLabels("multiMarginLoss", logits, labels);
        int n = labels.length;
        int c = logits.shape()[1];
        Tensor others = Tensor.onesLike(logits.value()).sub(Tensor.oneHot(labels, c, logits.dtype()));
        Var hinge = logits.sub(logits.gather(1, labels)).add(margin).relu().mul(others);
        return reduction.apply(hinge.sum(1, false).div(c).reshape(n));
    }
}
