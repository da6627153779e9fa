package dev.jacobi.core.linalg;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.kernel.Workers;
import java.util.Arrays;

/**
 * Small dense linear algebra in double precision on 2-D tensors: symmetric eigendecomposition (cyclic Jacobi),
 * thin SVD (one-sided Jacobi), singular values of complex matrices, Householder QR and spectral norms. FLOAT32
 * inputs are converted; results are always FLOAT64. Accurate for small and medium matrices (up to a few hundred
 * rows); the cost is cubic with a larger constant than LAPACK's.
 */
public final class Linalg {
    private static final double EPS = 0x1.0p-52;
    private static final int MAX_SWEEPS = 100;

    /**
     * Eigendecomposition {@code A = V·diag(values)·Vᵀ} of a symmetric matrix.
     *
     * @param values eigenvalues in ascending order, shape {@code [n]}
     * @param vectors orthonormal eigenvectors as columns, shape {@code [n, n]}
     */
    public record Eigh(Tensor values, Tensor vectors) {
    }

    /**
     * Thin singular value decomposition {@code A = U·diag(s)·Vᵀ} of an {@code m×n} matrix, {@code k = min(m, n)}.
     *
     * @param u orthonormal columns, shape {@code [m, k]}
     * @param s singular values in descending order, shape {@code [k]}
     * @param vt orthonormal rows, shape {@code [k, n]}
     */
    public record Svd(Tensor u, Tensor s, Tensor vt) {
    }

    /**
     * Reduced QR decomposition {@code A = Q·R} of an {@code m×n} matrix, {@code k = min(m, n)}.
     *
     * @param q orthonormal columns, shape {@code [m, k]}
     * @param r upper triangular (trapezoidal) with a non-negative diagonal, shape {@code [k, n]}
     */
    public record Qr(Tensor q, Tensor r) {
    }

    private Linalg() {
    }

