package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.GramIteration;

/**
 * The Gram-iteration bound ({@link GramIteration}, Delattre et al. 2023) as a differentiable function of the weights,
 * written in {@link Var} ops, so that it can be penalised or used as a constraint like the other bounds, with
 * derivatives of every order. Values equal {@link GramIteration}'s to rounding.
 */
public final class GramBound {
    private GramBound() {
    }

    /** The bound on {@code ‖W‖₂} after {@code t} Gram steps for a matrix {@code W} ({@code [rows, cols]}). */
    public static Var dense(Var w, int t) {
        if (w.dim() != 2) {
            throw new IllegalArgumentException("GramBound.dense: need a matrix, got " + Shapes.str(w.shape()));
        }
        checkSteps(t);
        Var m = w.shape()[1] > w.shape()[0] ? w.t() : w;
        return iterate(m, t, new int[] {0, 1}).sum();
    }

    /**
     * The bound on the spectral norm of the circular convolution with {@code kernel} ({@code [cout, cin, kh, kw]}) on
     * {@code n×m} inputs after {@code t} Gram steps: the maximum over frequencies of each frequency's bound (the
     * gradient goes to the maximal frequency). The complex matrices of the kernel's 2-D DFT are formed as the real
     * {@code [[A, −B], [B, A]]}, which has every singular value of {@code A + iB} twice; the doubling is divided out.
     */
    public static Var circular(Var kernel, int n, int m, int t) {
        int[] s = kernel.shape();
        if (s.length != 4 || s[2] > n || s[3] > m) {
            throw new IllegalArgumentException("GramBound.circular: need a kernel [cout, cin, kh, kw] no larger than "
                    + n + "x" + m + ", got " + Shapes.str(s));
        }
        checkSteps(t);
        int cout = s[0];
        int cin = s[1];
        int taps = s[2] * s[3];
        // rows p ≤ n/2 of the frequencies: the others are their conjugates, with the same singular values
        int freqs = (n / 2 + 1) * m;
        // the DFT over the taps: re = J·C, im = −J·S with C[tap, f] = cos θ, S[tap, f] = sin θ
        double[] c = new double[taps * freqs];
        double[] sn = new double[taps * freqs];
        for (int a = 0; a < s[2]; a++) {
            for (int b = 0; b < s[3]; b++) {
                for (int p = 0; p <= n / 2; p++) {
                    for (int q = 0; q < m; q++) {
                        double theta = 2 * Math.PI * ((double) p * a / n + (double) q * b / m);
                        c[(a * s[3] + b) * freqs + p * m + q] = Math.cos(theta);
                        sn[(a * s[3] + b) * freqs + p * m + q] = Math.sin(theta);
                    }
                }
            }
        }
        DType dt = kernel.dtype();
        Var flat = kernel.reshape(cout * cin, taps);
        Var re = flat.matmul(Var.of(Tensor.of(c, taps, freqs).to(dt))).reshape(cout, cin, freqs).permute(2, 0, 1);
        Var im = flat.matmul(Var.of(Tensor.of(sn, taps, freqs).to(dt))).neg().reshape(cout, cin, freqs)
                .permute(2, 0, 1);
        // [[A, −B], [B, A]] per frequency: [freqs, 2cout, 2cin]
        Var top = Var.cat(java.util.List.of(re, im.neg()), 2);
        Var bottom = Var.cat(java.util.List.of(im, re), 2);
        Var e = Var.cat(java.util.List.of(top, bottom), 1);
        if (cin > cout) {
            e = e.mT();
        }
        Var perFreq = iterate(e, t, new int[] {1, 2});
        // every singular value appears twice in the embedding: the Schatten-2^(t+1) norm is 2^(2^-(t+1)) times larger
        return perFreq.amax(new int[] {0}, false).div(Math.pow(2, Math.pow(2, -(t + 1))));
    }

