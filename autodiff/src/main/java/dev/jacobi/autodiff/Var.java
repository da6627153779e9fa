package dev.jacobi.autodiff;

import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A value in a reverse-mode autodiff graph: a {@link Tensor} plus, when recorded, the {@link Op} that made it and
 * its inputs. Ops carry PyTorch's names.
 *
 * <p>Each primitive op is declared once, with its forward kernel and its backward rule, in the file its
 * {@link Op.Kind} names ({@code ElementwiseOps}, {@code ReductionOps}, {@code ShapeOps}, {@code LinalgOps},
 * {@code ConvPoolOps}); the methods here call them. The other methods are composites of primitives. Every rule is
 * written with {@code Var} ops, so a gradient computed with {@code createGraph = true} is itself a graph and can be
 * differentiated again, to any order.
 *
 * <p>Misuse fails loudly, as in PyTorch: a second {@link #backward()} through a graph that the first one freed, or
 * through an intermediate of that graph, throws {@link IllegalStateException} (pass {@code retainGraph = true} to
 * keep it); so does {@code backward()} of a value that does not require a gradient. Where a convention deliberately
 * differs from PyTorch, the method says so ({@code docs/AUTODIFF.md} lists them all).
 */
public final class Var {
    private final Tensor value;
    private final boolean requiresGrad;
    /** Made by the user ({@link #of}, {@link #param}) or by an op that recorded no graph; never changes. */
    private final boolean leaf;
    /** Made, or depends on a value made, under {@link Autodiff#noGrad()} from values that require a gradient. */
    private final boolean madeWithoutGrad;
    final Op op;
    Var[] inputs;
    Rule rule;
    private Tensor grad;
    /** The value's {@link Tensor#version()} when this Var was made; a backward that reads it checks it. */
    private final int version;
    /** Why this leaf may no longer be used in ops ({@link #retire}), or null. */
    private String retired;

    private Var(Tensor value, boolean requiresGrad, boolean madeWithoutGrad, Op op, Var[] inputs, Rule rule) {
        this.value = value;
        this.version = value.version();
        this.requiresGrad = requiresGrad;
        this.leaf = rule == null;
        this.madeWithoutGrad = madeWithoutGrad;
        this.op = op;
        this.inputs = inputs;
        this.rule = rule;
    }

    /** A constant: no gradient flows into it. */
    public static Var of(Tensor value) {
        return new Var(value, false, false, null, null, null);
    }

    /** A leaf that requires a gradient (a parameter or an input to differentiate with respect to). */
    public static Var param(Tensor value) {
        return new Var(value, true, false, null, null, null);
    }

    /** Records {@code value} as the result of {@code op} on {@code in}, if grad mode is on and an input needs it. */
    static Var make(Op op, Tensor value, Rule rule, Var... in) {
        boolean needs = false;
        boolean without = false;
        for (Var v : in) {
            if (v.retired != null) {
                throw new IllegalStateException(op + ": " + v.retired);
            }
            needs |= v.requiresGrad;
            without |= v.madeWithoutGrad;
        }
        if (needs && GradMode.enabled()) {
            return new Var(value, true, false, op, in, rule);
        }
        return new Var(value, false, without || needs, op, null, null);
    }

    /**
     * Marks this leaf as replaced by its holder: from now on every op that takes it throws an
     * {@link IllegalStateException} with {@code why}. {@code dev.jacobi.nn.Parameter} calls it when an optimizer step
     * or a state-dict load gives the parameter a new leaf, so that a layer which kept the old leaf fails at its next
     * forward instead of silently never training. Reading {@link #value()} and {@link #grad()} stays allowed.
     */
    public void retire(String why) {
        if (!leaf || !requiresGrad) {
            throw new IllegalStateException("Var.retire: only a parameter leaf (Var.param) can be retired");
        }
        retired = why;
    }

    /** The value. */
    public Tensor value() {
        return value;
    }

    /** Whether gradients flow into this value. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Whether this is a leaf: made by the user ({@link #of}, {@link #param}) or by an op that recorded no graph, as
     * opposed to an op's recorded result. A backward that frees the graph does not make its results leaves.
     */
    public boolean isLeaf() {
        return leaf;
    }

    /** Whether this is a recorded op's result whose graph a backward without {@code retainGraph} has freed. */
    boolean isFreed() {
        return !leaf && rule == null;
    }

    /**
     * Throws if an in-place op has written this value since it was recorded, as PyTorch's "one of the variables
     * needed for gradient computation has been modified by an inplace operation".
     */
    void checkVersion(Op user) {
        if (value.version() != version) {
            throw new IllegalStateException("one of the values needed for gradient computation has been modified by"
                    + " an in-place operation: the " + (op == null ? "leaf" : op + " result") + " of shape "
                    + Shapes.str(value.shape()) + " (an input of " + user + ") is at version "
                    + value.version() + ", but was recorded at version " + version + ". Write a copy() of it in"
                    + " place instead, or do the in-place op after backward.");
        }
    }

    /** Frees this node's part of the graph (its rule and inputs); a later backward through it throws. */
    void free() {
        if (!leaf) {
            if (rule != null) {
                rule.free();
            }
            rule = null;
            inputs = null;
        }
    }

    /** Why a value that does not require a gradient has none, for the error of a backward through it. */
    String whyNoGrad() {
        return madeWithoutGrad
                ? "it was computed under Autodiff.noGrad() (graph recording off), so no graph was recorded; compute it"
                        + " with recording on, outside noGrad() or inside Autodiff.enableGrad()"
                : "it was built only from constants (Var.of), so nothing in it can receive a gradient; make the values"
                        + " to differentiate with respect to parameters (Var.param, or a Layer's parameters)";
    }

    /** The gradient accumulated by {@link #backward()} (null before any backward or after {@link #zeroGrad()}). */
    public Tensor grad() {
        return grad;
    }

    /** Replaces the accumulated gradient of a leaf (null clears it), as PyTorch's {@code p.grad = g}. */
    public void setGrad(Tensor g) {
        if (g != null && (!Arrays.equals(g.shape(), value.shape()) || g.dtype() != value.dtype())) {
            throw new IllegalArgumentException("setGrad: gradient " + Shapes.str(g.shape()) + " " + g.dtype()
                    + " does not match the value " + Shapes.str(value.shape()) + " " + value.dtype());
        }
        grad = g;
    }

    /** Clears the accumulated gradient. */
    public void zeroGrad() {
        grad = null;
    }

    void accumulate(Tensor g) {
        grad = grad == null ? g : grad.add(g);
    }

    /** The same value, cut from the graph. */
    public Var detach() {
        return of(value);
    }

    /** The value's shape. */
    public int[] shape() {
        return value.shape();
    }

    /** The value's number of dims. */
    public int dim() {
        return value.dim();
    }

    /** The value's dtype. */
    public DType dtype() {
        return value.dtype();
    }

    /** The value of a one-element Var. */
    public double item() {
        return value.item();
    }

    /**
     * Accumulates {@code d this / d leaf} into every leaf parameter's {@link #grad()}; {@code this} must be a
     * scalar. The graph is freed afterwards, so a second backward through it throws; use
     * {@link #backward(Tensor, boolean)} with {@code retainGraph} to keep it.
     *
     * @throws IllegalStateException if this does not require a gradient (made under {@link Autodiff#noGrad()} or
     *     only from constants), or if its graph was freed by an earlier backward
     * @throws IllegalArgumentException if this is not a one-element value
     */
    public void backward() {
        backward(null, false);
    }

    /**
     * Accumulates {@code gradOutputᵀ · d this / d leaf} into the leaves ({@code gradOutput} may be null only for a
     * one-element value); frees the graph unless {@code retainGraph}. Throws as {@link #backward()}.
     */
    public void backward(Tensor gradOutput, boolean retainGraph) {
        Autodiff.backward(this, gradOutput, retainGraph);
    }

    @Override
    public String toString() {
        String made = op != null ? op.name().toLowerCase(java.util.Locale.ROOT) : requiresGrad ? "param" : "const";
        return "Var(" + made + ", requiresGrad=" + requiresGrad + ") " + value;
    }

    private Var scalar(double s) {
        return of(Tensor.scalar(value.dtype(), s));
    }

    private int[] allDims() {
        int[] all = new int[dim()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    /** Sums this (a broadcast result) down to {@code target} shape; the adjoint of {@link #expand}. */
    public Var sumTo(int[] target) {
        int[] s = value.shape();
        if (Arrays.equals(s, target)) {
            return this;
        }
        int lead = s.length - target.length;
        if (lead < 0) {
            throw new IllegalArgumentException("sumTo: cannot sum shape " + Shapes.str(s) + " to " + Shapes.str(target));
        }
        List<Integer> dims = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            if (i < lead || (target[i - lead] == 1 && s[i] != 1)) {
                dims.add(i);
            } else if (target[i - lead] != s[i]) {
                throw new IllegalArgumentException("sumTo: cannot sum shape " + Shapes.str(s) + " to " + Shapes.str(target));
            }
        }
        return sum(dims.stream().mapToInt(Integer::intValue).toArray(), true).reshape(target);
    }

    // ------------------------------------------------------------------ element-wise (ElementwiseOps)

    /** {@code a + b}, broadcasting. */
    public Var add(Var o) {
        return ElementwiseOps.add(this, o);
    }

    /** {@code a - b}, broadcasting. */
    public Var sub(Var o) {
        return ElementwiseOps.sub(this, o);
    }

    /** {@code a * b}, broadcasting. */
    public Var mul(Var o) {
        return ElementwiseOps.mul(this, o);
    }

    /** {@code a / b}, broadcasting. */
    public Var div(Var o) {
        return ElementwiseOps.div(this, o);
    }

    /** Element-wise maximum; the gradient goes to the larger input, split evenly on ties. */
    public Var maximum(Var o) {
        return ElementwiseOps.maximum(this, o);
    }

    /** Element-wise minimum; the gradient goes to the smaller input, split evenly on ties. */
    public Var minimum(Var o) {
        return ElementwiseOps.minimum(this, o);
    }

    /** {@code condition != 0 ? a : b}, broadcasting; the condition is constant. */
    public static Var where(Tensor condition, Var a, Var b) {
        return ElementwiseOps.where(condition, a, b);
    }

    /** {@code this + s}. */
    public Var add(double s) {
        return add(scalar(s));
    }

    /** {@code this - s}. */
    public Var sub(double s) {
        return sub(scalar(s));
    }

    /** {@code this · s}. */
    public Var mul(double s) {
        return mul(scalar(s));
    }

    /** {@code this / s}. */
    public Var div(double s) {
        return mul(scalar(1.0 / s));
    }

    /** {@code this + t} for a constant tensor. */
    public Var add(Tensor t) {
        return add(of(t));
    }

    /** {@code this · t} for a constant tensor. */
    public Var mul(Tensor t) {
        return mul(of(t));
    }

    /** {@code -x}. */
    public Var neg() {
        return ElementwiseOps.neg(this);
    }

    /** {@code e^x}. */
    public Var exp() {
        return ElementwiseOps.exp(this);
    }

    /** {@code ln x}. */
    public Var log() {
        return ElementwiseOps.log(this);
    }

    /** {@code √x}; its gradient at 0 is infinite, as in PyTorch (use {@link #norm} for a norm, which gives 0). */
    public Var sqrt() {
        return ElementwiseOps.sqrt(this);
    }

    /** {@code tanh x}. */
    public Var tanh() {
        return ElementwiseOps.tanh(this);
    }

    /** {@code σ(x) = 1/(1+e^-x)}. */
    public Var sigmoid() {
        return ElementwiseOps.sigmoid(this);
    }

    /** {@code max(x, 0)}; its gradient at 0 is 0 and its second derivative is 0, as in PyTorch. */
    public Var relu() {
        return ElementwiseOps.relu(this);
    }

    /**
     * Batch normalisation of this {@code [N, C, ...]} with its batch statistics (training mode):
     * {@code (x − μ)/√(σ² + eps)·γ + β}, with {@code μ} and the biased {@code σ²} of each channel over every dim but 1,
     * {@code weight = γ} and {@code bias = β} of shape {@code [C]}, followed by a ReLU if {@code relu} (folded into
     * the same passes). Forward and backward are fused passes over each channel (see
     * {@link dev.jacobi.core.Normalization}); gradients of every order are those of the formula. It updates no
     * running statistics: {@link dev.jacobi.nn.BatchNorm2d} does, from the statistics returned here.
     *
     * @return the output and the batch statistics it used
     */
    public BatchNormOutput batchNorm(Var weight, Var bias, double eps, boolean relu) {
        return NormOps.batchNorm(this, weight, bias, eps, relu);
    }

    /**
     * The result of {@link #batchNorm}: the output and, per channel ({@code [C]}), the batch mean and biased variance
     * it normalised with.
     */
    public record BatchNormOutput(Var output, Tensor mean, Tensor var) {
    }

    /**
     * {@code max(a + b, 0)}, broadcasting: {@code add(o).relu()} in one pass and one node (PyTorch's
     * {@code _add_relu}), with the same values and gradients of every order. {@link dev.jacobi.nn.Sequential} uses it
     * for a {@code Linear} or {@code BatchNorm} followed by a {@code ReLU}.
     */
    public Var addRelu(Var o) {
        return ElementwiseOps.addRelu(this, o);
    }

    /** {@code |x|}; its gradient at 0 is 0, as in PyTorch. */
    public Var abs() {
        return ElementwiseOps.abs(this);
    }

    /** {@code x²}. */
    public Var square() {
        return ElementwiseOps.square(this);
    }

    /** {@code x^p} for a constant exponent; the gradient of {@code x^0} is 0 everywhere, also at 0 (PyTorch's). */
    public Var pow(double p) {
        if (p == 2) {
            return square();
        }
        if (p == 1) {
            return this;
        }
        return ElementwiseOps.pow(this, p);
    }

    /**
     * {@code x^e} element-wise, broadcasting, with a differentiable exponent (PyTorch's {@code pow(Tensor, Tensor)}).
     * The base's gradient is 0 where {@code e = 0}; the exponent's is 0 where {@code x = 0} and {@code e ≥ 0}, and
     * NaN for a negative base, as in PyTorch.
     */
    public Var pow(Var exponent) {
        return ElementwiseOps.pow(this, exponent);
    }

    /** {@code sin x}. */
    public Var sin() {
        return ElementwiseOps.sin(this);
    }

    /** {@code cos x}. */
    public Var cos() {
        return ElementwiseOps.cos(this);
    }

    /** {@code x} limited to {@code [min, max]}; the gradient passes where {@code min ≤ x ≤ max}, as in PyTorch. */
    public Var clamp(double min, double max) {
        return ElementwiseOps.clamp(this, min, max);
    }

    /** {@code x} where {@code x > 0}, else {@code slope·x}. Composite. */
    public Var leakyRelu(double slope) {
        return where(value.gt(0), this, mul(slope));
    }

    /** {@code log(1 + e^x)}, PyTorch's {@code softplus} with {@code beta = 1, threshold = 20}. Composite. */
    public Var softplus() {
        return softplus(1, 20);
    }

    /**
     * PyTorch's {@code softplus(x, beta, threshold)}: {@code log(1 + e^(βx))/β}, and {@code x} itself where
     * {@code βx > threshold} (so the gradient there is exactly 1). Computed stably as
     * {@code (relu(βx) + log(1 + e^-|βx|))/β}. Composite.
     */
    public Var softplus(double beta, double threshold) {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("softplus: beta must be > 0, got " + beta);
        }
        Var bx = beta == 1 ? this : mul(beta);
        Var soft = bx.relu().add(bx.abs().neg().exp().add(1).log());
        soft = beta == 1 ? soft : soft.div(beta);
        return where(bx.value().gt(threshold), this, soft);
    }

    /** GELU with the tanh approximation: {@code x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))}. Composite. */
    public Var gelu() {
        Var inner = add(pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
        return mul(inner.tanh().add(1)).mul(0.5);
    }

    // ------------------------------------------------------------------ reductions (ReductionOps)

    /** Sum of all elements. */
    public Var sum() {
        return sum(allDims(), false);
    }

    /** Sum over {@code dim}. */
    public Var sum(int dim, boolean keepdim) {
        return sum(new int[] {dim}, keepdim);
    }

    /** Sum over {@code dims}. */
    public Var sum(int[] dims, boolean keepdim) {
        return ReductionOps.sum(this, dims, keepdim);
    }

    /** Mean of all elements. */
    public Var mean() {
        return sum().div(value.numel());
    }

    /** Mean over {@code dims}. */
    public Var mean(int[] dims, boolean keepdim) {
        Var s = sum(dims, keepdim);
        return s.div((double) value.numel() / Math.max(1, s.value.numel()));
    }

    /** Mean over {@code dim}. */
    public Var mean(int dim, boolean keepdim) {
        return mean(new int[] {dim}, keepdim);
    }

    /**
     * Variance over {@code dims}, {@code Σ(x − mean)² / (N − correction)} with {@code N} the number of reduced
     * elements (PyTorch's {@code var(dim, correction=, keepdim=)}; {@code correction = 1} is Bessel's). Composite.
     *
     * @throws IllegalArgumentException if {@code N − correction ≤ 0} (PyTorch returns inf or NaN there)
     */
    public Var var(int[] dims, double correction, boolean keepdim) {
        return sub(mean(dims, true)).square().sum(dims, keepdim).div(degreesOfFreedom(dims, correction, "var"));
    }

    /** Variance of all elements with Bessel's correction (PyTorch's {@code var()}). */
    public Var var() {
        return var(allDims(), 1, false);
    }

    /**
     * Standard deviation over {@code dims}, {@code √var(dims, correction)} (PyTorch's {@code std}). Where the
     * deviation is 0 (a constant slice), the gradient is 0, as in PyTorch. Composite, through {@link #norm}.
     *
     * @throws IllegalArgumentException if {@code N − correction ≤ 0}
     */
    public Var std(int[] dims, double correction, boolean keepdim) {
        double dof = degreesOfFreedom(dims, correction, "std");
        // a constant slice's deviations are made exactly 0 (its rounded mean may differ from its value), so that
        // the norm's rule gives it a zero gradient
        Tensor varying = value.amax(dims, true).ne(value.amin(dims, true));
        return sub(mean(dims, true)).mul(of(varying)).norm(2, dims, keepdim).div(Math.sqrt(dof));
    }

    /** Standard deviation of all elements with Bessel's correction (PyTorch's {@code std()}). */
    public Var std() {
        return std(allDims(), 1, false);
    }

    /** {@code N − correction} for the {@code N} elements reduced over {@code dims}; it must be positive. */
    private double degreesOfFreedom(int[] dims, double correction, String op) {
        int n = 1;
        boolean[] seen = new boolean[dim()];
        for (int d : dims) {
            int k = Shapes.dim(d, dim(), op);
            if (!seen[k]) {
                seen[k] = true;
                n *= shape()[k];
            }
        }
        double dof = n - correction;
        if (!(dof > 0)) {
            throw new IllegalArgumentException(op + ": " + n + " elements reduced over dims " + Arrays.toString(dims)
                    + " of shape " + Shapes.str(shape()) + " with correction " + correction + " leave " + dof
                    + " degrees of freedom; need more than 0");
        }
        return dof;
    }

    /**
     * The positions of the maxima along {@code dim}, as PyTorch's {@code argmax(dim)}: an index per element of the
     * result shape (the shape without {@code dim}), in row-major order, the first on ties. Indices are not
     * differentiable, so this returns them as {@code int[]} and records nothing.
     */
    public int[] argmax(int dim) {
        return value.argmax(dim);
    }

    /** The flat position of the maximum of all elements (the first on ties), as PyTorch's {@code argmax()}. */
    public int argmax() {
        return value.argmax();
    }

    /** Maximum over {@code dims}; the gradient is shared evenly by the maximal elements (PyTorch's {@code amax}). */
    public Var amax(int[] dims, boolean keepdim) {
        return ReductionOps.amax(this, dims, keepdim);
    }

    /** Minimum over {@code dims}; the gradient is shared evenly by the minimal elements (PyTorch's {@code amin}). */
    public Var amin(int[] dims, boolean keepdim) {
        return ReductionOps.amin(this, dims, keepdim);
    }

    /** Values of a reduction along one dim and the positions along that dim they came from. */
    public record ValuesIndices(Var values, int[] indices) {
    }

    /**
     * Maximum over {@code dim} with the index of the first maximum, PyTorch's {@code max(dim, keepdim)}; the
     * gradient goes to that one element (unlike {@link #amax}, which shares it among ties). Composite, through
     * {@link #gather}.
     */
    public ValuesIndices max(int dim, boolean keepdim) {
        return selectAlong(value.max(dim, keepdim).indices(), dim, keepdim);
    }

    /** Minimum over {@code dim} with the index of the first minimum, PyTorch's {@code min(dim, keepdim)}. */
    public ValuesIndices min(int dim, boolean keepdim) {
        return selectAlong(value.min(dim, keepdim).indices(), dim, keepdim);
    }

    private ValuesIndices selectAlong(int[] idx, int dim, boolean keepdim) {
        int k = Shapes.dim(dim, dim(), "max");
        Var v = gather(k, idx);
        return new ValuesIndices(keepdim ? v : v.squeeze(k), idx);
    }

    /** {@code log Σ exp(x)} over {@code dims}, stable (the shift by the maximum is a constant). Composite. */
    public Var logSumExp(int[] dims, boolean keepdim) {
        Tensor m = value.amax(dims, true);
        Tensor safe = Tensor.where(m.abs().lt(Double.POSITIVE_INFINITY), m, Tensor.zerosLike(m));
        Var r = sub(of(safe)).exp().sum(dims, true).log().add(of(safe));
        return keepdim ? r : r.reshape(ReductionOps.dropped(shape(), dims));
    }

    /** {@code x - logSumExp(x)} over {@code dim}. Composite. */
    public Var logSoftmax(int dim) {
        return sub(logSumExp(new int[] {dim}, true));
    }

    /** {@code exp(logSoftmax(x))} over {@code dim}. Composite. */
    public Var softmax(int dim) {
        return logSoftmax(dim).exp();
    }

    /** p-norm over all elements (p = 1, 2 or infinity). */
    public Var norm(double p) {
        return norm(p, allDims(), false);
    }

    /**
     * p-norm over {@code dims} (p = 1, 2 or infinity). At a zero vector the gradient is 0 for every p, as in
     * PyTorch; the 2-norm's second derivative there is 0 too, where PyTorch gives NaN.
     */
    public Var norm(double p, int[] dims, boolean keepdim) {
        if (p == 1) {
            return abs().sum(dims, keepdim);
        } else if (p == 2) {
            return ReductionOps.norm2(this, dims, keepdim);
        } else if (p == Double.POSITIVE_INFINITY) {
            return abs().amax(dims, keepdim);
        }
        throw new IllegalArgumentException("norm: p must be 1, 2 or infinity, got " + p);
    }

    // ------------------------------------------------------------------ linear algebra (LinalgOps)

    /**
     * Matrix product with all of PyTorch's rank cases: 1-D · 1-D is the dot product (a 0-dim result); a 1-D first
     * operand is a row and a 1-D second operand a column, removed again from the result; dims before the last two
     * are batch dims and broadcast.
     */
    public Var matmul(Var o) {
        if (dim() == 0 || o.dim() == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least one dim, got "
                    + Shapes.str(shape()) + " x " + Shapes.str(o.shape()) + "; use mul for a scalar");
        }
        if (dim() == 1 && o.dim() == 1) {
            return unsqueeze(0).matmul(o.unsqueeze(1)).reshape();
        }
        if (dim() == 1) {
            return unsqueeze(0).matmul(o).squeeze(-2);
        }
        if (o.dim() == 1) {
            return matmul(o.unsqueeze(1)).squeeze(-1);
        }
        return LinalgOps.matmul(this, o);
    }

    /**
     * {@code this + mat1·mat2} for matrices {@code mat1 [m, k]}, {@code mat2 [k, n]}, this broadcastable to
     * {@code [m, n]} (PyTorch's {@code addmm}), in one GEMM.
     */
    public Var addmm(Var mat1, Var mat2) {
        return LinalgOps.addmm(this, mat1, mat2);
    }

    /**
     * The inverse of each square matrix in the last two dims ({@code [..., n, n]}), as PyTorch's {@code inverse}
     * ({@code torch.linalg.inv}); a singular matrix is an IllegalArgumentException. Differentiable to any order.
     */
    public Var inverse() {
        return LinalgOps.inverse(this);
    }

    /** The last two dims swapped. */
    public Var mT() {
        return transpose(-2, -1);
    }

    /** The transpose of a matrix. */
    public Var t() {
        return dim() < 2 ? this : transpose(0, 1);
    }

    // ------------------------------------------------------------------ shape (ShapeOps)

    /** A new shape (one size may be -1). */
    public Var reshape(int... newShape) {
        return ShapeOps.reshape(this, newShape);
    }

    /** Dims {@code start..end} merged. */
    public Var flatten(int start, int end) {
        return reshape(value.flatten(start, end).shape());
    }

    /** Dims permuted. */
    public Var permute(int... dims) {
        return ShapeOps.permute(this, dims);
    }

    /** Two dims swapped. */
    public Var transpose(int dim0, int dim1) {
        int r = dim();
        int[] p = new int[r];
        for (int i = 0; i < r; i++) {
            p[i] = i;
        }
        int a = Shapes.dim(dim0, r, "transpose");
        int b = Shapes.dim(dim1, r, "transpose");
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** Broadcast to {@code sizes}. */
    public Var expand(int... sizes) {
        return ShapeOps.expand(this, sizes);
    }

    /** A dim of size one inserted. */
    public Var unsqueeze(int dim) {
        return reshape(value.unsqueeze(dim).shape());
    }

    /** Dim {@code dim} removed if its size is one. */
    public Var squeeze(int dim) {
        return reshape(value.squeeze(dim).shape());
    }

    /** Elements {@code start..start+length-1} of {@code dim}. */
    public Var narrow(int dim, int start, int length) {
        return ShapeOps.narrow(this, dim, start, length);
    }

    /** Index {@code index} of {@code dim}, with the dim removed. */
    public Var select(int dim, int index) {
        int k = Shapes.dim(dim, dim(), "select");
        int i = index < 0 ? index + shape()[k] : index;
        return narrow(k, i, 1).squeeze(k);
    }

    /**
     * Pieces of {@code splitSize} along {@code dim}, the last one smaller if the size does not divide (PyTorch's
     * {@code split(int, dim)}). Composite, through {@link #narrow}.
     */
    public List<Var> split(int splitSize, int dim) {
        if (splitSize <= 0) {
            throw new IllegalArgumentException("split: splitSize must be positive, got " + splitSize);
        }
        int k = Shapes.dim(dim, dim(), "split");
        int size = shape()[k];
        int pieces = Math.max(1, (size + splitSize - 1) / splitSize);
        int[] sizes = new int[pieces];
        for (int i = 0; i < pieces; i++) {
            sizes[i] = Math.min(splitSize, size - i * splitSize);
        }
        return split(sizes, k);
    }

    /** Pieces of the given sizes along {@code dim}, which must add up to its size (PyTorch's {@code split(list)}). */
    public List<Var> split(int[] sizes, int dim) {
        int k = Shapes.dim(dim, dim(), "split");
        int total = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("split: sizes must be >= 0, got " + Arrays.toString(sizes));
            }
            total += s;
        }
        if (total != shape()[k]) {
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " add up to " + total
                    + ", but dim " + k + " of shape " + Shapes.str(shape()) + " has size " + shape()[k]);
        }
        List<Var> out = new ArrayList<>(sizes.length);
        for (int i = 0, at = 0; i < sizes.length; at += sizes[i++]) {
            out.add(narrow(k, at, sizes[i]));
        }
        return out;
    }

    /**
     * {@code chunks} pieces of {@code ceil(size/chunks)} along {@code dim}, fewer if the size runs out (PyTorch's
     * {@code chunk}).
     */
    public List<Var> chunk(int chunks, int dim) {
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: chunks must be positive, got " + chunks);
        }
        int size = shape()[Shapes.dim(dim, dim(), "chunk")];
        return split(Math.max(1, (size + chunks - 1) / chunks), dim);
    }

    /** Vars joined along {@code dim}. */
    public static Var cat(List<Var> vars, int dim) {
        return ShapeOps.cat(vars, dim);
    }

    /** Vars of one shape stacked along a new dim. */
    public static Var stack(List<Var> vars, int dim) {
        List<Var> u = new ArrayList<>(vars.size());
        int k = Shapes.dim(dim, vars.get(0).dim() + 1, "stack");
        for (Var v : vars) {
            u.add(v.unsqueeze(k));
        }
        return cat(u, k);
    }

    /** {@code out[…, j, …] = x[…, index[…, j, …], …]} along {@code dim} (the index row-major, of the result's shape). */
    public Var gather(int dim, int[] index) {
        return ShapeOps.gather(this, dim, index);
    }

    /** {@code this} with {@code src} added at the gathered positions. */
    public Var scatterAdd(int dim, int[] index, Var src) {
        return ShapeOps.scatterAdd(this, dim, index, src);
    }

    /** Entries {@code index} of {@code dim}, in order, repeats allowed. */
    public Var indexSelect(int dim, int[] index) {
        return ShapeOps.indexSelect(this, dim, index);
    }

    /** {@code this} with slice {@code i} of {@code src} along {@code dim} added to slice {@code index[i]}. */
    public Var indexAdd(int dim, int[] index, Var src) {
        return ShapeOps.indexAdd(this, dim, index, src);
    }

    // ------------------------------------------------------------------ convolution and pooling (ConvPoolOps)

    /**
     * 2-D convolution (cross-correlation) of this {@code [N, Cin, H, W]} with {@code w [Cout, Cin/groups, kh, kw]},
     * plus {@code bias [Cout]} if not null.
     */
    public Var conv2d(Var w, Var bias, Conv2dSpec s) {
        return ConvPoolOps.conv2d(this, w, bias, s);
    }

    /** The adjoint of {@link #conv2d} with respect to its input (a transposed convolution), for an {@code h×w} input. */
    public static Var conv2dInput(Var gy, Var w, int h, int wd, Conv2dSpec s) {
        return ConvPoolOps.conv2dInput(gy, w, h, wd, s);
    }

    /** The adjoint of {@link #conv2d} with respect to its weight, for a {@code kh×kw} kernel. */
    public static Var conv2dWeight(Var x, Var gy, int kh, int kw, Conv2dSpec s) {
        return ConvPoolOps.conv2dWeight(x, gy, kh, kw, s);
    }

    /**
     * Max pooling over {@code k×k} windows with stride {@code stride} and padding {@code padding} (counting as −∞).
     * The gradient goes to the arg-max positions, so the second derivative is 0.
     */
    public Var maxPool2d(int k, int stride, int padding) {
        return ConvPoolOps.maxPool2d(this, k, stride, padding);
    }

    /** Average pooling over {@code k×k} windows (padding counted in the divisor). */
    public Var avgPool2d(int k, int stride, int padding) {
        return ConvPoolOps.avgPool2d(this, k, stride, padding);
    }

    /** Padding of the last two dims ({@code left, right, top, bottom}, or {@code left, right}). */
    public Var pad(int[] pads, PaddingMode mode) {
        return ConvPoolOps.pad(this, pads, mode);
    }

    /** {@code [N, C·r², H, W] → [N, C, H·r, W·r]}. */
    public Var pixelShuffle(int r) {
        return ConvPoolOps.pixelShuffle(this, r);
    }

    /** {@code [N, C, H·r, W·r] → [N, C·r², H, W]}. */
    public Var pixelUnshuffle(int r) {
        return ConvPoolOps.pixelUnshuffle(this, r);
    }

    /**
     * Bilinear sampling of this {@code [N, C, H, W]} at {@code grid [N, Ho, Wo, 2]} with zero padding, PyTorch's
     * {@code grid_sample(mode='bilinear', padding_mode='zeros', align_corners=False)}; differentiable to any order in
     * both arguments.
     */
    public Var gridSample(Var grid) {
        return gridSample(grid, false);
    }

    /**
     * As {@link #gridSample(Var)} with PyTorch's {@code align_corners}: with {@code true}, the grid's −1 and 1 are
     * the centres of the corner pixels; with {@code false}, their outer edges.
     */
    public Var gridSample(Var grid, boolean alignCorners) {
        return ConvPoolOps.gridSample(this, grid, alignCorners);
    }
}
