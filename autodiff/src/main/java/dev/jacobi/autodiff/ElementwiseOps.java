package dev.jacobi.autodiff;

import static dev.jacobi.autodiff.Var.make;
import static dev.jacobi.autodiff.Var.of;

import dev.jacobi.core.Tensor;

/**
 * The element-wise primitives: each method computes the forward value with {@link Tensor}'s kernel and declares the
 * backward rule, whose math its comment gives ({@code g} is the output's cotangent). Binary ops broadcast, and their
 * rules sum each cotangent back to its input's shape.
 */
final class ElementwiseOps {
    private ElementwiseOps() {
    }

    /** {@code a + b}. Rule: {@code (g, g)}. */
    static Var add(Var a, Var b) {
        int[] sa = a.shape();
        int[] sb = b.shape();
        return make(Op.ADD, a.value().add(b.value()), (g, out, n) -> new Var[] {
                n[0] ? g.sumTo(sa) : null, n[1] ? g.sumTo(sb) : null}, a, b);
    }

    /** {@code a - b}. Rule: {@code (g, -g)}. */
    static Var sub(Var a, Var b) {
        int[] sa = a.shape();
        int[] sb = b.shape();
        return make(Op.SUB, a.value().sub(b.value()), (g, out, n) -> new Var[] {
                n[0] ? g.sumTo(sa) : null, n[1] ? g.neg().sumTo(sb) : null}, a, b);
    }

    /** {@code a · b}. Rule: {@code (g·b, g·a)}. */
    static Var mul(Var a, Var b) {
        int[] sa = a.shape();
        int[] sb = b.shape();
        return make(Op.MUL, a.value().mul(b.value()), (g, out, n) -> new Var[] {
                n[0] ? g.mul(b).sumTo(sa) : null, n[1] ? g.mul(a).sumTo(sb) : null}, a, b);
    }

    /** {@code a / b}. Rule: {@code (g/b, -g·a/b²)}. */
    static Var div(Var a, Var b) {
        int[] sa = a.shape();
        int[] sb = b.shape();
        return make(Op.DIV, a.value().div(b.value()), (g, out, n) -> new Var[] {
                n[0] ? g.div(b).sumTo(sa) : null,
                n[1] ? g.mul(a).div(b.square()).neg().sumTo(sb) : null}, a, b);
    }

    /** Element-wise maximum. Rule: g goes to the larger input, split evenly on ties (PyTorch's convention). */
    static Var maximum(Var a, Var b) {
        return select2(Op.MAXIMUM, a.value().maximum(b.value()), a.value().gt(b.value()), a, b);
    }

    /** Element-wise minimum. Rule: g goes to the smaller input, split evenly on ties. */
    static Var minimum(Var a, Var b) {
        return select2(Op.MINIMUM, a.value().minimum(b.value()), a.value().lt(b.value()), a, b);
    }

    private static Var select2(Op op, Tensor result, Tensor firstWins, Var a, Var b) {
        Tensor tie = a.value().eq(b.value()).mul(0.5);
        Tensor wa = firstWins.add(tie);
        Tensor wb = Tensor.onesLike(wa).sub(wa);
        int[] sa = a.shape();
        int[] sb = b.shape();
        return make(op, result, (g, out, n) -> new Var[] {
                n[0] ? g.mul(of(wa)).sumTo(sa) : null, n[1] ? g.mul(of(wb)).sumTo(sb) : null}, a, b);
    }

    /** {@code condition != 0 ? a : b}; the condition is constant. Rule: g masked to each side. */
    static Var where(Tensor condition, Var a, Var b) {
        Tensor c = condition.ne(Tensor.zerosLike(condition));
        Tensor nc = Tensor.onesLike(c).sub(c);
        int[] sa = a.shape();
        int[] sb = b.shape();
        return make(Op.WHERE, Tensor.where(c, a.value(), b.value()), (g, out, n) -> new Var[] {
                n[0] ? g.mul(of(c)).sumTo(sa) : null, n[1] ? g.mul(of(nc)).sumTo(sb) : null}, a, b);
    }

    /** {@code -x}. Rule: {@code -g}. */
    static Var neg(Var x) {
        return make(Op.NEG, x.value().neg(), (g, out, n) -> new Var[] {g.neg()}, x);
    }

    /** {@code e^x}. Rule: {@code g·e^x}. */
    static Var exp(Var x) {
        return make(Op.EXP, x.value().exp(), (g, out, n) -> new Var[] {g.mul(out)}, x);
    }

    /** {@code ln x}. Rule: {@code g/x}. */
    static Var log(Var x) {
        return make(Op.LOG, x.value().log(), (g, out, n) -> new Var[] {g.div(x)}, x);
    }

    /** {@code √x}. Rule: {@code g/(2√x)} (infinite at 0, as in PyTorch; {@code norm} is 0 there instead). */
    static Var sqrt(Var x) {
        return make(Op.SQRT, x.value().sqrt(), (g, out, n) -> new Var[] {g.div(out.mul(2))}, x);
    }

    /** {@code tanh x}. Rule: {@code g·(1 - tanh²x)}. */
    static Var tanh(Var x) {
        return make(Op.TANH, x.value().tanh(), (g, out, n) -> new Var[] {g.mul(out.square().neg().add(1))}, x);
    }

