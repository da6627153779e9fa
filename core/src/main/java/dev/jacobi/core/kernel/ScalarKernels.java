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
}
