package dev.jacobi.core.linalg;

import dev.jacobi.core.Rng;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.LaneKernel;
import dev.jacobi.core.kernel.ScalarLaneKernel;
import java.util.Arrays;

/**
 * The float32 screening pass of {@link #operatorNorm}: the Lanczos iteration of {@link Lanczos} run on
 * {@link LaneKernel#lanes()} frequencies at once. Matrices and vectors are stored lane-innermost (structure of
 * arrays), so every product with {@code P̂} or {@code P̂ᴴ}, dot product and Gram–Schmidt pass is one lane-wise
 * {@link LaneKernel#gemv}, a SIMD loop with no reduction across lanes. Each lane keeps its own tridiagonal and
 * stopping test; a lane that stops has its vector zeroed and idles until the last lane of the group stops. Lanes
 * never mix, so a frequency's value does not depend on its group.
 */
final class LanczosBatch {
    static final LaneKernel KERNEL = Backend.load("dev.jacobi.core.kernel.VectorLaneKernel", LaneKernel.class,
            new ScalarLaneKernel());
    static final int LANES = KERNEL.lanes();
    final KernelTaps k;
    final int dim;
    final Tridiagonal[] lanes = new Tridiagonal[LANES];
    /** Phase factors of the taps: one lane's in double, all lanes' in float (tap {@code t} at {@code t·LANES + g}). */
    final double[] sr;
    final double[] si;
    final float[] wr;
    final float[] wi;
    /** {@code P̂[i, j]} of lane {@code g} at {@code (i·cin + j)·LANES + g}. */
    final float[] pr;
    final float[] pi;
    /** Entry {@code l} of Lanczos vector {@code s} of lane {@code g} at {@code (s·dim + l)·LANES + g}. */
    final float[] qr;
    final float[] qi;
    final float[] yr;
    final float[] yi;
    /** Coefficient {@code i} of lane {@code g} at {@code i·LANES + g}. */
    final float[] cr;
    final float[] ci;
    /** Lane-wise scalars. */
    final float[] alpha = new float[LANES];
    final float[] before = new float[LANES];
    final float[] after = new float[LANES];
    final float[] factor = new float[LANES];
    final boolean[] active = new boolean[LANES];

    LanczosBatch(KernelTaps k) {
        this.k = k;
        dim = Math.min(k.cout, k.cin);
        for (int g = 0; g < LANES; g++) {
            lanes[g] = new Tridiagonal(dim, ConvSpectra.LANCZOS_TOL32);
        }
        sr = new double[k.kh * k.kw];
        si = new double[sr.length];
        wr = new float[sr.length * LANES];
        wi = new float[wr.length];
        pr = new float[k.cout * k.cin * LANES];
        pi = new float[pr.length];
        qr = new float[(dim + 1) * dim * LANES];
        qi = new float[qr.length];
        yr = new float[Math.max(k.cout, k.cin) * LANES];
        yi = new float[yr.length];
        cr = new float[Math.max(dim, 2) * LANES];
        ci = new float[cr.length];
    }