    /** {@code σ(x) = 1/(1+e^-x)}. Rule: {@code g·σ(1-σ)}. */
    static Var sigmoid(Var x) {
        return make(Op.SIGMOID, x.value().sigmoid(), (g, out, n) -> new Var[] {g.mul(out.mul(out.neg().add(1)))}, x);
    }

    /** {@code max(x, 0)}. Rule: {@code thresholdBackward(g, relu(x))}, i.e. {@code g·[x>0]}, so ReLU'' is 0. */
    static Var relu(Var x) {
        return make(Op.RELU, x.value().relu(), (g, out, n) -> new Var[] {thresholdBackward(g, out.value())}, x);
    }

    /**
     * {@code max(a + b, 0)} in one pass, broadcasting: a bias or shift followed by ReLU. Rule:
     * {@code m = thresholdBackward(g, out)}, then add's {@code (m, m)} summed to each input's shape.
     */
    static Var addRelu(Var a, Var b) {
        int[] sa = a.shape();
        int[] sb = b.shape();
        return make(Op.ADD_RELU, a.value().addRelu(b.value()), (g, out, n) -> {
            Var m = thresholdBackward(g, out.value());
            return new Var[] {n[0] ? m.sumTo(sa) : null, n[1] ? m.sumTo(sb) : null};
        }, a, b);
    }

    /**
     * {@code g} where {@code out > 0}, else 0: ReLU's backward in one pass ({@code out} is ReLU's output, positive
     * exactly where its input is). Linear in {@code g}; rule: itself, with the same {@code out}.
     */
    static Var thresholdBackward(Var g0, Tensor out) {
        return make(Op.THRESHOLD_BACKWARD, g0.value().thresholdBackward(out), (g, o, n) ->
                new Var[] {thresholdBackward(g, out)}, g0);
    }

    /** {@code |x|}. Rule: {@code g·sign(x)} with a constant sign (0 at 0, as in PyTorch). */
    static Var abs(Var x) {
        Tensor s = x.value().sign();
        return make(Op.ABS, x.value().abs(), (g, out, n) -> new Var[] {g.mul(of(s))}, x);
    }

    /** {@code x²}. Rule: {@code 2x·g}. */
    static Var square(Var x) {
        return make(Op.SQUARE, x.value().square(), (g, out, n) -> new Var[] {g.mul(x).mul(2)}, x);
    }

    /**
     * {@code x^p} for a constant exponent. Rule: {@code p·x^(p-1)·g}; for {@code p = 0} it is 0 everywhere, also at
     * {@code x = 0} where the formula would give {@code 0·∞} (PyTorch's convention).
     */
    static Var pow(Var x, double p) {
        if (p == 0) {
            return make(Op.POW, x.value().pow(0), (g, out, n) -> new Var[] {of(Tensor.zerosLike(x.value()))}, x);
        }
        return make(Op.POW, x.value().pow(p), (g, out, n) -> new Var[] {g.mul(x.pow(p - 1)).mul(p)}, x);
    }

    /**
     * {@code x^e} element-wise with a tensor exponent. Rule, as PyTorch's: {@code g·e·x^(e-1)}, 0 where
     * {@code e = 0}; and {@code g·x^e·ln x} for the exponent, 0 where {@code x = 0} and {@code e ≥ 0} (the limit of
     * {@code x^e·ln x}). The masks are constants of the current values.
     */
    static Var pow(Var x, Var e) {
        int[] sx = x.shape();
        int[] se = e.shape();
        return make(Op.POW_TENSOR, x.value().pow(e.value()), (g, out, n) -> {
            Tensor zero = Tensor.scalar(x.dtype(), 0);
            Tensor baseZero = x.value().eq(zero).mul(e.value().ge(zero));
            return new Var[] {
                n[0] ? g.mul(e.mul(x.pow(e.sub(1)))).mul(of(e.value().ne(zero))).sumTo(sx) : null,
                n[1] ? g.mul(out.mul(x.add(of(baseZero)).log())).mul(of(Tensor.onesLike(baseZero).sub(baseZero)))
                        .sumTo(se) : null};
        }, x, e);
    }

    /** {@code sin x}. Rule: {@code g·cos x}. */
    static Var sin(Var x) {
        return make(Op.SIN, x.value().sin(), (g, out, n) -> new Var[] {g.mul(x.cos())}, x);
    }

    /** {@code cos x}. Rule: {@code -g·sin x}. */
    static Var cos(Var x) {
        return make(Op.COS, x.value().cos(), (g, out, n) -> new Var[] {g.mul(x.sin()).neg()}, x);
    }

    /**
     * {@code x} limited to {@code [min, max]}. Rule: {@code g} where {@code min ≤ x ≤ max}, 0 outside (a constant
     * mask), so at a bound the gradient passes, as in PyTorch.
     */
    static Var clamp(Var x, double min, double max) {
        Tensor v = x.value();
        return make(Op.CLAMP, v.clamp(min, max), (g, out, n) -> new Var[] {g.mul(of(v.ge(Tensor.scalar(v.dtype(), min))
                .mul(v.le(Tensor.scalar(v.dtype(), max)))))}, x);
    }
}
