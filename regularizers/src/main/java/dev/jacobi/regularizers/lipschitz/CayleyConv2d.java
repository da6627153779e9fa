package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Init;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.regularizers.spectral.LipschitzLayer;
import java.util.List;
import java.util.Map;

/**
 * Orthogonal convolution by the Cayley transform in the Fourier domain (Trockman and Kolter, ICLR 2021), stride 1
 * with circular padding (the kernel centred, as a {@code same} convolution): the input's 2-D DFT is multiplied, at
 * each frequency, by {@code Q(f) = cayley(α·Ŵ(f)/‖Ŵ‖_F)} ({@link CayleyLinear#cayley} on complex matrices), where
 * {@code Ŵ(f)} is the kernel's response, and transformed back. Each {@code Q(f)} has orthonormal columns (or rows
 * when {@code cin > cout}), so the convolution is orthogonal and the layer 1-Lipschitz. The DFTs are products with
 * cosine and sine matrices (half the frequencies of the last dim, as {@code rfft2}), and the complex transform runs
 * on the real embedding {@code [[A, −B], [B, A]]} of {@code A + iB}, so everything is differentiable to any order.
 * The per-frequency inverse costs {@code O(H·W/2·(2·min(cin, cout))³)} per forward. Initialisation as the
 * authors': PyTorch's Conv2d uniform kernel and bias, {@code α = ‖Ŵ‖_F} at {@value #INIT_SIZE}×{@value #INIT_SIZE}.
 */
public final class CayleyConv2d extends Layer implements LipschitzLayer {
    /** The input size at which {@code α} is initialised (the authors' {@code n = 32}). */
    public static final int INIT_SIZE = 32;

    private final int cin;
    private final int cout;
    private final int kernel;
    private final Parameter weight;
    private final Parameter alpha;
    private final Parameter bias;

    /** An orthogonal convolution {@code cin → cout} with an odd {@code kernel × kernel} kernel. */
    public CayleyConv2d(int cin, int cout, int kernel, boolean bias, Rng rng) {
        if (cin <= 0 || cout <= 0 || kernel <= 0 || kernel % 2 == 0) {
            throw new IllegalArgumentException("CayleyConv2d: need positive channels and an odd kernel size, got cin="
                    + cin + ", cout=" + cout + ", kernel=" + kernel);
        }
        this.cin = cin;
        this.cout = cout;
        this.kernel = kernel;
        double bound = 1 / Math.sqrt((double) cin * kernel * kernel);
        this.weight = registerParameter("weight", Init.uniform(rng, new int[] {cout, cin, kernel, kernel}, -bound,
                bound));
        Var[] k = spectrum(Var.of(weight.value()), INIT_SIZE, INIT_SIZE);
        double norm = Math.sqrt(k[0].value().square().sum().item() + k[1].value().square().sum().item());
        this.alpha = registerParameter("alpha", Tensor.scalar(norm));
        this.bias = bias ? registerParameter("bias", Init.uniform(rng, new int[] {cout}, -bound, bound)) : null;
    }

    /** An orthogonal convolution {@code cin → cout} with a bias. */
    public CayleyConv2d(int cin, int cout, int kernel, Rng rng) {
        this(cin, cout, kernel, true, rng);
    }

    /** The raw kernel {@code W}, {@code [cout, cin, k, k]}. */
    public Parameter weight() {
        return weight;
    }

    /**
     * The response {@code Ŵ(p, q) = Σ_{a,b} W[:, :, a, b]·e^{2πi((a − c)p/h + (b − c)q/w)}} of the centred kernel
     * ({@code c = (k − 1)/2}) at frequencies {@code p < h}, {@code q ≤ w/2}: real and imaginary parts, each
     * {@code [h·(w/2 + 1), cout, cin]} with frequency {@code p·(w/2 + 1) + q}.
     */
    static Var[] spectrum(Var kernel, int h, int w) {
        int[] s = kernel.shape();
        int wq = w / 2 + 1;
        int freqs = h * wq;
        int taps = s[2] * s[3];
        double[] cs = new double[taps * freqs];
        double[] sn = new double[taps * freqs];
        for (int a = 0; a < s[2]; a++) {
            for (int b = 0; b < s[3]; b++) {
                for (int p = 0; p < h; p++) {
                    for (int q = 0; q < wq; q++) {
                        double phi = 2 * Math.PI * ((double) (a - (s[2] - 1) / 2) * p / h
                                + (double) (b - (s[3] - 1) / 2) * q / w);
                        cs[(a * s[3] + b) * freqs + p * wq + q] = Math.cos(phi);
                        sn[(a * s[3] + b) * freqs + p * wq + q] = Math.sin(phi);
                    }
                }
            }
        }
        Var flat = kernel.reshape(s[0] * s[1], taps);
        DType dt = kernel.dtype();
        Var re = flat.matmul(constant(cs, dt, taps, freqs)).reshape(s[0], s[1], freqs).permute(2, 0, 1);
        Var im = flat.matmul(constant(sn, dt, taps, freqs)).reshape(s[0], s[1], freqs).permute(2, 0, 1);
        return new Var[] {re, im};
    }