    /**
     * Delattre, Barthélemy and Allauzen's bound (arXiv 2402.00240, 2024; {@code compute_delattre2024} of lip4conv) on
     * the spectral norm of the convolution with {@code kernel} ({@code [cout, cin, kh, kw]}, stride 1) on inputs of
     * any size, with zero padding of any amount (and circular padding too): {@code t ≥ 1} times, the kernel is
     * scaled to unit Frobenius norm and replaced by its full self-correlation ({@code G ← conv2d(G, G)} with padding
     * {@code kh − 1, kw − 1}, the kernel of {@code G·Gᵀ}, spatially {@code 2kh − 1} wide), and then
     * {@code σ ≤ max_i (Σ_{j,u,v} |G_ij[u,v]|)^(2^−t)}, scales put back. The row sum bounds the norm of {@code (KKᵀ)^(2^(t−1))} on
     * the infinite grid, of which a zero-padded or valid convolution is a restriction. Like the authors, the
     * kernel is first transposed when {@code cin > cout}. Each step doubles the kernel's width, so {@code t} stays
     * small (the authors' default is 4; a 3×3 kernel is then 33×33).
     */
    public static Var zeroPadding(Var kernel, int t) {
        int[] s = kernel.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException("GramBound.zeroPadding: need a kernel [cout, cin, kh, kw], got "
                    + Shapes.str(s));
        }
        if (t < 1 || t > 8) {
            throw new IllegalArgumentException("GramBound.zeroPadding: steps must be in [1, 8] (each doubles the"
                    + " kernel's width), got " + t);
        }
        Var g = s[1] > s[0] ? kernel.transpose(0, 1) : kernel;
        Var logScale = null;
        for (int i = 0; i < t; i++) {
            Var f = g.square().sum().sqrt();
            Var logF = f.log().mul(2);
            logScale = logScale == null ? logF : logScale.mul(2).add(logF);
            g = selfCorrelation(g.div(f));
        }
        Var rowSum = g.abs().sum(new int[] {1, 2, 3}, false).amax(new int[] {0}, false);
        return rowSum.log().add(logScale).div(Math.pow(2, t)).exp();
    }

    /**
     * The kernel of {@code K·Kᵀ} for the convolution with {@code kernel} ({@code [cout, cin, kh, kw]}) on the infinite
     * grid: its full self-correlation {@code G[i, j, u, v] = Σ_{c,p,q} K[i, c, u + p − kh + 1, v + q − kw + 1]·
     * K[j, c, p, q]}, {@code [cout, cout, 2kh − 1, 2kw − 1]} (a convolution of the kernel with itself, padding
     * {@code kh − 1, kw − 1}). Pass {@code K.transpose(0, 1)} for {@code KᵀK}.
     */
    public static Var selfCorrelation(Var kernel) {
        int[] s = kernel.shape();
        return kernel.conv2d(kernel, null, new Conv2dSpec(1, 1, s[2] - 1, s[3] - 1, 1, 1, 1, PaddingMode.ZEROS));
    }

    private static void checkSteps(int t) {
        if (t < 0 || t > 30) {
            throw new IllegalArgumentException("GramBound: steps must be in [0, 30], got " + t);
        }
    }

    /** The bounds of the matrices in the last two dims {@code dims} of {@code m} (one per batch entry). */
    private static Var iterate(Var m, int t, int[] dims) {
        Var logScale = null;
        for (int i = 0; i < t; i++) {
            Var f = m.square().sum(dims, true).sqrt();
            Var logF = f.log().mul(2);
            logScale = logScale == null ? logF : logScale.mul(2).add(logF);
            Var unit = m.div(f);
            m = unit.mT().matmul(unit);
        }
        Var logNorm = m.square().sum(dims, true).sqrt().log();
        Var total = logScale == null ? logNorm : logNorm.add(logScale);
        return total.div(Math.pow(2, t)).exp().sum(dims, false);
    }
}
