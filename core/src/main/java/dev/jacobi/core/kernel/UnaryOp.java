package dev.jacobi.core.kernel;

/** Element-wise unary operations, some with scalar parameters {@code p} and {@code q}. */
public enum UnaryOp {
    COPY { public double apply(double x, double p, double q) { return x; } },
    NEG { public double apply(double x, double p, double q) { return -x; } },
    ABS { public double apply(double x, double p, double q) { return Math.abs(x); } },
    EXP { public double apply(double x, double p, double q) { return Math.exp(x); } },
    LOG { public double apply(double x, double p, double q) { return Math.log(x); } },
    SQRT { public double apply(double x, double p, double q) { return Math.sqrt(x); } },
    TANH { public double apply(double x, double p, double q) { return Math.tanh(x); } },
    SIGMOID { public double apply(double x, double p, double q) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); } },
    RELU { public double apply(double x, double p, double q) { return x > 0 ? x : (x == x ? 0 : x); } },
    SIGN { public double apply(double x, double p, double q) { return x > 0 ? 1 : x < 0 ? -1 : x == x ? 0 : x; } },
    SIN { public double apply(double x, double p, double q) { return Math.sin(x); } },
    COS { public double apply(double x, double p, double q) { return Math.cos(x); } },
    SQUARE { public double apply(double x, double p, double q) { return x * x; } },
    POW { public double apply(double x, double p, double q) { return p == 2 ? x * x : Math.pow(x, p); } },
    CLAMP { public double apply(double x, double p, double q) { return x < p ? p : x > q ? q : x; } };

    public abstract double apply(double x, double p, double q);

    String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
