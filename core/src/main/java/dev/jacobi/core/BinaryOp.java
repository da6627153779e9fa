package dev.jacobi.core;

/** Element-wise binary operations with their scalar definitions; SIMD kernels specialise the common ones. */
enum BinaryOp {
    ADD { double apply(double a, double b) { return a + b; } },
    SUB { double apply(double a, double b) { return a - b; } },
    MUL { double apply(double a, double b) { return a * b; } },
    DIV { double apply(double a, double b) { return a / b; } },
    POW { double apply(double a, double b) { return Math.pow(a, b); } },
    MAX { double apply(double a, double b) { return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b); } },
    MIN { double apply(double a, double b) { return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b); } },
    EQ { double apply(double a, double b) { return a == b ? 1 : 0; } },
    NE { double apply(double a, double b) { return a != b ? 1 : 0; } },
    LT { double apply(double a, double b) { return a < b ? 1 : 0; } },
    LE { double apply(double a, double b) { return a <= b ? 1 : 0; } },
    GT { double apply(double a, double b) { return a > b ? 1 : 0; } },
    GE { double apply(double a, double b) { return a >= b ? 1 : 0; } },
    /** {@code a} where {@code b > 0}, else 0: ReLU's backward (PyTorch's {@code threshold_backward} at 0). */
    THRESHOLD_BACKWARD { double apply(double a, double b) { return b > 0 ? a : 0; } };

    abstract double apply(double a, double b);

    String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
