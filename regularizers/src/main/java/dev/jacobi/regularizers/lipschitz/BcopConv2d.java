package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Init;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.regularizers.spectral.LipschitzLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Block Convolution Orthogonal Parametrization (Li et al. 2019): a convolution whose operator on circularly padded
 * input is orthogonal (an isometry if {@code cout ≥ cin}, a co-isometry otherwise), hence 1-Lipschitz and
 * gradient-norm preserving. With {@code k} the inner kernel size and {@code c = max(cin', cout)} ({@code cin'} the
 * channels after the stride's pixel unshuffle):
 * <ol>
 *   <li>the {@code 2(k−1)+1} parameter matrices {@code c×c} are Björck-orthonormalised to {@code Ô_i};</li>
 *   <li>{@code H = Ô₀[:cin', :cout]}; each other {@code Ô_i} keeps its first {@code ⌊c/2⌋} columns and gives the
 *       symmetric projector {@code P_i = Ô_i Ô_iᵀ};</li>
 *   <li>each pair {@code (P, Q) = (P_{2j+1}, P_{2j+2})}, used exactly once, gives the 2×2 block kernel
 *       {@code [[PQ, P(I−Q)], [(I−P)Q, (I−P)(I−Q)]]}, whose frequency response {@code (P + (I−P)z₁)(Q + (I−Q)z₂)}
 *       is unitary;</li>
 *   <li>the {@code k×k} kernel is the matrix-valued 2-D convolution of the {@code k−1} block kernels, and every tap
 *       is multiplied by {@code Hᵀ} (on the right if {@code cout = c}, on the left otherwise) to give
 *       {@code [cout, cin', k, k]}.</li>
 * </ol>
 * The forward pass is {@code y = conv(circpad(unshuffle_s(x)), W) + b} with circular padding {@code ⌊k/2⌋} before
 * and {@code k − 1 − ⌊k/2⌋} after, so the spatial size is divided by the stride {@code s}, which is realised as a
 * pixel unshuffle (channel {@code c·s² + i·s + j}) followed by a stride-1 BCOP conv of kernel {@code kernel/s}.
 * Its adjoint in {@code x} is the transposed convolution (the inverse when {@code cin' = cout}).
 */
public final class BcopConv2d extends Layer implements LipschitzLayer {
    private final int cin;
    private final int cout;
    private final int kernel;
    private final int stride;
    private final int iterations;
    private final int order;
    private final Parameter matrices;
    private final Parameter bias;

    /**
     * An orthogonal convolution {@code cin → cout}.
     *
     * @param cin        input channels
     * @param cout       output channels
     * @param kernel     kernel size, a positive multiple of {@code stride}
     * @param stride     stride, at least 1
     * @param bias       whether to add a bias
     * @param iterations Björck iterations per forward
     * @param order      Björck order, 1 to 4
     * @param rng        source of the orthogonal initial matrices
     */
    public BcopConv2d(int cin, int cout, int kernel, int stride, boolean bias, int iterations, int order, Rng rng) {
        if (cin <= 0 || cout <= 0 || kernel <= 0 || stride <= 0 || kernel % stride != 0) {
            throw new IllegalArgumentException("BcopConv2d: need positive channels, kernel and stride with the stride"
                    + " dividing the kernel, got cin=" + cin + ", cout=" + cout + ", kernel=" + kernel + ", stride="
                    + stride);
        }
        if (order < 1 || order > 4 || iterations < 0) {
            throw new IllegalArgumentException("BcopConv2d: order must be 1 to 4 and iterations >= 0, got order "
                    + order + ", iterations " + iterations);
        }
        this.cin = cin;
        this.cout = cout;
        this.kernel = kernel;
        this.stride = stride;
        this.iterations = iterations;
        this.order = order;
        int k = kernel / stride;
        int c = Math.max(cin * stride * stride, cout);
        List<Tensor> init = new ArrayList<>();
        for (int i = 0; i < 2 * (k - 1) + 1; i++) {
            init.add(Init.orthogonal(rng, new int[] {c, c}, 1));
        }
        this.matrices = registerParameter("param_matrices", Tensor.stack(init, 0));
        this.bias = bias ? registerParameter("bias", Tensor.zeros(cout)) : null;
    }

    /** An orthogonal convolution with a bias and the Björck defaults (20 iterations, order 1). */
    public BcopConv2d(int cin, int cout, int kernel, int stride, Rng rng) {
        this(cin, cout, kernel, stride, true, Bjorck.DEFAULT_ITERATIONS, Bjorck.DEFAULT_ORDER, rng);
    }

    /** The raw parameter matrices {@code [2(k−1)+1, c, c]}. */
    public Parameter paramMatrices() {
        return matrices;
    }

    /** The bias {@code [cout]}, or null. */
    public Parameter bias() {
        return bias;
    }

    /** The stride {@code s}. */
    public int stride() {
        return stride;
    }

    /**
     * The stride-1 kernel {@code W = bcop(Ô)} applied after the pixel unshuffle, {@code [cout, cin·s², k/s, k/s]};
     * its circular convolution has all singular values 1.
     */
    public Var kernel() {
        return kernel(matrices.var(), cin * stride * stride, cout, iterations, order);
    }

    /**
     * The BCOP kernel built from raw matrices (steps 1–4 of the class comment):
     * {@code W[:, :, p, q] = (⊛_j B(P_{2j+1}, P_{2j+2}))[p, q]·Hᵀ} (or {@code Hᵀ·…} when {@code cin > cout}).
     * Differentiable in {@code matrices}.
     *
     * @param matrices   raw matrices {@code [2(k−1)+1, c, c]} with {@code c = max(cin, cout)}
     * @param cin        input channels of the kernel
     * @param cout       output channels of the kernel
     * @param iterations Björck iterations
     * @param order      Björck order, 1 to 4
     * @return the kernel {@code [cout, cin, k, k]}
     */
    public static Var kernel(Var matrices, int cin, int cout, int iterations, int order) {
        int[] s = matrices.shape();
        int c = Math.max(cin, cout);
        if (s.length != 3 || s[0] % 2 != 1 || s[1] != c || s[2] != c || cin <= 0 || cout <= 0) {
            throw new IllegalArgumentException("BcopConv2d.kernel: need matrices [2(k-1)+1, c, c] with c = max(cin, "
                    + "cout) = " + c + ", got " + Shapes.str(s) + " for cin=" + cin + ", cout=" + cout);
        }
        int pairs = (s[0] - 1) / 2;
        Var ortho = Bjorck.orthonormalize(matrices, iterations, order);
        Var h = ortho.select(0, 0).narrow(0, 0, cin).narrow(1, 0, cout);
        DType dt = matrices.dtype();
        Var eye = Var.of(Tensor.eye(dt, c));
        Var taps = eye.reshape(1, 1, c, c);
        if (pairs > 0) {
            Var proj;
            if (c / 2 == 0) {
                proj = Var.of(Tensor.zeros(dt, 2 * pairs, c, c));
            } else {
                Var half = ortho.narrow(0, 1, 2 * pairs).narrow(2, 0, c / 2);
                proj = half.matmul(half.mT());
            }
            for (int j = 0; j < pairs; j++) {
                taps = compose(taps, block(proj.select(0, 2 * j), proj.select(0, 2 * j + 1), eye));
            }
        }
        Var w = cout == c ? taps.matmul(h.t()) : h.t().matmul(taps);
        return w.permute(2, 3, 0, 1);
    }

    /** The 2×2 block kernel {@code [[PQ, P(I−Q)], [(I−P)Q, (I−P)(I−Q)]]} as taps {@code [2, 2, c, c]}. */
    private static Var block(Var p, Var q, Var eye) {
        Var pq = p.matmul(q);
        Var row0 = Var.stack(List.of(pq, p.sub(pq)), 0);
        Var row1 = Var.stack(List.of(q.sub(pq), eye.sub(p).sub(q).add(pq)), 0);
        return Var.stack(List.of(row0, row1), 0);
    }

    /** Full matrix-valued convolution of taps {@code a [m, m, c, c]} and {@code b [2, 2, c, c]}: {@code Σ a[p−i]·b[i]}. */
    private static Var compose(Var a, Var b) {
        Var sum = null;
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                Var term = a.matmul(b.select(0, i).select(0, j)).permute(2, 3, 0, 1)
                        .pad(new int[] {j, 1 - j, i, 1 - i}, PaddingMode.ZEROS).permute(2, 3, 0, 1);
                sum = sum == null ? term : sum.add(term);
            }
        }
        return sum;
    }

    /** {@code [N, cin, H, W] → [N, cout, H/s, W/s]}: {@code y = conv(circpad(unshuffle_s(x)), W) + b}. */
    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        if (s.length != 4 || s[1] != cin || s[2] % stride != 0 || s[3] % stride != 0) {
            throw error("input " + Shapes.str(s) + " is not [N, " + cin + ", H, W] with H and W divisible by the "
                    + "stride " + stride);
        }
        checkDtype(x);
        Var u = stride == 1 ? x : x.pixelUnshuffle(stride);
        int k = kernel / stride;
        if (k > 1) {
            int before = k / 2;
            int after = k - 1 - before;
            if (u.shape()[2] < before || u.shape()[3] < before) {
                throw error("input " + Shapes.str(s) + " is too small for circular padding " + before);
            }
            u = u.pad(new int[] {before, after, before, after}, PaddingMode.CIRCULAR);
        }
        return u.conv2d(kernel(), bias == null ? null : bias.var(), Conv2dSpec.defaults());
    }

    /** 1: the circular convolution is orthogonal and the pixel unshuffle a permutation. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String label() {
        return "BcopConv2d(" + cin + " -> " + cout + ", " + kernel + "x" + kernel + ", stride " + stride + ")";
    }

    @Override
    protected String extraRepr() {
        return cin + ", " + cout + ", kernel_size=(" + kernel + ", " + kernel + "), stride=(" + stride + ", " + stride
                + "), padding_mode=circular, bias=" + (bias != null) + ", bjorck_iters=" + iterations
                + ", bjorck_order=" + order;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("in_channels", cin, "out_channels", cout, "kernel_size", kernel, "stride", stride, "bias",
                bias != null, "iterations", iterations, "order", order);
    }
}
