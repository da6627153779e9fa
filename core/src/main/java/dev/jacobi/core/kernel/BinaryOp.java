package dev.jacobi.core.kernel;

/** Element-wise binary operations with their scalar definitions; SIMD kernels specialise the common ones. */
public enum BinaryOp {
    ADD { public double apply(double a, double b) { return a + b; } },
    SUB { public double apply(double a, double b) { return a - b; } },
    MUL { public double apply(double a, double b) { return a * b; } },
    DIV { public double apply(double a, double b) { return a / b; } },
    POW { public double apply(double a, double b) { return Math.pow(a, b); } },
    MAX { public double apply(double a, double b) { return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b); } },
    MIN { public double apply(double a, double b) { return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b); } },
    EQ { public double apply(double a, double b) { return a == b ? 1 : 0; } },
    NE { public double apply(double a, double b) { return a != b ? 1 : 0; } },
    LT { public double apply(double a, double b) { return a < b ? 1 : 0; } },
    LE { public double apply(double a, double b) { return a <= b ? 1 : 0; } },
    GT { public double apply(double a, double b) { return a > b ? 1 : 0; } },
    GE { public double apply(double a, double b) { return a >= b ? 1 : 0; } },
    /** {@code a} where {@code b > 0}, else 0: ReLU's backward (PyTorch's {@code threshold_backward} at 0). */
    THRESHOLD_BACKWARD { public double apply(double a, double b) { return b > 0 ? a : 0; } },
    /** {@code max(a + b, 0)} in one pass (NaN stays NaN): a bias or shift followed by ReLU (PyTorch's {@code _add_relu}). */
    ADD_RELU { public double apply(double a, double b) { double s = a + b; return s > 0 ? s : (s == s ? 0 : s); } };

    public abstract double apply(double a, double b);

    public String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
