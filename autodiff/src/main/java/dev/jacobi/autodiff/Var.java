package dev.jacobi.autodiff;

import dev.jacobi.core.Conv;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Pool;
import dev.jacobi.core.Spatial;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A value in a reverse-mode autodiff graph: a {@link Tensor} plus, when recorded, the op that made it and its
 * inputs. Ops carry the same names as {@link Tensor}'s (PyTorch's).
 *
 * <p>Every backward rule below is written with {@code Var} ops, never on raw arrays, so a gradient computed with
 * {@code createGraph = true} is itself a graph and can be differentiated again, to any order. Each rule's comment
 * gives the math; {@code g} is the incoming cotangent at every order.
 */
public final class Var {
    /** A backward rule: the cotangents of the inputs given the output's cotangent {@code g}. */
    @FunctionalInterface
    interface Rule {
        /** Returns one cotangent per input ({@code null} where {@code needs[i]} is false or the input is constant). */
        Var[] apply(Var g, Var out, boolean[] needs);
    }

    /**
     * A rule that adds each input's cotangent onto that input's cotangent summed so far, {@code acc[i]} (null if
     * none), itself, where it can do so more cheaply than the engine's separate {@code add}: a matrix product's
     * cotangent is formed by one {@code addmm} that accumulates onto the sum.
     */
    @FunctionalInterface
    interface AccumulatingRule extends Rule {
        /**
         * Returns, per input, {@code acc[i]} plus its cotangent (null where {@code needs[i]} is false). On entry
         * {@code owned[i]} says that no one but the engine holds {@code acc[i]}'s storage, so that without a graph
         * the rule may add into it in place; on return, that the returned sum is likewise fresh and unshared.
         */
        Var[] applyOnto(Var g, Var out, boolean[] needs, Var[] acc, boolean[] owned);

        @Override
        default Var[] apply(Var g, Var out, boolean[] needs) {
            return applyOnto(g, out, needs, new Var[needs.length], new boolean[needs.length]);
        }
    }

    /** Names of the primitive ops: every one has a backward rule and an entry in the gradient-check registry. */
    static final java.util.Set<String> PRIMITIVES = java.util.Set.of(
            "add", "sub", "mul", "div", "maximum", "minimum", "where", "neg", "exp", "log", "sqrt", "tanh",
            "sigmoid", "relu", "abs", "square", "pow", "sin", "cos", "clamp", "sum", "amax", "amin", "matmul", "addmm",
            "reshape", "permute", "expand", "narrow", "cat", "gather", "scatterAdd", "conv2d", "conv2dInput",
            "conv2dWeight", "maxPool2d", "scatterFlat", "gatherFlat", "avgPool2d", "avgPool2dAdjoint", "pad",
            "padAdjoint", "pixelShuffle", "pixelUnshuffle", "gridSample", "thresholdBackward");

    private final Tensor value;
    private final boolean requiresGrad;
    final String op;
    Var[] inputs;
    Rule rule;
    private Tensor grad;

