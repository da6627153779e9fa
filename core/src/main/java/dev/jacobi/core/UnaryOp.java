package dev.jacobi.core;

/** Element-wise unary operations, some with scalar parameters {@code p} and {@code q}. */
enum UnaryOp {
    COPY { double apply(double x, double p, double q) { return x; } },
    NEG { double apply(double x, double p, double q) { return -x; } },
    ABS { double apply(double x, double p, double q) { return Math.abs(x); } },
    EXP { double apply(double x, double p, double q) { return Math.exp(x); } },
    LOG { double apply(double x, double p, double q) { return Math.log(x); } },
    SQRT { double apply(double x, double p, double q) { return Math.sqrt(x); } },
    TANH { double apply(double x, double p, double q) { return Math.tanh(x); } },
    SIGMOID { double apply(double x, double p, double q) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); } },
    RELU { double apply(double x, double p, double q) { return x > 0 ? x : (x == x ? 0 : x); } },
    SIGN { double apply(double x, double p, double q) { return x > 0 ? 1 : x < 0 ? -1 : x == x ? 0 : x; } },
    SIN { double apply(double x, double p, double q) { return Math.sin(x); } },
    COS { double apply(double x, double p, double q) { return Math.cos(x); } },
    SQUARE { double apply(double x, double p, double q) { return x * x; } },
    POW { double apply(double x, double p, double q) { return p == 2 ? x * x : Math.pow(x, p); } },
    CLAMP { double apply(double x, double p, double q) { return x < p ? p : x > q ? q : x; } };

    abstract double apply(double x, double p, double q);

    String opName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
