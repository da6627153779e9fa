package dev.jacobi.cli.spec;

import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.Rng;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An architecture the CLI can build, save into a model file's metadata and rebuild: {@code kind} with a width and a
 * depth, for inputs of shape {@code input} and {@code classes} outputs.
 *
 * @param kind    one of {@link #KINDS}
 * @param width   hidden width (MLP) or first conv channel count (CNN)
 * @param depth   number of hidden layers (MLP) or conv blocks (CNN)
 * @param input   sample shape, e.g. {@code [1, 28, 28]}
 * @param classes number of outputs
 */
public record ModelSpec(String kind, int width, int depth, int[] input, int classes) {
    /** The architectures {@code --model} accepts. */
    public static final List<String> KINDS = List.of("mlp", "cnn", "lipschitz-mlp", "lipschitz-cnn");

    /** Validates the spec. */
    public ModelSpec {
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("unknown model '" + kind + "'; choose one of " + String.join(", ", KINDS));
        }
        if (width <= 0 || depth <= 0 || classes <= 1 || input.length == 0) {
            throw new IllegalArgumentException("model " + kind + ": bad width " + width + ", depth " + depth
                    + ", classes " + classes + " or input " + Arrays.toString(input));
        }
        input = input.clone();
    }

    /** The default spec of {@code kind} for inputs of {@code input} with {@code classes} classes. */
    public static ModelSpec defaults(String kind, int[] input, int classes) {
        return switch (kind) {
            case "mlp", "lipschitz-mlp" -> new ModelSpec(kind, 256, 2, input, classes);
            default -> new ModelSpec(kind, 32, 2, input, classes);
        };
    }

    /** Builds the module, initialised from {@code rng}. */
    public Layer build(Rng rng) {
        return switch (kind) {
            case "mlp" -> mlp(rng);
            case "cnn" -> cnn(rng);
            default -> LipschitzModels.build(this, rng);
        };
    }

    private int features() {
        int n = 1;
        for (int s : input) {
            n *= s;
        }
        return n;
    }

    private Layer mlp(Rng rng) {
        Sequential s = new Sequential(new Flatten());
        int in = features();
        for (int i = 0; i < depth; i++) {
            s.append(new Linear(in, width, rng)).append(new ReLU());
            in = width;
        }
        return s.append(new Linear(in, classes, rng));
    }

    /** {@code depth} blocks of conv 3×3 pad 1 + ReLU + max-pool 2 (channels doubling), then linear 128, ReLU, linear. */
    private Layer cnn(Rng rng) {
        if (input.length != 3) {
            throw new IllegalArgumentException("model cnn needs image inputs [C, H, W], got " + Arrays.toString(input));
        }
        Sequential s = new Sequential();
        int c = input[0];
        int h = input[1];
        int w = input[2];
        for (int i = 0; i < depth; i++) {
            int out = width << i;
            s.append(new Conv2d(c, out, 3, Conv2dSpec.of(1, 1), true, rng)).append(new ReLU()).append(new MaxPool2d(2));
            c = out;
            h /= 2;
            w /= 2;
        }
        return s.append(new Flatten()).append(new Linear(c * h * w, 128, rng)).append(new ReLU())
                .append(new Linear(128, classes, rng));
    }

    /**
     * A rough upper estimate of the bytes that training this model with Adam on batches of {@code batch} needs:
     * parameters with their gradients and two moments (16 bytes each), and the batch's activations with their
     * gradients and the graphs of a penalty (32 bytes per activation). Computed from the shapes, without allocating.
     */
    public long trainingBytes(int batch) {
        long params;
        long acts;
        int[] in = input;
        long features = 1;
        for (int v : in) {
            features *= v;
        }
        long w = width + (kind.startsWith("lipschitz") ? width % 2 : 0);
        if (kind.endsWith("mlp")) {
            params = features * w + (depth - 1) * w * w + w * classes;
            acts = features + depth * w + classes;
        } else {
            int c = in.length == 3 ? in[0] : 1;
            long h = in.length == 3 ? in[1] : 1;
            long wd = in.length == 3 ? in[2] : 1;
            params = 0;
            acts = features;
            long ch = c;
            for (int i = 0; i < depth; i++) {
                long out = kind.equals("cnn") ? (long) width << i : w << (i + 1);
                params += ch * out * 16;
                acts += out * h * wd;
                ch = out;
                h /= 2;
                wd /= 2;
            }
            params += ch * h * wd * 128 + 128L * classes;
            acts += 128 + classes;
        }
        return 16 * params + 32 * acts * batch;
    }

    /** The spec as string metadata for a model file. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("jacobi.model", kind);
        m.put("jacobi.width", Integer.toString(width));
        m.put("jacobi.depth", Integer.toString(depth));
        m.put("jacobi.input", String.join(",", Arrays.stream(input).mapToObj(Integer::toString).toList()));
        m.put("jacobi.classes", Integer.toString(classes));
        return m;
    }

    /** The spec stored by {@link #toMetadata()}; throws naming the missing or bad key. */
    public static ModelSpec fromMetadata(Map<String, String> m) {
        try {
            return new ModelSpec(req(m, "jacobi.model"), Integer.parseInt(req(m, "jacobi.width")),
                    Integer.parseInt(req(m, "jacobi.depth")),
                    Arrays.stream(req(m, "jacobi.input").split(",")).mapToInt(Integer::parseInt).toArray(),
                    Integer.parseInt(req(m, "jacobi.classes")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model file metadata: bad number: " + e.getMessage());
        }
    }

    private static String req(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("model file metadata lacks '" + key
                    + "' (was it saved by 'jacobi train'?)");
        }
        return v;
    }

    @Override
    public String toString() {
        return kind + " (width " + width + ", depth " + depth + ", input " + Arrays.toString(input) + ", " + classes
                + " classes)";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec s && s.kind.equals(kind) && s.width == width && s.depth == depth
                && Arrays.equals(s.input, input) && s.classes == classes;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(input) + width * 7 + depth * 13 + classes;
    }
}