    private Var(Tensor value, boolean requiresGrad, String op, Var[] inputs, Rule rule) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.op = op;
        this.inputs = inputs;
        this.rule = rule;
    }

    /** A constant: no gradient flows into it. */
    public static Var of(Tensor value) {
        return new Var(value, false, "const", null, null);
    }

    /** A leaf that requires a gradient (a parameter or an input to differentiate with respect to). */
    public static Var param(Tensor value) {
        return new Var(value, true, "leaf", null, null);
    }

    /** Records {@code value} as the result of {@code op} on {@code in}, if grad mode is on and an input needs it. */
    static Var make(String op, Tensor value, Rule rule, Var... in) {
        assert PRIMITIVES.contains(op) : "unregistered primitive " + op;
        if (GradMode.enabled()) {
            for (Var v : in) {
                if (v.requiresGrad) {
                    return new Var(value, true, op, in, rule);
                }
            }
        }
        return new Var(value, false, op, null, null);
    }

    /** The value. */
    public Tensor value() {
        return value;
    }

    /** Whether gradients flow into this value. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Whether this is a leaf (a constant or a parameter), as opposed to an op's result. */
    public boolean isLeaf() {
        return rule == null;
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
     * scalar. The graph is freed afterwards.
     */
    public void backward() {
        backward(null, false);
    }

    /** Accumulates {@code gradOutputᵀ · d this / d leaf} into the leaves; frees the graph unless {@code retainGraph}. */
    public void backward(Tensor gradOutput, boolean retainGraph) {
        Autodiff.backward(this, gradOutput, retainGraph);
    }

    @Override
    public String toString() {
        return "Var(" + op + ", requiresGrad=" + requiresGrad + ") " + value;
    }

    // ------------------------------------------------------------------ helpers

    private Var constLike(Tensor t) {
        return of(t);
    }

    private Tensor scalarT(double s) {
        return Tensor.scalar(value.dtype(), s);
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

    // ------------------------------------------------------------------ element-wise, binary

    /** {@code a + b}, broadcasting. Rule: {@code (g, g)} summed to each input's shape. */
    public Var add(Var o) {
        int[] sa = shape();
        int[] sb = o.shape();
        return make("add", value.add(o.value), (g, out, n) -> new Var[] {
                n[0] ? g.sumTo(sa) : null, n[1] ? g.sumTo(sb) : null}, this, o);
    }

    /** {@code a - b}, broadcasting. Rule: {@code (g, -g)}. */
    public Var sub(Var o) {
        int[] sa = shape();
        int[] sb = o.shape();
        return make("sub", value.sub(o.value), (g, out, n) -> new Var[] {
                n[0] ? g.sumTo(sa) : null, n[1] ? g.neg().sumTo(sb) : null}, this, o);
    }

    /** {@code a * b}, broadcasting. Rule: {@code (g·b, g·a)}. */
    public Var mul(Var o) {
        int[] sa = shape();
        int[] sb = o.shape();
        return make("mul", value.mul(o.value), (g, out, n) -> new Var[] {
                n[0] ? g.mul(o).sumTo(sa) : null, n[1] ? g.mul(this).sumTo(sb) : null}, this, o);
    }

    /** {@code a / b}, broadcasting. Rule: {@code (g/b, -g·a/b²)}. */
    public Var div(Var o) {
        int[] sa = shape();
        int[] sb = o.shape();
        return make("div", value.div(o.value), (g, out, n) -> new Var[] {
                n[0] ? g.div(o).sumTo(sa) : null,
                n[1] ? g.mul(this).div(o.square()).neg().sumTo(sb) : null}, this, o);
    }

    /** Element-wise maximum. Rule: g goes to the larger input, split evenly on ties. */
    public Var maximum(Var o) {
        return select2("maximum", value.maximum(o.value), value.gt(o.value), o);
    }

    /** Element-wise minimum. Rule: g goes to the smaller input, split evenly on ties. */
    public Var minimum(Var o) {
        return select2("minimum", value.minimum(o.value), value.lt(o.value), o);
    }

    private Var select2(String name, Tensor result, Tensor firstWins, Var o) {
        Tensor tie = value.eq(o.value).mul(0.5);
        Tensor wa = firstWins.add(tie);
        Tensor wb = Tensor.onesLike(wa).sub(wa);
        int[] sa = shape();
        int[] sb = o.shape();
        return make(name, result, (g, out, n) -> new Var[] {
                n[0] ? g.mul(of(wa)).sumTo(sa) : null, n[1] ? g.mul(of(wb)).sumTo(sb) : null}, this, o);
    }

    /** {@code condition != 0 ? a : b}, broadcasting; the condition is constant. Rule: g masked to each side. */
    public static Var where(Tensor condition, Var a, Var b) {
        Tensor c = condition.ne(Tensor.zerosLike(condition));
        Tensor nc = Tensor.onesLike(c).sub(c);
        int[] sa = a.shape();
        int[] sb = b.shape();
        return make("where", Tensor.where(c, a.value, b.value), (g, out, n) -> new Var[] {
                n[0] ? g.mul(of(c)).sumTo(sa) : null, n[1] ? g.mul(of(nc)).sumTo(sb) : null}, a, b);
    }

    /** {@code this + s}. */
    public Var add(double s) {
        return add(constLike(scalarT(s)));
    }

    /** {@code this - s}. */
    public Var sub(double s) {
        return sub(constLike(scalarT(s)));
    }

    /** {@code this · s}. */
    public Var mul(double s) {
        return mul(constLike(scalarT(s)));
    }

    /** {@code this / s}. */
    public Var div(double s) {
        return mul(constLike(scalarT(1.0 / s)));
    }

    /** {@code this + t} for a constant tensor. */
    public Var add(Tensor t) {
        return add(of(t));
    }

    /** {@code this · t} for a constant tensor. */
    public Var mul(Tensor t) {
        return mul(of(t));
    }

    // ------------------------------------------------------------------ element-wise, unary

    /** {@code -x}. Rule: {@code -g}. */
    public Var neg() {
        return make("neg", value.neg(), (g, out, n) -> new Var[] {g.neg()}, this);
    }

    /** {@code e^x}. Rule: {@code g·e^x}. */
    public Var exp() {
        return make("exp", value.exp(), (g, out, n) -> new Var[] {g.mul(out)}, this);
    }

    /** {@code ln x}. Rule: {@code g/x}. */
    public Var log() {
        return make("log", value.log(), (g, out, n) -> new Var[] {g.div(this)}, this);
    }

    /** {@code √x}. Rule: {@code g/(2√x)}. */
    public Var sqrt() {
        return make("sqrt", value.sqrt(), (g, out, n) -> new Var[] {g.div(out.mul(2))}, this);
    }

    /** {@code tanh x}. Rule: {@code g·(1 - tanh²x)}. */
    public Var tanh() {
        return make("tanh", value.tanh(), (g, out, n) -> new Var[] {g.mul(out.square().neg().add(1))}, this);
    }

    /** {@code σ(x) = 1/(1+e^-x)}. Rule: {@code g·σ(1-σ)}. */
    public Var sigmoid() {
        return make("sigmoid", value.sigmoid(), (g, out, n) -> new Var[] {g.mul(out.mul(out.neg().add(1)))}, this);
    }

    /** {@code max(x, 0)}. Rule: {@code thresholdBackward(g, relu(x))}, i.e. {@code g·[x>0]}, so ReLU'' is 0. */
    public Var relu() {
        return make("relu", value.relu(), (g, out, n) -> new Var[] {thresholdBackward(g, out.value)}, this);
    }

    /**
     * {@code g} where {@code out > 0}, else 0: ReLU's backward in one pass ({@code out} is ReLU's output, positive
     * exactly where its input is). Linear in {@code g}; rule: itself, with the same {@code out}.
     */
    static Var thresholdBackward(Var g, Tensor out) {
        return make("thresholdBackward", g.value.thresholdBackward(out), (gg, o, n) ->
                new Var[] {thresholdBackward(gg, out)}, g);
    }

    /** {@code |x|}. Rule: {@code g·sign(x)} with a constant sign. */
    public Var abs() {
        Tensor s = value.sign();
        return make("abs", value.abs(), (g, out, n) -> new Var[] {g.mul(of(s))}, this);
    }

    /** {@code x²}. Rule: {@code 2x·g}. */
    public Var square() {
        return make("square", value.square(), (g, out, n) -> new Var[] {g.mul(this).mul(2)}, this);
    }

    /** {@code x^p} for a constant exponent. Rule: {@code p·x^(p-1)·g}. */
    public Var pow(double p) {
        if (p == 2) {
            return square();
        }
        if (p == 1) {
            return this;
        }
        return make("pow", value.pow(p), (g, out, n) -> new Var[] {g.mul(this.pow(p - 1)).mul(p)}, this);
    }

    /** {@code sin x}. Rule: {@code g·cos x}. */
    public Var sin() {
        return make("sin", value.sin(), (g, out, n) -> new Var[] {g.mul(this.cos())}, this);
    }

    /** {@code cos x}. Rule: {@code -g·sin x}. */
    public Var cos() {
        return make("cos", value.cos(), (g, out, n) -> new Var[] {g.mul(this.sin()).neg()}, this);
    }

    /** {@code x} limited to {@code [min, max]}. Rule: {@code g} where inside, 0 outside (constant mask). */
    public Var clamp(double min, double max) {
        Tensor inside = value.gt(min).mul(value.lt(max));
        return make("clamp", value.clamp(min, max), (g, out, n) -> new Var[] {g.mul(of(inside))}, this);
    }

    /** {@code x} where {@code x > 0}, else {@code slope·x}. Composite. */
    public Var leakyRelu(double slope) {
        return where(value.gt(0), this, mul(slope));
    }

    /** {@code log(1 + e^x)}, stable: {@code relu(x) + log(1 + e^-|x|)}. Composite. */
    public Var softplus() {
        return relu().add(abs().neg().exp().add(1).log());
    }

    /** GELU with the tanh approximation: {@code x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))}. Composite. */
    public Var gelu() {
        Var inner = add(pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
        return mul(inner.tanh().add(1)).mul(0.5);
    }

    // ------------------------------------------------------------------ reductions

    /** Sum of all elements. Rule: {@code g} expanded back. */
    public Var sum() {
        int[] all = new int[dim()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return sum(all, false);
    }

    /** Sum over {@code dim}. */
    public Var sum(int dim, boolean keepdim) {
        return sum(new int[] {dim}, keepdim);
    }

    /** Sum over {@code dims}. Rule: {@code g} reshaped with the dims kept, then expanded to the input shape. */
    public Var sum(int[] dims, boolean keepdim) {
        int[] s = shape();
        Tensor r = value.sum(dims, true);
        int[] keep = r.shape();
        Tensor res = keepdim ? r : r.reshape(dropped(s, dims));
        return make("sum", res, (g, out, n) -> new Var[] {g.reshape(keep).expand(s)}, this);
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

    /** Maximum over {@code dims}. Rule: g shared evenly by the maximal elements (a constant mask). */
    public Var amax(int[] dims, boolean keepdim) {
        return extreme("amax", value.amax(dims, true), dims, keepdim);
    }

    /** Minimum over {@code dims}. Rule: g shared evenly by the minimal elements (a constant mask). */
    public Var amin(int[] dims, boolean keepdim) {
        return extreme("amin", value.amin(dims, true), dims, keepdim);
    }

    private Var extreme(String name, Tensor m, int[] dims, boolean keepdim) {
        int[] s = shape();
        Tensor mask = value.eq(m);
        Tensor weight = mask.div(mask.sum(dims, true));
        int[] keep = m.shape();
        Tensor res = keepdim ? m : m.reshape(dropped(s, dims));
        return make(name, res, (g, out, n) -> new Var[] {g.reshape(keep).expand(s).mul(of(weight))}, this);
    }

    /** {@code log Σ exp(x)} over {@code dims}, stable (the shift by the maximum is a constant). Composite. */
    public Var logSumExp(int[] dims, boolean keepdim) {
        Tensor m = value.amax(dims, true);
        Tensor safe = Tensor.where(m.abs().lt(Double.POSITIVE_INFINITY), m, Tensor.zerosLike(m));
        Var r = sub(of(safe)).exp().sum(dims, true).log().add(of(safe));
        return keepdim ? r : r.reshape(dropped(shape(), dims));
    }

    /**
     * {@code shape} without the reduced {@code dims} (negative ones count from the end), which the reduction that
     * comes with it has already validated: the shape of a reduction without keepdim, computed without reducing again.
     */
    private static int[] dropped(int[] shape, int[] dims) {
        boolean[] drop = new boolean[shape.length];
        for (int d : dims) {
            drop[d < 0 ? d + shape.length : d] = true;
        }
        int[] out = new int[shape.length - dims.length];
        for (int i = 0, k = 0; i < shape.length; i++) {
            if (!drop[i]) {
                out[k++] = shape[i];
            }
        }
        return out;
    }

    /** {@code x - logSumExp(x)} over {@code dim}. Composite. */
    public Var logSoftmax(int dim) {
        return sub(logSumExp(new int[] {dim}, true));
    }

    /** {@code exp(logSoftmax(x))} over {@code dim}. Composite. */
    public Var softmax(int dim) {
        return logSoftmax(dim).exp();
    }

    /** p-norm over all elements (p = 1, 2 or infinity). Composite. */
    public Var norm(double p) {
        int[] all = new int[dim()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return norm(p, all, false);
    }

    /** p-norm over {@code dims} (p = 1, 2 or infinity). Composite. */
    public Var norm(double p, int[] dims, boolean keepdim) {
        if (p == 1) {
            return abs().sum(dims, keepdim);
        } else if (p == 2) {
            return square().sum(dims, keepdim).sqrt();
        } else if (p == Double.POSITIVE_INFINITY) {
            return abs().amax(dims, keepdim);
        }
        throw new IllegalArgumentException("norm: p must be 1, 2 or infinity, got " + p);
    }

    // ------------------------------------------------------------------ linear algebra

    /**
     * Matrix product with PyTorch semantics (1-D operands promoted, batch dims broadcast). Rule:
     * {@code (g·bᵀ, aᵀ·g)}, summed over broadcast batch dims.
     */
    public Var matmul(Var o) {
        if (dim() == 1) {
            return unsqueeze(0).matmul(o).squeeze(-2);
        }
        if (o.dim() == 1) {
            return matmul(o.unsqueeze(1)).squeeze(-1);
        }
        return make("matmul", value.matmul(o.value), (AccumulatingRule) (g, out, n, acc, own) -> new Var[] {
                n[0] ? productCotangent(g, this, o, 0, acc, own, 0) : null,
                n[1] ? productCotangent(g, this, o, 1, acc, own, 1) : null}, this, o);
    }

    /**
     * {@code this + mat1·mat2} for matrices {@code mat1 [m, k]}, {@code mat2 [k, n]}, this broadcastable to
     * {@code [m, n]} (PyTorch's {@code addmm}), in one GEMM. Rule: {@code (g summed to this shape, g·mat2ᵀ,
     * mat1ᵀ·g)}.
     */
    public Var addmm(Var mat1, Var mat2) {
        int[] s = shape();
        return make("addmm", value.addmm(mat1.value, mat2.value), (AccumulatingRule) (g, out, n, acc, own) -> {
            own[0] = false;
            return new Var[] {n[0] ? (acc[0] == null ? g.sumTo(s) : acc[0].add(g.sumTo(s))) : null,
                    n[1] ? productCotangent(g, mat1, mat2, 0, acc, own, 1) : null,
                    n[2] ? productCotangent(g, mat1, mat2, 1, acc, own, 2) : null};
        }, this, mat1, mat2);
    }

    /**
     * The cotangent of factor {@code which} (0 for {@code a}, 1 for {@code b}) of the product {@code a·b} for its
     * cotangent {@code g}, added onto {@code acc[j]} unless that is null. A cotangent takes its factor's layout: for a
     * transposed matrix ({@code W.t()} in a linear layer) it is formed transposed, so that the transpose's own rule
     * hands back a contiguous gradient, not a strided view. Between matrices the sum is one {@code addmm}, written
     * into {@code acc[j]}'s own storage when the engine owns it ({@code owned[j]}) and no graph is recorded;
     * {@code owned[j]} is then set to whether the result is fresh and unshared, as {@link AccumulatingRule} asks.
     */
    private static Var productCotangent(Var g, Var a, Var b, int which, Var[] acc, boolean[] owned, int j) {
        Var sum = acc[j];
        boolean inPlace = sum != null && owned[j] && !GradMode.enabled();
        owned[j] = false;
        if (a.dim() != 2 || b.dim() != 2) {
            Var c = which == 0 ? g.matmul(b.mT()).sumTo(a.shape()) : a.mT().matmul(g).sumTo(b.shape());
            return sum == null ? c : sum.add(c);
        }
        owned[j] = true;
        // (acc + cᵀ)ᵀ is formed as accᵀ + c, with c = b·gᵀ for a and gᵀ·a for b
        boolean transposed = transposedMatrix((which == 0 ? a : b).value);
        Var p = transposed ? (which == 0 ? b : g.mT()) : (which == 0 ? g : a.mT());
        Var q = transposed ? (which == 0 ? g.mT() : a) : (which == 0 ? b.mT() : g);
        if (inPlace) {
            Tensor into = transposed ? sum.value.transpose(0, 1) : sum.value;
            Tensor r = into.addmmInPlace(p.value, q.value);
            return r == into ? sum : of(transposed ? r.transpose(0, 1) : r);
        }
        Var t = sum == null ? p.matmul(q) : (transposed ? sum.mT() : sum).addmm(p, q);
        return transposed ? t.mT() : t;
    }

    /** A 2-D tensor stored as the transpose of a contiguous one. */
    private static boolean transposedMatrix(Tensor t) {
        return t.dim() == 2 && !t.isContiguous() && t.transpose(0, 1).isContiguous();
    }

    /** The last two dims swapped. */
    public Var mT() {
        return transpose(-2, -1);
    }

    /** The transpose of a matrix. */
    public Var t() {
        return dim() < 2 ? this : transpose(0, 1);
    }

    // ------------------------------------------------------------------ shape

    /** A new shape (one size may be -1). Rule: {@code g} reshaped back. */
    public Var reshape(int... newShape) {
        int[] s = shape();
        Tensor r = value.reshape(newShape);
        if (Arrays.equals(r.shape(), s)) {
            return this;
        }
        return make("reshape", r, (g, out, n) -> new Var[] {g.reshape(s)}, this);
    }

    /** Dims {@code start..end} merged. */
    public Var flatten(int start, int end) {
        return reshape(value.flatten(start, end).shape());
    }

    /** Dims permuted. Rule: {@code g} permuted back. */
    public Var permute(int... dims) {
        int r = dim();
        int[] inv = new int[r];
        for (int i = 0; i < r; i++) {
            inv[Shapes.dim(dims[i], r, "permute")] = i;
        }
        return make("permute", value.permute(dims), (g, out, n) -> new Var[] {g.permute(inv)}, this);
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

    /** Broadcast to {@code sizes}. Rule: {@code g} summed back to the input shape. */
    public Var expand(int... sizes) {
        int[] s = shape();
        Tensor e = value.expand(sizes);
        if (Arrays.equals(e.shape(), s)) {
            return this;
        }
        return make("expand", e, (g, out, n) -> new Var[] {g.sumTo(s)}, this);
    }

    /** A dim of size one inserted. */
    public Var unsqueeze(int dim) {
        return reshape(value.unsqueeze(dim).shape());
    }

    /** Dim {@code dim} removed if its size is one. */
    public Var squeeze(int dim) {
        return reshape(value.squeeze(dim).shape());
    }

    /** Elements {@code start..start+length-1} of {@code dim}. Rule: {@code g} placed back between zeros. */
    public Var narrow(int dim, int start, int length) {
        int[] s = shape();
        int k = Shapes.dim(dim, s.length, "narrow");
        return make("narrow", value.narrow(k, start, length), (g, out, n) -> {
            List<Var> parts = new ArrayList<>(3);
            int[] before = s.clone();
            before[k] = start;
            int[] after = s.clone();
            after[k] = s[k] - start - length;
            if (start > 0) {
                parts.add(of(Tensor.zeros(g.dtype(), before)));
            }
            parts.add(g);
            if (after[k] > 0) {
                parts.add(of(Tensor.zeros(g.dtype(), after)));
            }
            return new Var[] {cat(parts, k)};
        }, this);
    }

    /** Index {@code index} of {@code dim}, with the dim removed. */
    public Var select(int dim, int index) {
        int k = Shapes.dim(dim, dim(), "select");
        int i = index < 0 ? index + shape()[k] : index;
        return narrow(k, i, 1).squeeze(k);
    }

    /** Vars joined along {@code dim}. Rule: {@code g} narrowed to each input's slice. */
    public static Var cat(List<Var> vars, int dim) {
        List<Tensor> values = new ArrayList<>(vars.size());
        for (Var v : vars) {
            values.add(v.value);
        }
        Tensor r = Tensor.cat(values, dim);
        int k = Shapes.dim(dim, r.dim(), "cat");
        int[] starts = new int[vars.size()];
        int[] sizes = new int[vars.size()];
        for (int i = 0, at = 0; i < vars.size(); i++) {
            starts[i] = at;
            sizes[i] = values.get(i).shape()[k];
            at += sizes[i];
        }
        return make("cat", r, (g, out, n) -> {
            Var[] gs = new Var[vars.size()];
            for (int i = 0; i < gs.length; i++) {
                gs[i] = n[i] ? g.narrow(k, starts[i], sizes[i]) : null;
            }
            return gs;
        }, vars.toArray(new Var[0]));
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

    /** {@code out[…, j, …] = x[…, index[…, j, …], …]} along {@code dim}. Rule: {@code g} scatter-added back. */
    public Var gather(int dim, int[] index) {
        int[] s = shape();
        return make("gather", value.gather(dim, index), (g, out, n) ->
                new Var[] {of(Tensor.zeros(g.dtype(), s)).scatterAdd(dim, index, g)}, this);
    }

    /** {@code this} with {@code src} added at the gathered positions. Rule: {@code (g, g.gather(dim, index))}. */
    public Var scatterAdd(int dim, int[] index, Var src) {
        return make("scatterAdd", value.scatterAdd(dim, index, src.value), (g, out, n) -> new Var[] {
                n[0] ? g : null, n[1] ? g.gather(dim, index) : null}, this, src);
    }

    /** Entries {@code index} of {@code dim}, in order (through {@link #gather}). */
    public Var indexSelect(int dim, int[] index) {
        int[] s = shape();
        int k = Shapes.dim(dim, s.length, "indexSelect");
        int inner = 1;
        for (int i = k + 1; i < s.length; i++) {
            inner *= s[i];
        }
        int outer = value.numel() / Math.max(1, s[k] * inner);
        int[] full = new int[outer * index.length * inner];
        for (int o = 0, p = 0; o < outer; o++) {
            for (int j : index) {
                for (int i = 0; i < inner; i++) {
                    full[p++] = j;
                }
            }
        }
        return gather(k, full);
    }

    // ------------------------------------------------------------------ convolution family (closed under differentiation)

    /**
     * 2-D convolution (cross-correlation) of this {@code [N, Cin, H, W]} with {@code w [Cout, Cin/groups, kh, kw]},
     * plus {@code bias [Cout]} if not null, which is added as the output is written (no second full-size tensor).
     * Rule: {@code (conv2dInput(g, w), conv2dWeight(x, g), g summed over dims 0, 2, 3)}; without a graph, the first
     * two come from one {@link Conv#conv2dBackward} when both are needed.
     */
    public Var conv2d(Var w, Var bias, Conv2dSpec s) {
        int[] xs = shape();
        int[] ws = w.shape();
        Tensor y = Conv.conv2d(value, w.value, bias == null ? null : bias.value, s);
        Rule rule = (g, out, n) -> {
            Var b = n.length > 2 && n[2] ? g.sum(new int[] {0, 2, 3}, false) : null;
            if (n[0] && n[1] && !GradMode.enabled()) {
                Tensor[] gxw = Conv.conv2dBackward(value, g.value, w.value, s);
                return new Var[] {of(gxw[0]), of(gxw[1]), b};
            }
            return new Var[] {n[0] ? conv2dInput(g, w, xs[2], xs[3], s) : null,
                    n[1] ? conv2dWeight(this, g, ws[2], ws[3], s) : null, b};
        };
        return bias == null ? make("conv2d", y, rule, this, w) : make("conv2d", y, rule, this, w, bias);
    }

    /**
     * The adjoint of {@link #conv2d} with respect to its input (a transposed convolution) for an input of spatial
     * size {@code h×w}. Bilinear; rule: {@code (conv2d(g, w), conv2dWeight(g, gy))}.
     */
    public static Var conv2dInput(Var gy, Var w, int h, int wd, Conv2dSpec s) {
        int[] ws = w.shape();
        return make("conv2dInput", Conv.conv2dInput(gy.value, w.value, h, wd, s), (g, out, n) -> new Var[] {
                n[0] ? g.conv2d(w, null, s) : null,
                n[1] ? conv2dWeight(g, gy, ws[2], ws[3], s) : null}, gy, w);
    }

    /**
     * The adjoint of {@link #conv2d} with respect to its weight, for a {@code kh×kw} kernel. Bilinear; rule:
     * {@code (conv2dInput(gy, g), conv2d(x, g))}.
     */
    public static Var conv2dWeight(Var x, Var gy, int kh, int kw, Conv2dSpec s) {
        int[] xs = x.shape();
        return make("conv2dWeight", Conv.conv2dWeight(x.value, gy.value, kh, kw, s), (g, out, n) -> new Var[] {
                n[0] ? conv2dInput(gy, g, xs[2], xs[3], s) : null,
                n[1] ? x.conv2d(g, null, s) : null}, x, gy);
    }

    /**
     * Max pooling over {@code k×k} windows with stride {@code stride} and zero padding {@code padding} (padding
     * counts as −∞). Rule: {@code g} scattered to the arg-max positions, which are constants, so the second
     * derivative is 0.
     */
    public Var maxPool2d(int k, int stride, int padding) {
        int[] xs = shape();
        Pool.MaxPoolResult r = Pool.maxPool2d(value, k, k, stride, stride, padding, padding);
        int[] idx = r.indices();
        return make("maxPool2d", r.values(), (g, out, n) -> new Var[] {scatterFlat(g, idx, xs)}, this);
    }

    /** {@code zeros(shape)} with {@code g.flat[i]} added at flat position {@code indices[i]}. Rule: gatherFlat. */
    static Var scatterFlat(Var g0, int[] indices, int[] shape) {
        int[] gs = g0.shape();
        return make("scatterFlat", Pool.scatterFlat(g0.value, indices, shape), (g, out, n) ->
                new Var[] {gatherFlat(g, indices, gs)}, g0);
    }

    /** {@code out.flat[i] = x.flat[indices[i]]}, reshaped to {@code shape}. Rule: scatterFlat. */
    static Var gatherFlat(Var x, int[] indices, int[] shape) {
        int[] xs = x.shape();
        return make("gatherFlat", Pool.gatherFlat(x.value, indices, shape), (g, out, n) ->
                new Var[] {scatterFlat(g, indices, xs)}, x);
    }

    /** Average pooling over {@code k×k} windows (padding counted in the divisor). Rule: its adjoint. */
    public Var avgPool2d(int k, int stride, int padding) {
        int[] xs = shape();
        return make("avgPool2d", Pool.avgPool2d(value, k, k, stride, stride, padding, padding), (g, out, n) ->
                new Var[] {avgPool2dAdjoint(g, xs[2], xs[3], k, stride, padding)}, this);
    }

    /** The adjoint of {@link #avgPool2d} for an input of size {@code h×w}. Rule: avgPool2d. */
    static Var avgPool2dAdjoint(Var gy, int h, int w, int k, int stride, int padding) {
        return make("avgPool2dAdjoint", Pool.avgPool2dAdjoint(gy.value, h, w, k, k, stride, stride, padding, padding),
                (g, out, n) -> new Var[] {g.avgPool2d(k, stride, padding)}, gy);
    }

    /** Padding of the last two dims ({@code left, right, top, bottom}, or {@code left, right}). Rule: padAdjoint. */
    public Var pad(int[] pads, PaddingMode mode) {
        return make("pad", Spatial.pad(value, pads, mode), (g, out, n) -> new Var[] {padAdjoint(g, pads, mode)}, this);
    }

    /** The adjoint of {@link #pad}: crop, folding wrapped borders back for circular padding. Rule: pad. */
    static Var padAdjoint(Var g0, int[] pads, PaddingMode mode) {
        return make("padAdjoint", Spatial.padAdjoint(g0.value, pads, mode), (g, out, n) ->
                new Var[] {g.pad(pads, mode)}, g0);
    }

    /** {@code [N, C·r², H, W] → [N, C, H·r, W·r]}. Rule: pixelUnshuffle (a permutation's adjoint is its inverse). */
    public Var pixelShuffle(int r) {
        return make("pixelShuffle", Spatial.pixelShuffle(value, r), (g, out, n) -> new Var[] {g.pixelUnshuffle(r)}, this);
    }

    /** {@code [N, C, H·r, W·r] → [N, C·r², H, W]}. Rule: pixelShuffle. */
    public Var pixelUnshuffle(int r) {
        return make("pixelUnshuffle", Spatial.pixelUnshuffle(value, r), (g, out, n) -> new Var[] {g.pixelShuffle(r)}, this);
    }

    // ------------------------------------------------------------------ bilinear sampling

    /**
     * Bilinear sampling of this {@code [N, C, H, W]} at the points of {@code grid [N, Ho, Wo, 2]}:
     * {@code out[n, c, i, j] = Σ_corners w·x[n, c, y, x]} at pixel position {@code (ix, iy)} with zero padding outside,
     * PyTorch's {@code grid_sample(mode='bilinear', padding_mode='zeros', align_corners=False)}: {@code grid[..., 0]}
     * is the normalised x in [-1, 1] and {@code ix = (gx + 1)·W/2 − 1/2} (pixel centres, so {@code gx = (2j+1)/W − 1}
     * samples column j exactly), likewise {@code iy} from {@code grid[..., 1]} and H. Rule: the input cotangent is the
     * adjoint (a scatter of {@code g} with the bilinear weights), the grid cotangent is {@code Σ_c g·∂out/∂grid}; both
     * are written with Var ops of the weights, which are functions of the grid (the corners' integer positions are
     * constants), so the op can be differentiated again in both arguments.
     */
    public Var gridSample(Var grid) {
        int[] xs = shape();
        int[] gs = grid.shape();
        if (xs.length != 4 || gs.length != 4 || gs[3] != 2 || gs[0] != xs[0]) {
            throw new IllegalArgumentException("gridSample: want input [N, C, H, W] and grid [N, Ho, Wo, 2], got input "
                    + Shapes.str(xs) + " and grid " + Shapes.str(gs));
        }
        if (grid.dtype() != dtype()) {
            throw new IllegalArgumentException("gridSample: grid dtype " + grid.dtype() + " differs from input dtype "
                    + dtype());
        }
        GridCorners k = new GridCorners(xs, grid.value());
        Tensor y = k.sample(of(value), of(grid.value())).value();
        return make("gridSample", y, (g, out, n) -> new Var[] {
                n[0] ? k.inputCotangent(g, grid) : null, n[1] ? k.gridCotangent(g, this, grid) : null}, this, grid);
    }

    /** The constant part of a bilinear sampling: the four corners of every sample point as flat padded indices. */
    private static final class GridCorners {
        private static final int[] PADS = {1, 1, 1, 1};
        private final int n;
        private final int c;
        private final int h;
        private final int w;
        private final int ho;
        private final int wo;
        private final Tensor x0;
        private final Tensor y0;
        private final int[][] idx = new int[4][];

        /** Corner order: 0 = (y0, x0), 1 = (y0, x0+1), 2 = (y0+1, x0), 3 = (y0+1, x0+1). */
        GridCorners(int[] xs, Tensor grid) {
            n = xs[0];
            c = xs[1];
            h = xs[2];
            w = xs[3];
            ho = grid.shape()[1];
            wo = grid.shape()[2];
            double[] gd = grid.contiguous().toDoubleArray();
            int m = n * ho * wo;
            double[] fx = new double[m];
            double[] fy = new double[m];
            for (int p = 0; p < m; p++) {
                double ix = (gd[2 * p] + 1) * (w / 2.0) - 0.5;
                double iy = (gd[2 * p + 1] + 1) * (h / 2.0) - 0.5;
                if (!Double.isFinite(ix) || !Double.isFinite(iy)) {
                    throw new IllegalArgumentException("gridSample: grid point " + p + " is not finite: ("
                            + gd[2 * p] + ", " + gd[2 * p + 1] + ")");
                }
                fx[p] = Math.floor(ix);
                fy[p] = Math.floor(iy);
            }
            x0 = Tensor.of(fx, n, ho, wo).to(grid.dtype());
            y0 = Tensor.of(fy, n, ho, wo).to(grid.dtype());
            for (int k = 0; k < 4; k++) {
                idx[k] = new int[n * c * ho * wo];
                int dy = k >> 1;
                int dx = k & 1;
                for (int b = 0, q = 0; b < n; b++) {
                    for (int ch = 0; ch < c; ch++) {
                        for (int s = 0; s < ho * wo; s++) {
                            int p = b * ho * wo + s;
                            int px = (int) Math.max(0, Math.min(w + 1, fx[p] + 1 + dx));
                            int py = (int) Math.max(0, Math.min(h + 1, fy[p] + 1 + dy));
                            idx[k][q++] = ((b * c + ch) * (h + 2) + py) * (w + 2) + px;
                        }
                    }
                }
            }
        }

        /** The fractional parts {@code (fx, fy)} as Vars of the grid, each {@code [N, Ho, Wo]}. */
        private Var[] fractions(Var grid) {
            Var fx = grid.narrow(3, 0, 1).reshape(n, ho, wo).add(1).mul(w / 2.0).sub(0.5).sub(of(x0));
            Var fy = grid.narrow(3, 1, 1).reshape(n, ho, wo).add(1).mul(h / 2.0).sub(0.5).sub(of(y0));
            return new Var[] {fx, fy};
        }

        /** The four bilinear weights, each {@code [N, 1, Ho, Wo]}. */
        private Var[] weights(Var grid) {
            Var[] f = fractions(grid);
            Var gx = f[0].neg().add(1);
            Var gy = f[1].neg().add(1);
            Var[] wts = {gx.mul(gy), f[0].mul(gy), gx.mul(f[1]), f[0].mul(f[1])};
            for (int k = 0; k < 4; k++) {
                wts[k] = wts[k].reshape(n, 1, ho, wo);
            }
            return wts;
        }

        private Var corner(Var padded, int k) {
            return gatherFlat(padded, idx[k], new int[] {n, c, ho, wo});
        }

        /** {@code Σ_k w_k(grid)·x[corner_k]}. */
        Var sample(Var x, Var grid) {
            Var p = x.pad(PADS, PaddingMode.ZEROS);
            Var[] wts = weights(grid);
            Var out = null;
            for (int k = 0; k < 4; k++) {
                Var t = wts[k].mul(corner(p, k));
                out = out == null ? t : out.add(t);
            }
            return out;
        }

        /** {@code Σ_k scatter(g·w_k, corner_k)}, cropped: the adjoint in the input. */
        Var inputCotangent(Var g, Var grid) {
            Var[] wts = weights(grid);
            int[] padded = {n, c, h + 2, w + 2};
            Var acc = null;
            for (int k = 0; k < 4; k++) {
                Var t = scatterFlat(g.mul(wts[k]), idx[k], padded);
                acc = acc == null ? t : acc.add(t);
            }
            return padAdjoint(acc, PADS, PaddingMode.ZEROS);
        }

        /** {@code Σ_c g·∂out/∂grid}: the bilinear weights' derivatives times the corner differences. */
        Var gridCotangent(Var g, Var x, Var grid) {
            Var p = x.pad(PADS, PaddingMode.ZEROS);
            Var[] a = new Var[4];
            for (int k = 0; k < 4; k++) {
                a[k] = g.mul(corner(p, k)).sum(1, false);
            }
            Var[] f = fractions(grid);
            Var dfx = f[1].neg().add(1).mul(a[1].sub(a[0])).add(f[1].mul(a[3].sub(a[2])));
            Var dfy = f[0].neg().add(1).mul(a[2].sub(a[0])).add(f[0].mul(a[3].sub(a[1])));
            return stack(List.of(dfx.mul(w / 2.0), dfy.mul(h / 2.0)), 3);
        }
    }
}
