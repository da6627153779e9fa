package dev.jacobi.core.kernel;

/** Plain-Java kernels: the fallback when the Vector API is absent or disabled, and the reference in tests. */
public class ScalarKernels implements Kernels {
    @Override
    public String describe() {
        return "scalar (plain Java)";
    }

    @Override
    public void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        switch (op) {
            case ADD -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] + b[bo + i * bs]; }
            case SUB -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] - b[bo + i * bs]; }
            case MUL -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] * b[bo + i * bs]; }
            case DIV -> { for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as] / b[bo + i * bs]; }
            default -> { for (int i = 0; i < n; i++) out[oo + i] = (float) op.apply(a[ao + i * as], b[bo + i * bs]); }
        }
    }

    @Override
    public void unary(UnaryOp op, float[] a, int ao, int as, float[] out, int oo, int n, float p, float q) {
        switch (op) {
            case COPY -> {
                if (as == 1) {
                    System.arraycopy(a, ao, out, oo, n);
                } else {
                    for (int i = 0; i < n; i++) out[oo + i] = a[ao + i * as];
                }
            }
            case NEG -> { for (int i = 0; i < n; i++) out[oo + i] = -a[ao + i * as]; }
            case SQUARE -> { for (int i = 0; i < n; i++) { float x = a[ao + i * as]; out[oo + i] = x * x; } }
            case RELU -> { for (int i = 0; i < n; i++) out[oo + i] = Math.max(a[ao + i * as], 0f); }
            case EXP -> { for (int i = 0; i < n; i++) out[oo + i] = (float) Math.exp(a[ao + i * as]); }
            default -> { for (int i = 0; i < n; i++) out[oo + i] = (float) op.apply(a[ao + i * as], p, q); }
        }
    }

    @Override
    public void sumRows(float[] x, int off, int stride, int rows, float[] out, int oo, int n) {
        System.arraycopy(x, off, out, oo, n);
        for (int r = 1; r < rows; r++) {
            int o = off + r * stride;
            for (int j = 0; j < n; j++) {
                out[oo + j] += x[o + j];
            }
        }
    }

    @Override
    public float sum(float[] a, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[off + i];
        }
        return (float) s;
    }

    @Override
    public float max(float[] a, int off, int n) {
        float m = a[off];
        for (int i = 1; i < n; i++) {
            float x = a[off + i];
            if (x > m || x != x) {
                m = x;
                if (x != x) {
                    return x;
                }
            }
        }
        return m;
    }

    @Override
    public float min(float[] a, int off, int n) {
        float m = a[off];
        for (int i = 1; i < n; i++) {
            float x = a[off + i];
            if (x < m || x != x) {
                m = x;
                if (x != x) {
                    return x;
                }
            }
        }
        return m;
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return (float) s;
    }

    @Override
    public double dot(double[] a, int ao, double[] b, int bo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    @Override
    public float sumSquaredDeviations(float[] a, int off, int n, float c) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            float d = a[off + i] - c;
            s += d * d;
        }
        return (float) s;
    }

    @Override
    public void scaleShift(float[] a, int ao, float s, float t, boolean relu, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            float v = a[ao + i] * s + t;
            out[oo + i] = relu ? Math.max(v, 0f) : v;
        }
    }

    @Override
    public void winogradOutput(float[] m, int mo, int s, float bias, float[] out, int oo, int os, int n) {
        for (int i = 0; i < n; i++) {
            int o = mo + i;
            // Aᵀ m: rows m0 + m1 + m2 and m1 − m2 − m3, for each of the 4 columns
            float u0 = m[o] + m[o + 4 * s] + m[o + 8 * s];
            float u1 = m[o + s] + m[o + 5 * s] + m[o + 9 * s];
            float u2 = m[o + 2 * s] + m[o + 6 * s] + m[o + 10 * s];
            float u3 = m[o + 3 * s] + m[o + 7 * s] + m[o + 11 * s];
            float w0 = m[o + 4 * s] - m[o + 8 * s] - m[o + 12 * s];
            float w1 = m[o + 5 * s] - m[o + 9 * s] - m[o + 13 * s];
            float w2 = m[o + 6 * s] - m[o + 10 * s] - m[o + 14 * s];
            float w3 = m[o + 7 * s] - m[o + 11 * s] - m[o + 15 * s];
            // (Aᵀ m) A: the same on each row
            out[oo + i] = u0 + u1 + u2 + bias;
            out[oo + os + i] = u1 - u2 - u3 + bias;
            out[oo + 2 * os + i] = w0 + w1 + w2 + bias;
            out[oo + 3 * os + i] = w1 - w2 - w3 + bias;
        }
    }

    @Override
    public void winogradInput(float[] x, int xo, int rs, int cs, float[] v, int vo, int s, int n) {
        for (int i = 0; i < n; i++) {
            int p0 = xo + i;
            int p1 = p0 + rs;
            int p2 = p1 + rs;
            int p3 = p2 + rs;
            // Bᵀ d: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3 (for each of the 4 columns)
            float a0 = x[p0] - x[p2];
            float a1 = x[p0 + cs] - x[p2 + cs];
            float a2 = x[p0 + 2 * cs] - x[p2 + 2 * cs];
            float a3 = x[p0 + 3 * cs] - x[p2 + 3 * cs];
            float b0 = x[p1] + x[p2];
            float b1 = x[p1 + cs] + x[p2 + cs];
            float b2 = x[p1 + 2 * cs] + x[p2 + 2 * cs];
            float b3 = x[p1 + 3 * cs] + x[p2 + 3 * cs];
            float c0 = x[p2] - x[p1];
            float c1 = x[p2 + cs] - x[p1 + cs];
            float c2 = x[p2 + 2 * cs] - x[p1 + 2 * cs];
            float c3 = x[p2 + 3 * cs] - x[p1 + 3 * cs];
            float e0 = x[p1] - x[p3];
            float e1 = x[p1 + cs] - x[p3 + cs];
            float e2 = x[p1 + 2 * cs] - x[p3 + 2 * cs];
            float e3 = x[p1 + 3 * cs] - x[p3 + 3 * cs];
            // (Bᵀ d) B: the same on each row
            int o = vo + i;
            v[o] = a0 - a2;
            v[o + s] = a1 + a2;
            v[o + 2 * s] = a2 - a1;
            v[o + 3 * s] = a1 - a3;
            v[o + 4 * s] = b0 - b2;
            v[o + 5 * s] = b1 + b2;
            v[o + 6 * s] = b2 - b1;
            v[o + 7 * s] = b1 - b3;
            v[o + 8 * s] = c0 - c2;
            v[o + 9 * s] = c1 + c2;
            v[o + 10 * s] = c2 - c1;
            v[o + 11 * s] = c1 - c3;
            v[o + 12 * s] = e0 - e2;
            v[o + 13 * s] = e1 + e2;
            v[o + 14 * s] = e2 - e1;
            v[o + 15 * s] = e1 - e3;
        }
    }

    @Override
    public void winogradGradient(float[] g, int g00, int g01, int g10, int g11, float[] v, int vo, int s, int n) {
        for (int i = 0; i < n; i++) {
            float a = g[g00 + i];
            float b = g[g01 + i];
            float c = g[g10 + i];
            float d = g[g11 + i];
            // G g: rows (a, b), (a + c, b + d), (a − c, b − d), (c, d); then each row (p, q) to (p, p + q, p − q, q)
            float s0 = a + c;
            float s1 = b + d;
            float d0 = a - c;
            float d1 = b - d;
            int o = vo + i;
            v[o] = a;
            v[o + s] = a + b;
            v[o + 2 * s] = a - b;
            v[o + 3 * s] = b;
            v[o + 4 * s] = s0;
            v[o + 5 * s] = s0 + s1;
            v[o + 6 * s] = s0 - s1;
            v[o + 7 * s] = s1;
            v[o + 8 * s] = d0;
            v[o + 9 * s] = d0 + d1;
            v[o + 10 * s] = d0 - d1;
            v[o + 11 * s] = d1;
            v[o + 12 * s] = c;
            v[o + 13 * s] = c + d;
            v[o + 14 * s] = c - d;
            v[o + 15 * s] = d;
        }
    }

    @Override
    public void maskedSums(float[] g, int go, float[] y, int yo, float[] x, int xo, float c, int n, double[] sums) {
        double s0 = 0;
        double s1 = 0;
        for (int i = 0; i < n; i++) {
            float m = y == null || y[yo + i] > 0 ? g[go + i] : 0f;
            s0 += m;
            s1 += m * (x[xo + i] - c);
        }
        sums[0] += s0;
        sums[1] += s1;
    }

    @Override
    public void maskedAffine(float[] g, int go, float[] y, int yo, float[] x, int xo, float c, float k1, float k2,
                             float k3, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) {
            float m = y == null || y[yo + i] > 0 ? g[go + i] : 0f;
            out[oo + i] = k1 * m + ((x[xo + i] - c) * k2 + k3);
        }
    }
}