    /**
     * {@code λ_max(G)} of the frequencies {@code freqs[from..to)} (at most {@link #LANES}) into {@code out}, each
     * from a random start seeded by its frequency; returns their maximum.
     */
    double largest(int[] freqs, int from, int to, double[] out) {
        int taps = k.kh * k.kw;
        for (int g = 0; g < LANES; g++) {
            active[g] = from + g < to;
            if (active[g]) {
                int f = freqs[from + g];
                k.phases(f / k.m, f % k.m, sr, si);
                Rng rng = new Rng(0x5EEDL + f);
                for (int l = 0; l < dim; l++) {
                    qr[l * LANES + g] = (float) rng.nextGaussian();
                    qi[l * LANES + g] = (float) rng.nextGaussian();
                }
            } else {
                Arrays.fill(sr, 0);
                Arrays.fill(si, 0);
                for (int l = 0; l < dim; l++) {
                    qr[l * LANES + g] = 0;
                    qi[l * LANES + g] = 0;
                }
            }
            for (int t = 0; t < taps; t++) {
                wr[t * LANES + g] = (float) sr[t];
                wi[t * LANES + g] = (float) si[t];
            }
        }
        KERNEL.sharedGemv(k.taps32, k.cout * k.cin, taps, wr, wi, pr, pi);
        dot(0, 0, after);
        for (int g = 0; g < LANES; g++) {
            factor[g] = active[g] ? (float) (1 / Math.sqrt(after[g])) : 0;
        }
        scale(0, factor);
        double top = 0;
        int stride = dim * LANES;
        for (int j = 0; j < dim; j++) {
            int v = j * stride;
            int w = v + stride;
            gram(v, w);
            // w −= alpha·q_j + beta_{j−1}·q_{j−1}: coefficients of q_{j−1}, q_j at 0 and LANES in cr
            dot(v, w, alpha);
            System.arraycopy(alpha, 0, cr, LANES, LANES);
            Arrays.fill(ci, 0, 2 * LANES, 0);
            if (j > 0) {
                KERNEL.gemv(qr, qi, v - stride, dim, 2, LANES, stride, false, cr, ci, 0, qr, qi, w, true);
            } else {
                KERNEL.gemv(qr, qi, v, dim, 1, LANES, stride, false, cr, ci, LANES, qr, qi, w, true);
            }
            dot(w, w, before);
            orthogonalise(j, w, null);
            dot(w, w, after);
            boolean again = false;
            for (int g = 0; g < LANES; g++) {
                factor[g] = after[g] < 0.49f * before[g] ? 1 : 0; // cancellation: one more pass (DGKS)
                again |= factor[g] != 0;
            }
            if (again) {
                orthogonalise(j, w, factor);
                dot(w, w, after);
            }
            boolean any = false;
            for (int g = 0; g < LANES; g++) {
                factor[g] = 0;
                cr[g] = 0; // beta_j, the coefficient of q_j at the next step
                if (active[g]) {
                    float b = (float) Math.sqrt(after[g]);
                    if (lanes[g].step(j, alpha[g], b)) {
                        double lambda = Math.max(0, lanes[g].top(j + 1));
                        out[freqs[from + g]] = lambda;
                        top = Math.max(top, lambda);
                        active[g] = false;
                    } else {
                        factor[g] = 1 / b;
                        cr[g] = b;
                        any = true;
                    }
                }
            }
            if (!any) {
                break;
            }
            scale(w, factor);
        }
        return top;
    }

    /** Vector at {@code w} = {@code G}·(vector at {@code v}), lane-wise. */
    private void gram(int v, int w) {
        int cout = k.cout;
        int cin = k.cin;
        int row = cin * LANES;
        if (cin <= cout) { // y = P̂·x, then Gx = P̂ᴴ·y
            KERNEL.gemv(pr, pi, 0, cout, cin, row, LANES, false, qr, qi, v, yr, yi, 0, false);
            KERNEL.gemv(pr, pi, 0, cin, cout, LANES, row, true, yr, yi, 0, qr, qi, w, false);
        } else { // y = P̂ᴴ·x, then Gx = P̂·y
            KERNEL.gemv(pr, pi, 0, cin, cout, LANES, row, true, qr, qi, v, yr, yi, 0, false);
            KERNEL.gemv(pr, pi, 0, cout, cin, row, LANES, false, yr, yi, 0, qr, qi, w, false);
        }
    }

    /** {@code out[g] = Re(aᴴ·b)} of the vectors at offsets {@code a} and {@code b}, lane-wise. */
    private void dot(int a, int b, float[] out) {
        KERNEL.gemv(qr, qi, a, 1, dim, 0, LANES, true, qr, qi, b, out, yi, 0, false);
    }

    /** Vector at {@code o} times {@code c[g]}, lane-wise. */
    private void scale(int o, float[] c) {
        for (int l = 0; l < dim; l++) {
            int x = o + l * LANES;
            for (int g = 0; g < LANES; g++) {
                qr[x + g] *= c[g];
                qi[x + g] *= c[g];
            }
        }
    }

    /**
     * One classical Gram–Schmidt pass of the vector {@code w} (offset) against vectors {@code q_0..q_j},
     * lane-wise: all coefficients {@code c_i = q_iᴴ·w} first, then {@code w −= Σ c_i·q_i}. With {@code mask},
     * lane {@code g}'s coefficients are multiplied by {@code mask[g]} (0 leaves that lane's vector as it was).
     */
    private void orthogonalise(int j, int w, float[] mask) {
        int stride = dim * LANES;
        KERNEL.gemv(qr, qi, 0, j + 1, dim, stride, LANES, true, qr, qi, w, cr, ci, 0, false);
        if (mask != null) {
            for (int i = 0; i <= j; i++) {
                for (int g = 0; g < LANES; g++) {
                    cr[i * LANES + g] *= mask[g];
                    ci[i * LANES + g] *= mask[g];
                }
            }
        }
        KERNEL.gemv(qr, qi, 0, dim, j + 1, LANES, stride, false, cr, ci, 0, qr, qi, w, true);
    }
}