    /** The row-major float64 copy of a finite 2-D tensor, or an error naming {@code op}. */
    private static double[] matrix(Tensor a, String op) {
        if (a == null || a.dim() != 2) {
            throw new IllegalArgumentException(op + ": need a 2-D matrix, got "
                    + (a == null ? "null" : "shape " + Shapes.str(a.shape())));
        }
        double[] x = a.toDoubleArray();
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i])) {
                throw new IllegalArgumentException(op + ": matrix of shape " + Shapes.str(a.shape()) + " has "
                        + x[i] + " at [" + i / a.shape()[1] + ", " + i % a.shape()[1] + "]");
            }
        }
        return x;
    }

    // ---------------------------------------------------------------- symmetric eigenproblem

    /**
     * Eigendecomposition {@code A = V·diag(λ)·Vᵀ} of a symmetric matrix by the cyclic Jacobi method. Input is
     * accepted as symmetric when {@code |a_ij − a_ji| ≤ tol·max|a|} with {@code tol = 1e-5} for FLOAT32 and
     * {@code 1e-10} for FLOAT64, and is then symmetrised as {@code (A + Aᵀ)/2}.
     *
     * @param symmetric a square symmetric matrix
     * @return ascending eigenvalues and the matching orthonormal eigenvectors as columns
     */
    public static Eigh eigh(Tensor symmetric) {
        double[] a = matrix(symmetric, "eigh");
        int n = symmetric.shape()[0];
        if (symmetric.shape()[1] != n) {
            throw new IllegalArgumentException("eigh: matrix must be square, got shape " + Shapes.str(symmetric.shape()));
        }
        double max = 0;
        for (double x : a) {
            max = Math.max(max, Math.abs(x));
        }
        double tol = (symmetric.dtype() == DType.FLOAT32 ? 1e-5 : 1e-10) * max;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double x = a[i * n + j];
                double y = a[j * n + i];
                if (Math.abs(x - y) > tol) {
                    throw new IllegalArgumentException("eigh: matrix of shape " + Shapes.str(symmetric.shape())
                            + " is not symmetric: a[" + i + ", " + j + "] = " + x + " but a[" + j + ", " + i + "] = " + y);
                }
                a[i * n + j] = a[j * n + i] = 0.5 * (x + y);
            }
        }
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) {
            v[i * n + i] = 1;
        }
        jacobiEigen(a, v, n);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (p, q) -> Double.compare(a[p * n + p], a[q * n + q]));
        double[] values = new double[n];
        double[] vectors = new double[n * n];
        for (int j = 0; j < n; j++) {
            int src = order[j];
            values[j] = a[src * n + src];
            for (int r = 0; r < n; r++) {
                vectors[r * n + j] = v[r * n + src];
            }
        }
        return new Eigh(Tensor.of(values, n), Tensor.of(vectors, n, n));
    }

    /** Cyclic Jacobi sweeps on the symmetric {@code a} (n×n) until diagonal; rotations accumulate into {@code v}. */
    private static void jacobiEigen(double[] a, double[] v, int n) {
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += a[p * n + q] * a[p * n + q];
                }
            }
            if (off == 0) {
                return;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p * n + q];
                    double app = a[p * n + p];
                    double aqq = a[q * n + q];
                    double g = 100 * Math.abs(apq);
                    if (sweep > 3 && Math.abs(app) + g == Math.abs(app) && Math.abs(aqq) + g == Math.abs(aqq)) {
                        a[p * n + q] = a[q * n + p] = 0; // negligible next to both diagonal entries
                        continue;
                    }
                    if (apq == 0) {
                        continue;
                    }
                    double theta = (aqq - app) / (2 * apq);
                    double t = 1 / (Math.abs(theta) + Math.hypot(theta, 1));
                    if (theta < 0) {
                        t = -t;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    a[p * n + p] = app - t * apq;
                    a[q * n + q] = aqq + t * apq;
                    a[p * n + q] = a[q * n + p] = 0;
                    for (int k = 0; k < n; k++) {
                        if (k != p && k != q) {
                            double akp = a[k * n + p];
                            double akq = a[k * n + q];
                            a[k * n + p] = a[p * n + k] = c * akp - s * akq;
                            a[k * n + q] = a[q * n + k] = s * akp + c * akq;
                        }
                        double vkp = v[k * n + p];
                        double vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        throw new IllegalStateException("eigh: cyclic Jacobi did not converge in " + MAX_SWEEPS + " sweeps (n = " + n + ")");
    }

    // ---------------------------------------------------------------- SVD

    /**
     * Thin SVD {@code A = U·diag(s)·Vᵀ} by one-sided (Hestenes) Jacobi rotations: columns of {@code A} (or rows,
     * when {@code m < n}) are rotated until mutually orthogonal. Columns of {@code U} for zero singular values
     * are completed to an orthonormal set.
     *
     * @param a an {@code m×n} matrix
     * @return {@code u [m, k]}, descending {@code s [k]}, {@code vt [k, n]} with {@code k = min(m, n)}
     */
    public static Svd svd(Tensor a) {
        double[] x = matrix(a, "svd");
        int m = a.shape()[0];
        int n = a.shape()[1];
        int k = Math.min(m, n);
        int len = Math.max(m, n);
        double[] w = m >= n ? transpose(x, m, n) : x; // k rows of length len
        double[] v = new double[k * k];
        for (int i = 0; i < k; i++) {
            v[i * k + i] = 1;
        }
        hestenes(w, k, len, v);
        double[] s = new double[k];
        Integer[] order = sortedNorms(w, k, len, s);
        double[] wn = new double[k * len];
        double[] vr = new double[k * k];
        double small = (s.length == 0 ? 0 : s[0]) * EPS * len;
        boolean[] deficient = new boolean[k];
        for (int i = 0; i < k; i++) {
            int src = order[i];
            System.arraycopy(v, src * k, vr, i * k, k);
            deficient[i] = s[i] <= small;
            if (!deficient[i]) {
                for (int j = 0; j < len; j++) {
                    wn[i * len + j] = w[src * len + j] / s[i];
                }
            }
        }
        completeOrthonormal(wn, k, len, deficient);
        double[] u = m >= n ? transpose(wn, k, m) : transpose(vr, k, m);
        double[] vt = m >= n ? vr : wn;
        return new Svd(Tensor.of(u, m, k), Tensor.of(s, k), Tensor.of(vt, k, n));
    }

    /**
     * Singular values {@code σ_1 ≥ … ≥ σ_k} of an {@code m×n} matrix, {@code k = min(m, n)} (one-sided Jacobi).
     *
     * @param a an {@code m×n} matrix
     * @return the descending singular values, shape {@code [k]}
     */
    public static Tensor svdvals(Tensor a) {
        double[] x = matrix(a, "svdvals");
        return Tensor.of(svdvals(x, a.shape()[0], a.shape()[1]), Math.min(a.shape()[0], a.shape()[1]));
    }

    private static double[] svdvals(double[] x, int m, int n) {
        int k = Math.min(m, n);
        int len = Math.max(m, n);
        double[] w = m >= n ? transpose(x, m, n) : x.clone();
        hestenes(w, k, len, null);
        double[] s = new double[k];
        sortedNorms(w, k, len, s);
        return s;
    }

    /**
     * Singular values of the complex matrix {@code A = re + i·im}, descending. Computed from the real embedding
     * {@code [[Re, −Im], [Im, Re]]}, whose singular values are those of {@code A}, each exactly twice.
     *
     * @param re real parts, {@code m×n}
     * @param im imaginary parts of the same shape, or {@code null} for zeros
     * @return the {@code min(m, n)} singular values in descending order
     */
    public static Tensor svdvalsComplex(Tensor re, Tensor im) {
        double[] r = matrix(re, "svdvalsComplex");
        if (im != null && !Arrays.equals(re.shape(), im.shape())) {
            throw new IllegalArgumentException("svdvalsComplex: re and im shapes differ: "
                    + Shapes.str(re.shape()) + " and " + Shapes.str(im.shape()));
        }
        double[] i = im == null ? new double[r.length] : matrix(im, "svdvalsComplex");
        int m = re.shape()[0];
        int n = re.shape()[1];
        int k = Math.min(m, n);
        double[] e = new double[4 * m * n];
        int w = 2 * n;
        for (int p = 0; p < m; p++) {
            for (int q = 0; q < n; q++) {
                double a = r[p * n + q];
                double b = i[p * n + q];
                e[p * w + q] = a;
                e[p * w + n + q] = -b;
                e[(m + p) * w + q] = b;
                e[(m + p) * w + n + q] = a;
            }
        }
        double[] s2 = svdvals(e, 2 * m, 2 * n);
        double[] s = new double[k];
        for (int j = 0; j < k; j++) {
            // sorted, every value occurs twice: the pairs are adjacent, so take one of each pair
            s[j] = 0.5 * (s2[2 * j] + s2[2 * j + 1]);
        }
        return Tensor.of(s, k);
    }

    /**
     * The inverse of each square matrix in the last two dims of {@code a} ({@code [..., n, n]}), as
     * {@code torch.linalg.inv}: Gauss–Jordan elimination with partial pivoting in double precision, the result in
     * {@code a}'s dtype. A singular matrix (a pivot of exactly 0 or not finite) is an IllegalArgumentException that
     * names the batch entry and the column.
     *
     * @param a square matrices, batch dims first
     * @return the inverses, same shape and dtype
     */
    public static Tensor inv(Tensor a) {
        int[] s = a.shape();
        if (s.length < 2 || s[s.length - 1] != s[s.length - 2]) {
            throw new IllegalArgumentException("linalg.inv: need square matrices [..., n, n], got shape "
                    + Shapes.str(s));
        }
        int n = s[s.length - 1];
        double[] x = a.contiguous().toDoubleArray();
        int batch = n == 0 ? 0 : x.length / (n * n);
        double[] out = new double[x.length];
        double[] m = new double[n * 2 * n];
        for (int b = 0; b < batch; b++) {
            // [A | I] → [I | A⁻¹]
            Arrays.fill(m, 0);
            for (int i = 0; i < n; i++) {
                System.arraycopy(x, b * n * n + i * n, m, i * 2 * n, n);
                m[i * 2 * n + n + i] = 1;
            }
            for (int c = 0; c < n; c++) {
                int piv = c;
                for (int r = c + 1; r < n; r++) {
                    if (Math.abs(m[r * 2 * n + c]) > Math.abs(m[piv * 2 * n + c])) {
                        piv = r;
                    }
                }
                double p = m[piv * 2 * n + c];
                if (p == 0 || !Double.isFinite(p)) {
                    throw new IllegalArgumentException("linalg.inv: matrix " + b + " of shape " + Shapes.str(s)
                            + " is singular (pivot " + p + " in column " + c + "); the inversion could not be "
                            + "completed");
                }
                if (piv != c) {
                    for (int j = 0; j < 2 * n; j++) {
                        double t = m[c * 2 * n + j];
                        m[c * 2 * n + j] = m[piv * 2 * n + j];
                        m[piv * 2 * n + j] = t;
                    }
                }
                for (int j = 0; j < 2 * n; j++) {
                    m[c * 2 * n + j] /= p;
                }
                for (int r = 0; r < n; r++) {
                    double f = m[r * 2 * n + c];
                    if (r != c && f != 0) {
                        for (int j = 0; j < 2 * n; j++) {
                            m[r * 2 * n + j] -= f * m[c * 2 * n + j];
                        }
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                System.arraycopy(m, i * 2 * n + n, out, b * n * n + i * n, n);
            }
        }
        return Tensor.of(out, s).to(a.dtype());
    }

    /**
     * Spectral norm {@code ‖A‖₂ = σ_max(A)}, the largest singular value (0 for an empty matrix).
     *
     * @param a an {@code m×n} matrix
     * @return the largest singular value
     */
    public static double spectralNorm(Tensor a) {
        double[] s = svdvals(matrix(a, "spectralNorm"), a.shape()[0], a.shape()[1]);
        return s.length == 0 ? 0 : s[0];
    }

    /**
     * Largest singular value {@code σ_max(A_b)} of each complex matrix {@code A_b = re_b + i·im_b} over the last
     * two dims (leading dims are a batch), by power iteration on {@code AᴴA} from a seeded random start until the
     * Rayleigh quotient changes by less than {@code 1e-12} relative in one step (at most 5000 steps). The estimate
     * approaches {@code σ_max} from below, with an error that shrinks like {@code (σ₂/σ₁)^{2·steps}}: fast for a
     * clear gap, slow when the top two singular values nearly coincide. {@link #svdvalsComplex} is exact.
     *
     * @param re real parts {@code [..., m, n]}
     * @param im imaginary parts of the same shape, or {@code null} for zeros
     * @return float64 tensor of shape {@code [...]} holding each matrix's largest singular value
     */
    public static Tensor spectralNormComplexBatch(Tensor re, Tensor im) {
        String op = "spectralNormComplexBatch";
        if (re == null || re.dim() < 2 || (im != null && !Arrays.equals(re.shape(), im.shape()))) {
            throw new IllegalArgumentException(op + ": need re of rank >= 2 and im of the same shape or null, got "
                    + (re == null ? "null" : Shapes.str(re.shape())) + " and " + (im == null ? "null" : Shapes.str(im.shape())));
        }
        int r = re.dim();
        int m = re.shape()[r - 2];
        int n = re.shape()[r - 1];
        int[] out = Arrays.copyOf(re.shape(), r - 2);
        int batch = Shapes.numel(out, op);
        double[] ar = re.toDoubleArray();
        double[] ai = im == null ? new double[ar.length] : im.toDoubleArray();
        for (int i = 0; i < ar.length; i++) {
            if (!Double.isFinite(ar[i]) || !Double.isFinite(ai[i])) {
                throw new IllegalArgumentException(op + ": non-finite entry " + ar[i] + " + " + ai[i]
                        + "i at flat index " + i + " of shape " + Shapes.str(re.shape()));
            }
        }
        double[] norms = new double[batch];
        Workers.forRange(batch, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                norms[b] = powerIteration(ar, ai, b * m * n, m, n, new Rng(0x5EED + b));
            }
        });
        return Tensor.of(norms, out);
    }

    /** σ_max of the m×n complex matrix at offset {@code o} by power iteration on AᴴA. */
    private static double powerIteration(double[] ar, double[] ai, int o, int m, int n, Rng rng) {
        if (m == 0 || n == 0) {
            return 0;
        }
        double[] xr = new double[n];
        double[] xi = new double[n];
        double[] yr = new double[m];
        double[] yi = new double[m];
        for (int j = 0; j < n; j++) {
            xr[j] = rng.nextGaussian();
            xi[j] = rng.nextGaussian();
        }
        double nx = Math.sqrt(dot(xr, 0, xr, 0, n) + dot(xi, 0, xi, 0, n));
        double s2 = 0;
        for (int it = 0; it < 5000; it++) {
            for (int p = 0; p < m; p++) { // y = A·x/|x|
                double sr = 0;
                double si = 0;
                int row = o + p * n;
                for (int q = 0; q < n; q++) {
                    sr += ar[row + q] * xr[q] - ai[row + q] * xi[q];
                    si += ar[row + q] * xi[q] + ai[row + q] * xr[q];
                }
                yr[p] = sr / nx;
                yi[p] = si / nx;
            }
            double prev = s2;
            s2 = dot(yr, 0, yr, 0, m) + dot(yi, 0, yi, 0, m); // Rayleigh quotient xᴴAᴴAx/xᴴx
            Arrays.fill(xr, 0);
            Arrays.fill(xi, 0);
            for (int p = 0; p < m; p++) { // x = Aᴴ·y
                int row = o + p * n;
                double br = yr[p];
                double bi = yi[p];
                for (int q = 0; q < n; q++) {
                    xr[q] += ar[row + q] * br + ai[row + q] * bi;
                    xi[q] += ar[row + q] * bi - ai[row + q] * br;
                }
            }
            nx = Math.sqrt(dot(xr, 0, xr, 0, n) + dot(xi, 0, xi, 0, n));
            if (nx == 0 || Math.abs(s2 - prev) <= 1e-12 * s2) {
                break;
            }
        }
        return Math.sqrt(s2);
    }

    private static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[x.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = x[i * cols + j];
            }
        }
        return t;
    }

    private static double dot(double[] a, int ao, double[] b, int bo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    /**
     * Rotates pairs of the {@code k} rows (length {@code len}) of {@code w} until mutually orthogonal to about
     * {@code len·eps} relative; applies the same rotations to the rows of the {@code k×k} {@code v} if non-null.
     */
    private static void hestenes(double[] w, int k, int len, double[] v) {
        double tol = EPS * Math.max(len, 4);
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int i = 0; i < k; i++) {
                for (int j = i + 1; j < k; j++) {
                    double alpha = dot(w, i * len, w, i * len, len);
                    double beta = dot(w, j * len, w, j * len, len);
                    double gamma = dot(w, i * len, w, j * len, len);
                    if (Math.abs(gamma) <= tol * Math.sqrt(alpha) * Math.sqrt(beta)) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = 1 / (Math.abs(zeta) + Math.hypot(zeta, 1));
                    if (zeta < 0) {
                        t = -t;
                    }
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    rotate(w, i * len, j * len, len, c, s);
                    if (v != null) {
                        rotate(v, i * k, j * k, k, c, s);
                    }
                }
            }
            if (!rotated) {
                return;
            }
        }
        // Not reached in practice: the rows are then orthogonal to within rounding of the largest row.
    }

    private static void rotate(double[] x, int io, int jo, int n, double c, double s) {
        for (int p = 0; p < n; p++) {
            double a = x[io + p];
            double b = x[jo + p];
            x[io + p] = c * a - s * b;
            x[jo + p] = s * a + c * b;
        }
    }

    /** Row norms of {@code w} sorted descending into {@code s}; returns the source row of each. */
    private static Integer[] sortedNorms(double[] w, int k, int len, double[] s) {
        double[] norms = new double[k];
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) {
            norms[i] = Math.sqrt(dot(w, i * len, w, i * len, len));
            order[i] = i;
        }
        Arrays.sort(order, (p, q) -> Double.compare(norms[q], norms[p]));
        for (int i = 0; i < k; i++) {
            s[i] = norms[order[i]];
        }
        return order;
    }

    /**
     * Fills the rows of {@code q} (k rows of length len, orthonormal where not {@code missing}) marked missing
     * with unit vectors orthogonal to all others: the standard basis vector with the largest residual after
     * two rounds of Gram–Schmidt.
     */
    private static void completeOrthonormal(double[] q, int k, int len, boolean[] missing) {
        boolean[] done = new boolean[k];
        for (int i = 0; i < k; i++) {
            done[i] = !missing[i];
        }
        double[] x = new double[len];
        for (int i = 0; i < k; i++) {
            if (done[i]) {
                continue;
            }
            double best = -1;
            double[] bestX = null;
            for (int e = 0; e < len; e++) {
                Arrays.fill(x, 0);
                x[e] = 1;
                for (int round = 0; round < 2; round++) {
                    for (int j = 0; j < k; j++) {
                        if (done[j]) {
                            double d = dot(q, j * len, x, 0, len);
                            for (int p = 0; p < len; p++) {
                                x[p] -= d * q[j * len + p];
                            }
                        }
                    }
                }
                double norm = Math.sqrt(dot(x, 0, x, 0, len));
                if (norm > best) {
                    best = norm;
                    bestX = x.clone();
                }
            }
            for (int p = 0; p < len; p++) {
                q[i * len + p] = bestX[p] / best;
            }
            done[i] = true;
        }
    }

    // ---------------------------------------------------------------- QR

    /**
     * Reduced QR {@code A = Q·R} by Householder reflections, with the signs chosen so that {@code diag(R) ≥ 0}
     * (so {@code Q} of a Gaussian matrix is Haar-distributed, as orthogonal initialisation needs).
     *
     * @param a an {@code m×n} matrix
     * @return {@code q [m, k]} with orthonormal columns and upper-triangular {@code r [k, n]}, {@code k = min(m, n)}
     */
    public static Qr qr(Tensor a) {
        double[] r = matrix(a, "qr");
        int m = a.shape()[0];
        int n = a.shape()[1];
        int k = Math.min(m, n);
        double[] vs = new double[k * m]; // unit Householder vectors, v_j nonzero from index j on
        for (int j = 0; j < k; j++) {
            double norm = 0;
            for (int i = j; i < m; i++) {
                norm += r[i * n + j] * r[i * n + j];
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                continue; // column already zero below the diagonal: H_j = I
            }
            double alpha = r[j * n + j] >= 0 ? -norm : norm;
            double vnorm = 0;
            for (int i = j; i < m; i++) {
                double vi = r[i * n + j] - (i == j ? alpha : 0);
                vs[j * m + i] = vi;
                vnorm += vi * vi;
            }
            vnorm = Math.sqrt(vnorm);
            for (int i = j; i < m; i++) {
                vs[j * m + i] /= vnorm;
            }
            reflect(vs, j * m, j, r, m, n, j);
            r[j * n + j] = alpha;
            for (int i = j + 1; i < m; i++) {
                r[i * n + j] = 0;
            }
        }
        double[] q = new double[m * k];
        for (int i = 0; i < k; i++) {
            q[i * k + i] = 1;
        }
        for (int j = k - 1; j >= 0; j--) {
            reflect(vs, j * m, j, q, m, k, 0);
        }
        double[] rr = Arrays.copyOf(r, k * n);
        for (int i = 0; i < k; i++) {
            if (rr[i * n + i] < 0) {
                for (int c = 0; c < n; c++) {
                    rr[i * n + c] = -rr[i * n + c];
                }
                for (int p = 0; p < m; p++) {
                    q[p * k + i] = -q[p * k + i];
                }
            }
        }
        return new Qr(Tensor.of(q, m, k), Tensor.of(rr, k, n));
    }

    /** {@code X[j:, c0:] -= 2·v·(vᵀ·X[j:, c0:])} for the m×cols row-major {@code x} and unit {@code v[j:]}. */
    private static void reflect(double[] v, int vo, int j, double[] x, int m, int cols, int c0) {
        double[] d = new double[cols];
        for (int i = j; i < m; i++) {
            double vi = v[vo + i];
            for (int c = c0; c < cols; c++) {
                d[c] += vi * x[i * cols + c];
            }
        }
        for (int i = j; i < m; i++) {
            double vi = 2 * v[vo + i];
            for (int c = c0; c < cols; c++) {
                x[i * cols + c] -= vi * d[c];
            }
        }
    }
}
