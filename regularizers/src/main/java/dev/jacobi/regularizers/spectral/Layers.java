package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.DType;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.AvgPool2d;
import dev.jacobi.nn.BatchNorm;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Dropout;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.GELU;
import dev.jacobi.nn.Identity;
import dev.jacobi.nn.LeakyReLU;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Normalize;
import dev.jacobi.nn.Parameter;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.nn.Sigmoid;
import dev.jacobi.nn.Softplus;
import dev.jacobi.nn.Tanh;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shared helpers: the weight-bearing layers of a model and the per-example shapes through a Sequential. */
final class Layers {
    private Layers() {
    }

    /** A leaf layer reached by walking Sequentials, with its dotted name and per-example input/output shapes. */
    record Traced(String name, Layer layer, int[] in, int[] out) {
    }

    /** The Linear and Conv2d layers of {@code model} by dotted name, in module order. */
    static Map<String, Layer> weighted(Layer model) {
        Map<String, Layer> out = new LinkedHashMap<>();
        model.namedLayers().forEach((name, m) -> {
            if (m instanceof Linear || m instanceof Conv2d) {
                out.put(name, m);
            }
        });
        return out;
    }

    /** The weight of a Linear or Conv2d. */
    static Parameter weight(Layer m) {
        return m instanceof Linear l ? l.weight() : ((Conv2d) m).weight();
    }

    /**
     * The leaves of {@code model} (walking nested Sequentials and {@link SpectralNormalization} wrappers are leaves)
     * with per-example shapes, starting from {@code input} (no batch dim).
     */
    static List<Traced> trace(String op, Layer model, int[] input) {
        List<Traced> out = new ArrayList<>();
        trace(op, "", model, input.clone(), out);
        return out;
    }

    private static int[] trace(String op, String name, Layer m, int[] in, List<Traced> out) {
        if (m instanceof Sequential seq) {
            int i = 0;
            for (Layer child : seq) {
                in = trace(op, name.isEmpty() ? Integer.toString(i) : name + "." + i, child, in, out);
                i++;
            }
            return in;
        }
        int[] o = outShape(op, name, m, in);
        out.add(new Traced(name, m, in, o));
        return o;
    }

    private static int[] outShape(String op, String name, Layer m, int[] in) {
        if (m instanceof SpectralNormalization sn) {
            return outShape(op, name, sn.layer(), in);
        }
        if (m instanceof Linear l) {
            int[] w = l.weight().shape();
            if (in.length == 0 || in[in.length - 1] != w[1]) {
                throw new IllegalArgumentException(op + ": layer '" + name + "' " + l + " gets per-example shape "
                        + Shapes.str(in) + ", which does not end in " + w[1]);
            }
            int[] o = in.clone();
            o[o.length - 1] = w[0];
            return o;
        }
        if (m instanceof Conv2d c) {
            int[] w = c.weight().shape();
            Conv2dSpec s = c.spec();
            if (in.length != 3 || in[0] != w[1] * s.groups()) {
                throw new IllegalArgumentException(op + ": layer '" + name + "' " + c + " gets per-example shape "
                        + Shapes.str(in) + ", not [" + w[1] * s.groups() + ", H, W]");
            }
            return new int[] {w[0], Conv.outputSize(in[1], w[2], s.strideH(), s.padH(), s.dilationH()),
                    Conv.outputSize(in[2], w[3], s.strideW(), s.padW(), s.dilationW())};
        }
        if (m instanceof MaxPool2d p) {
            return pooled(op, name, m, in, p.kernel(), p.stride(), p.padding());
        }
        if (m instanceof AvgPool2d p) {
            return pooled(op, name, m, in, p.kernel(), p.stride(), p.padding());
        }
        if (m instanceof Flatten) {
            return new int[] {Shapes.numel(in, op)};
        }
        if (m instanceof ReLU || m instanceof LeakyReLU || m instanceof Tanh || m instanceof Sigmoid
                || m instanceof Softplus || m instanceof GELU || m instanceof Identity || m instanceof Dropout
                || m instanceof Normalize || m instanceof BatchNorm) {
            return in;
        }
        if (m instanceof LipschitzLayer) {
            int[] batch = new int[in.length + 1];
            batch[0] = 1;
            System.arraycopy(in, 0, batch, 1, in.length);
            DType dt = m.parameters().isEmpty() ? DType.FLOAT32 : m.parameters().get(0).dtype();
            int[] o = m.forward(Var.of(Tensor.zeros(dt, batch))).shape();
            return java.util.Arrays.copyOfRange(o, 1, o.length);
        }
        throw new IllegalArgumentException(op + ": unsupported layer type " + m.getClass().getSimpleName() + " at '"
                + name + "' (walks Sequential, Linear, Conv2d, pooling, activations, Flatten, Dropout, Normalize, "
                + "BatchNorm, SpectralNormalization and LipschitzLayer implementations)");
    }

    private static int[] pooled(String op, String name, Layer m, int[] in, int k, int s, int p) {
        if (in.length != 3) {
            throw new IllegalArgumentException(op + ": layer '" + name + "' " + m + " gets per-example shape "
                    + Shapes.str(in) + ", not [C, H, W]");
        }
        return new int[] {in[0], Conv.outputSize(in[1], k, s, p, 1), Conv.outputSize(in[2], k, s, p, 1)};
    }
}
