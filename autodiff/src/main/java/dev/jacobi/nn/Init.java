package dev.jacobi.nn;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.Linalg;

/**
 * Seeded weight initialisers with PyTorch's formulas ({@code torch.nn.init}). Fans of a weight
 * {@code [out, in, k...]}: {@code fan_in = in·Πk}, {@code fan_out = out·Πk}. All return float32 tensors.
 */
public final class Init {
    private Init() {
    }

    /** Which fan scales a Kaiming initialiser. */
    public enum FanMode {
        /** Preserves the forward variance: {@code fan_in}. */
        FAN_IN,
        /** Preserves the backward variance: {@code fan_out}. */
        FAN_OUT
    }

    /** Nonlinearities with their recommended gains ({@code torch.nn.init.calculate_gain}). */
    public enum Nonlinearity {
        /** Gain 1. */
        LINEAR,
        /** Gain 1. */
        SIGMOID,
        /** Gain 5/3. */
        TANH,
        /** Gain √2. */
        RELU,
        /** Gain {@code √(2/(1 + slope²))}. */
        LEAKY_RELU,
        /** Gain 3/4. */
        SELU;

        /** The gain; {@code slope} is used by LEAKY_RELU only. */
        public double gain(double slope) {
            switch (this) {
                case TANH: return 5.0 / 3;
                case RELU: return Math.sqrt(2);
                case LEAKY_RELU: return Math.sqrt(2 / (1 + slope * slope));
                case SELU: return 0.75;
                default: return 1;
            }
        }
    }

    /** {@code {fan_in, fan_out}} of a weight of {@code shape} (at least 2 dims). */
    public static int[] fans(int[] shape) {
        if (shape.length < 2) {
            throw new IllegalArgumentException("Init.fans: need a weight of at least 2 dims, got " + Shapes.str(shape));
        }
        int receptive = 1;
        for (int i = 2; i < shape.length; i++) {
            receptive *= shape[i];
        }
        return new int[] {shape[1] * receptive, shape[0] * receptive};
    }

    /** {@code U(low, high)} elements. */
    public static Tensor uniform(Rng rng, int[] shape, double low, double high) {
        return Tensor.rand(rng, DType.FLOAT32, shape).mul(high - low).add(low);
    }

    /** {@code N(mean, std²)} elements. */
    public static Tensor normal(Rng rng, int[] shape, double mean, double std) {
        return Tensor.randn(rng, DType.FLOAT32, shape).mul(std).add(mean);
    }

    private static int fan(int[] shape, FanMode mode) {
        int[] f = fans(shape);
        return mode == FanMode.FAN_IN ? f[0] : f[1];
    }

    /** Kaiming (He) uniform: {@code U(-b, b)}, {@code b = gain·√(3/fan)}; {@code a} is the leaky-ReLU slope. */
    public static Tensor kaimingUniform(Rng rng, int[] shape, double a, FanMode mode, Nonlinearity nonlinearity) {
        double bound = nonlinearity.gain(a) * Math.sqrt(3.0 / fan(shape, mode));
        return uniform(rng, shape, -bound, bound);
    }

    /** Kaiming uniform with PyTorch's defaults: {@code a = 0}, fan_in, leaky_relu (so {@code b = √(6/fan_in)}). */
    public static Tensor kaimingUniform(Rng rng, int... shape) {
        return kaimingUniform(rng, shape, 0, FanMode.FAN_IN, Nonlinearity.LEAKY_RELU);
    }

    /** Kaiming (He) normal: {@code N(0, std²)}, {@code std = gain/√fan}; {@code a} is the leaky-ReLU slope. */
    public static Tensor kaimingNormal(Rng rng, int[] shape, double a, FanMode mode, Nonlinearity nonlinearity) {
        return normal(rng, shape, 0, nonlinearity.gain(a) / Math.sqrt(fan(shape, mode)));
    }

    /** Kaiming normal with PyTorch's defaults: {@code a = 0}, fan_in, leaky_relu (so {@code std = √(2/fan_in)}). */
    public static Tensor kaimingNormal(Rng rng, int... shape) {
        return kaimingNormal(rng, shape, 0, FanMode.FAN_IN, Nonlinearity.LEAKY_RELU);
    }

    /** Xavier (Glorot) uniform: {@code U(-b, b)}, {@code b = gain·√(6/(fan_in + fan_out))}. */
    public static Tensor xavierUniform(Rng rng, int[] shape, double gain) {
        int[] f = fans(shape);
        double bound = gain * Math.sqrt(6.0 / (f[0] + f[1]));
        return uniform(rng, shape, -bound, bound);
    }

    /** Xavier (Glorot) normal: {@code N(0, std²)}, {@code std = gain·√(2/(fan_in + fan_out))}. */
    public static Tensor xavierNormal(Rng rng, int[] shape, double gain) {
        int[] f = fans(shape);
        return normal(rng, shape, 0, gain * Math.sqrt(2.0 / (f[0] + f[1])));
    }

    /**
     * A (semi-)orthogonal weight scaled by {@code gain}: the Q factor (with non-negative diag R) of a Gaussian
     * matrix {@code [shape[0], Π shape[1:]]}, transposed first when it is wide, as PyTorch's. Rows are orthonormal
     * if {@code rows ≤ cols}, else columns: {@code W Wᵀ = gain²·I} or {@code Wᵀ W = gain²·I}.
     */
    public static Tensor orthogonal(Rng rng, int[] shape, double gain) {
        if (shape.length < 2) {
            throw new IllegalArgumentException("Init.orthogonal: need a weight of at least 2 dims, got "
                    + Shapes.str(shape));
        }
        int rows = shape[0];
        int cols = Shapes.numel(shape, "Init.orthogonal") / Math.max(1, rows);
        Tensor a = Tensor.randn(rng, DType.FLOAT64, rows, cols);
        boolean wide = rows < cols;
        Tensor q = Linalg.qr(wide ? a.t() : a).q();
        return (wide ? q.t() : q).mul(gain).to(DType.FLOAT32).reshape(shape);
    }
}