    /**
     * {@link CayleyLinear#cayley} of the complex matrices {@code re + i·im} ({@code [..., r, c]}): the real transform
     * of the embedding with rows {@code [[Uᵣ, −Uᵢ], [Uᵢ, Uᵣ], [Vᵣ, −Vᵢ], [Vᵢ, Vᵣ]]} ({@code U} the first
     * {@code c} rows) is the same embedding of the complex transform, since the embedding maps products to products
     * and {@code Mᴴ} to the transpose.
     */
    static Var[] cayleyComplex(Var re, Var im) {
        int d = re.dim();
        int r = re.shape()[d - 2];
        int c = re.shape()[d - 1];
        if (c > r) {
            Var[] t = cayleyComplex(re.mT(), im.mT());
            return new Var[] {t[0].mT(), t[1].mT()};
        }
        Var e = embed(re.narrow(d - 2, 0, c), im.narrow(d - 2, 0, c));
        if (r > c) {
            e = Var.cat(List.of(e, embed(re.narrow(d - 2, c, r - c), im.narrow(d - 2, c, r - c))), d - 2);
        }
        Var q = CayleyLinear.cayley(e).narrow(d - 1, 0, c);
        Var qr = q.narrow(d - 2, 0, c);
        Var qi = q.narrow(d - 2, c, c);
        if (r > c) {
            qr = Var.cat(List.of(qr, q.narrow(d - 2, 2 * c, r - c)), d - 2);
            qi = Var.cat(List.of(qi, q.narrow(d - 2, 2 * c + r - c, r - c)), d - 2);
        }
        return new Var[] {qr, qi};
    }

    /** {@code [[A, −B], [B, A]]} of {@code A + iB}. */
    private static Var embed(Var a, Var b) {
        int d = a.dim();
        return Var.cat(List.of(Var.cat(List.of(a, b.neg()), d - 1), Var.cat(List.of(b, a), d - 1)), d - 2);
    }

    /** {@code [N, cin, H, W] → [N, cout, H, W]}, {@code H, W ≥ k}. */
    @Override
    public Var forward(Var x) {
        checkImages(x, cin);
        int[] s = x.shape();
        int n = s[0];
        int h = s[2];
        int w = s[3];
        if (h < kernel || w < kernel) {
            throw error("input " + h + "x" + w + " is smaller than the kernel " + kernel + "x" + kernel);
        }
        DType dt = x.dtype();
        int wq = w / 2 + 1;
        // the DFT along the width (half the frequencies), then along the height
        double[] cw = new double[w * wq];
        double[] sw = new double[w * wq];
        double[] icw = new double[wq * w];
        double[] isw = new double[wq * w];
        for (int v = 0; v < w; v++) {
            for (int q = 0; q < wq; q++) {
                double t = 2 * Math.PI * q * v / w;
                cw[v * wq + q] = Math.cos(t);
                sw[v * wq + q] = Math.sin(t);
                // the inverse counts the frequencies that stand for a conjugate pair twice
                double weightQ = (q == 0 || 2 * q == w ? 1.0 : 2.0) / w;
                icw[q * w + v] = weightQ * Math.cos(t);
                isw[q * w + v] = weightQ * Math.sin(t);
            }
        }
        double[] ch = new double[h * h];
        double[] sh = new double[h * h];
        for (int p = 0; p < h; p++) {
            for (int u = 0; u < h; u++) {
                ch[p * h + u] = Math.cos(2 * Math.PI * p * u / h);
                sh[p * h + u] = Math.sin(2 * Math.PI * p * u / h);
            }
        }
        Var cH = constant(ch, dt, h, h);
        Var sH = constant(sh, dt, h, h);
        Var rows = x.reshape(n * cin * h, w);
        Var ar = rows.matmul(constant(cw, dt, w, wq)).reshape(n * cin, h, wq);
        Var ai = rows.matmul(constant(sw, dt, w, wq)).neg().reshape(n * cin, h, wq);
        Var xr = cH.matmul(ar).add(sH.matmul(ai)).reshape(n, cin, h * wq).permute(2, 1, 0);
        Var xi = cH.matmul(ai).sub(sH.matmul(ar)).reshape(n, cin, h * wq).permute(2, 1, 0);
        Var[] k = spectrum(weight.var(), h, w);
        Var scale = alpha.var().div(k[0].square().sum().add(k[1].square().sum()).sqrt());
        Var[] q = cayleyComplex(k[0].mul(scale), k[1].mul(scale));
        Var yr = q[0].matmul(xr).sub(q[1].matmul(xi)).permute(2, 1, 0).reshape(n * cout, h, wq);
        Var yi = q[0].matmul(xi).add(q[1].matmul(xr)).permute(2, 1, 0).reshape(n * cout, h, wq);
        // back along the height (cos and sin are symmetric in p and u), then along the width
        Var zr = cH.matmul(yr).sub(sH.matmul(yi)).div(h).reshape(n * cout * h, wq);
        Var zi = cH.matmul(yi).add(sH.matmul(yr)).div(h).reshape(n * cout * h, wq);
        Var y = zr.matmul(constant(icw, dt, wq, w)).sub(zi.matmul(constant(isw, dt, wq, w))).reshape(n, cout, h, w);
        return bias == null ? y : y.add(bias.var().reshape(1, cout, 1, 1));
    }

    private static Var constant(double[] values, DType dt, int rows, int cols) {
        return Var.of(Tensor.of(values, rows, cols).to(dt));
    }

    /** 1: the convolution is orthogonal at every frequency. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String label() {
        return "CayleyConv2d(" + cin + " -> " + cout + ", " + kernel + "x" + kernel + ")";
    }

    @Override
    protected String extraRepr() {
        return cin + ", " + cout + ", kernel_size=(" + kernel + ", " + kernel + "), padding_mode=circular, bias="
                + (bias != null);
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("in_channels", cin, "out_channels", cout, "kernel_size", kernel, "bias", bias != null);
    }
}
