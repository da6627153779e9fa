package dev.jacobi.train;

import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Rng;
import dev.jacobi.core.io.Json;
import dev.jacobi.nn.AdaptiveAvgPool2d;
import dev.jacobi.nn.AvgPool2d;
import dev.jacobi.nn.BatchNorm1d;
import dev.jacobi.nn.BatchNorm2d;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Dropout;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.GELU;
import dev.jacobi.nn.Identity;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.LayerNorm;
import dev.jacobi.nn.LeakyReLU;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Normalize;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.nn.Sigmoid;
import dev.jacobi.nn.Tanh;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model's architecture as JSON, so that a file holds what rebuilds the model as well as its weights: a
 * {@link Sequential} is {@code {"type": "Sequential", "layers": [...]}} and every other layer
 * {@code {"type": NAME, "config": {...}}} with the arguments of {@link Layer#config()} (PyTorch's names). It covers
 * the layers whose arguments rebuild them: {@code Linear}, {@code Conv2d}, {@code ReLU}, {@code LeakyReLU},
 * {@code Tanh}, {@code Sigmoid}, {@code GELU}, {@code MaxPool2d}, {@code AvgPool2d}, {@code AdaptiveAvgPool2d},
 * {@code Flatten}, {@code Identity}, {@code Dropout}, {@code BatchNorm1d}, {@code BatchNorm2d}, {@code LayerNorm},
 * {@code Normalize}, nested in {@code Sequential}s, and the types an {@link Factory} on the class path builds (the
 * regularizers module's Lipschitz layers).
 */
public final class Architecture {
    /** The most weights one layer of a model file may have (2^28, a gigabyte of float32). */
    static final long MAX_WEIGHTS = 1L << 28;

    private Architecture() {
    }

    /**
     * Rebuilds layers of types outside {@code dev.jacobi.nn} (the regularizers' Lipschitz layers, or yours): a
     * {@link java.util.ServiceLoader} provider, listed in {@code META-INF/services/dev.jacobi.train.Architecture$Factory}.
     * A layer of such a type is described when its {@link Layer#config()} is not null and a factory claims its
     * simple class name.
     */
    public interface Factory {
        /** The simple class names this factory builds. */
        java.util.Set<String> types();

        /** The layer of {@code type} from its arguments, with fresh parameters (the weights are loaded next). */
        Layer build(String type, Arguments args);
    }

    /** The factories on the class path, loaded once. */
    private static final List<Factory> FACTORIES = java.util.ServiceLoader.load(Factory.class,
            Architecture.class.getClassLoader()).stream().map(java.util.ServiceLoader.Provider::get).toList();

    /** Whether {@link #describe} can describe {@code model}. */
    public static boolean describable(Layer model) {
        return describeOrNull(model) != null;
    }

    /** {@link #describe}, or null when some layer cannot be described (what a model file then leaves out). */
    public static String describeOrNull(Layer model) {
        try {
            return describe(model);
        } catch (IllegalArgumentException e) {
            return null; // the answer: some layer has no arguments that rebuild it
        }
    }

    /**
     * The architecture of {@code model} as JSON (keys sorted, so the same model always gives the same text).
     *
     * @throws IllegalArgumentException naming the first layer that {@link #build} could not rebuild
     */
    public static String describe(Layer model) {
        StringBuilder sb = new StringBuilder();
        write(sb, tree(model, "model"));
        return sb.toString();
    }

    private static Map<String, Object> tree(Layer l, String name) {
        Map<String, Object> node = new TreeMap<>();
        node.put("type", l.getClass().getSimpleName());
        if (l instanceof Sequential seq) {
            List<Object> layers = new ArrayList<>();
            int i = 0;
            for (Layer child : seq) {
                layers.add(tree(child, name + "." + i++));
            }
            node.put("layers", layers);
            return node;
        }
        Map<String, Object> config = l.config();
        String type = l.getClass().getSimpleName();
        boolean known = l.getClass().getPackageName().equals(Layer.class.getPackageName())
                || FACTORIES.stream().anyMatch(f -> f.types().contains(type));
        if (config == null || !known) {
            throw new IllegalArgumentException("Architecture: layer " + name + " (" + l.getClass().getName()
                    + ") cannot be described by its arguments; model files with an architecture hold Sequentials of"
                    + " dev.jacobi.nn layers and of the types an Architecture.Factory builds");
        }
        node.put("config", new TreeMap<>(config));
        return node;
    }

    private static void write(StringBuilder sb, Object v) {
        if (v instanceof Map<?, ?> m) {
            sb.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(sep).append(Json.quote((String) e.getKey())).append(": ");
                write(sb, e.getValue());
                sep = ", ";
            }
            sb.append('}');
        } else if (v instanceof List<?> list) {
            sb.append('[');
            for (int i = 0; i < list.size(); i++) {
                sb.append(i == 0 ? "" : ", ");
                write(sb, list.get(i));
            }
            sb.append(']');
        } else if (v instanceof int[] a) {
            write(sb, java.util.Arrays.stream(a).boxed().toList());
        } else if (v instanceof double[] a) {
            write(sb, java.util.Arrays.stream(a).boxed().toList());
        } else if (v instanceof String s) {
            sb.append(Json.quote(s));
        } else if (v instanceof Double d && !Double.isFinite(d)) {
            throw new IllegalArgumentException("Architecture: a non-finite argument " + d);
        } else {
            sb.append(v); // Integer, Long, Double (Java's shortest round-trip form), Boolean
        }
    }

    /**
     * Builds the layers that {@code json} describes, with fresh parameters (load the weights next).
     *
     * @param json  what {@link #describe} wrote
     * @param where the file, for error messages
     * @throws IOException naming {@code where}, the layer and the field when the text is not such an architecture
     */
    public static Layer build(String json, String where) throws IOException {
        try {
            return node(Json.parse(json, where), "model");
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw new IOException(where + ": bad architecture: " + e.getMessage(), e);
        }
    }

    private static Layer node(Object o, String name) throws IOException {
        if (!(o instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)) {
            throw new IllegalArgumentException(name + " is not an object with a string \"type\"");
        }
        if (type.equals("Sequential")) {
            if (!(m.get("layers") instanceof List<?> list)) {
                throw new IllegalArgumentException(name + ": a Sequential needs a \"layers\" array");
            }
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                layers.add(node(list.get(i), name + "." + i));
            }
            return new Sequential(layers.toArray(new Layer[0]));
        }
        if (!(m.get("config") instanceof Map<?, ?> c)) {
            throw new IllegalArgumentException(name + " (" + type + ") needs a \"config\" object");
        }
        Arguments a = new Arguments(c, name + " (" + type + ")");
        Rng rng = new Rng(0); // the weights are loaded next
        // a damaged file must not make the JVM allocate gigabytes before the weights are compared with it
        return switch (type) {
            case "Linear" -> {
                a.checkWeights((long) a.i("in_features") * a.i("out_features"));
                yield new Linear(a.i("in_features"), a.i("out_features"), a.b("bias"), rng);
            }
            case "Conv2d" -> {
                a.checkWeights((long) a.i("in_channels") * a.i("out_channels") * a.i("kernel_size")
                        * a.i("kernel_size"));
                int[] st = a.ints("stride");
                int[] pad = a.ints("padding");
                int[] dil = a.ints("dilation");
                PaddingMode mode = switch (a.s("padding_mode")) {
                    case "zeros" -> PaddingMode.ZEROS;
                    case "circular" -> PaddingMode.CIRCULAR;
                    default -> throw new IllegalArgumentException(name + ": padding_mode must be zeros or circular");
                };
                yield new Conv2d(a.i("in_channels"), a.i("out_channels"), a.i("kernel_size"), new Conv2dSpec(st[0],
                        st[1], pad[0], pad[1], dil[0], dil[1], a.i("groups"), mode), a.b("bias"), rng);
            }
            case "ReLU" -> new ReLU();
            case "Tanh" -> new Tanh();
            case "Sigmoid" -> new Sigmoid();
            case "Flatten" -> new Flatten();
            case "Identity" -> new Identity();
            case "LeakyReLU" -> new LeakyReLU(a.d("negative_slope"));
            case "GELU" -> new GELU(a.s("approximate"));
            case "MaxPool2d" -> new MaxPool2d(a.i("kernel_size"), a.i("stride"), a.i("padding"));
            case "AvgPool2d" -> new AvgPool2d(a.i("kernel_size"), a.i("stride"), a.i("padding"));
            case "AdaptiveAvgPool2d" -> new AdaptiveAvgPool2d(a.ints("output_size")[0], a.ints("output_size")[1]);
            case "Dropout" -> new Dropout(a.d("p"), rng);
            case "BatchNorm1d" -> new BatchNorm1d(a.i("num_features"), a.d("eps"), a.d("momentum"));
            case "BatchNorm2d" -> new BatchNorm2d(a.i("num_features"), a.d("eps"), a.d("momentum"));
            case "LayerNorm" -> new LayerNorm(a.ints("normalized_shape"), a.d("eps"), a.b("elementwise_affine"));
            case "Normalize" -> new Normalize(a.doubles("mean"), a.doubles("std"));
            default -> {
                for (Factory f : FACTORIES) {
                    if (f.types().contains(type)) {
                        yield f.build(type, a);
                    }
                }
                throw new IllegalArgumentException(name + ": unknown layer type '" + type + "' (no Architecture.Factory"
                        + " on the class path builds it)");
            }
        };
    }

    /**
     * A layer's arguments from a file, each read with its expected type: a missing or mistyped one is an
     * {@link IllegalArgumentException} naming the layer and the argument.
     */
    public static final class Arguments {
        private final Map<?, ?> c;
        private final String layer;

        private Arguments(Map<?, ?> c, String layer) {
            this.c = c;
            this.layer = layer;
        }

        /** Throws unless a layer with {@code count} weights is small enough to build from a file (2^28 at most). */
        public void checkWeights(long count) {
            if (count > MAX_WEIGHTS) {
                throw new IllegalArgumentException(layer + " would have " + count + " weights, more than "
                        + MAX_WEIGHTS);
            }
        }

        private Object get(String key) {
            Object v = c.get(key);
            if (v == null) {
                throw new IllegalArgumentException(layer + ": missing \"" + key + "\"");
            }
            return v;
        }

        /** An integer in [0, 2^24]. */
        public int i(String key) {
            if (!(get(key) instanceof Long v) || v < 0 || v > 1 << 24) {
                throw new IllegalArgumentException(layer + ": \"" + key + "\" must be an integer in [0, 2^24], got "
                        + get(key));
            }
            return (int) (long) v;
        }

        /** A number. */
        public double d(String key) {
            if (!(get(key) instanceof Number v)) {
                throw new IllegalArgumentException(layer + ": \"" + key + "\" must be a number, got " + get(key));
            }
            return v.doubleValue();
        }

        /** A boolean. */
        public boolean b(String key) {
            if (!(get(key) instanceof Boolean v)) {
                throw new IllegalArgumentException(layer + ": \"" + key + "\" must be true or false, got " + get(key));
            }
            return v;
        }

        /** A string. */
        public String s(String key) {
            if (!(get(key) instanceof String v)) {
                throw new IllegalArgumentException(layer + ": \"" + key + "\" must be a string, got " + get(key));
            }
            return v;
        }

        /** A short array of integers in [0, 2^24]. */
        public int[] ints(String key) {
            if (!(get(key) instanceof List<?> list) || list.isEmpty() || list.size() > 8) {
                throw new IllegalArgumentException(layer + ": \"" + key + "\" must be a short array of integers");
            }
            int[] out = new int[list.size()];
            for (int k = 0; k < out.length; k++) {
                if (!(list.get(k) instanceof Long v) || v < 0 || v > 1 << 24) {
                    throw new IllegalArgumentException(layer + ": \"" + key + "\"[" + k + "] must be an integer in"
                            + " [0, 2^24]");
                }
                out[k] = (int) (long) v;
            }
            return out;
        }

        /** An array of numbers. */
        public double[] doubles(String key) {
            if (!(get(key) instanceof List<?> list) || list.isEmpty() || list.size() > 4096) {
                throw new IllegalArgumentException(layer + ": \"" + key + "\" must be an array of numbers");
            }
            double[] out = new double[list.size()];
            for (int k = 0; k < out.length; k++) {
                if (!(list.get(k) instanceof Number v)) {
                    throw new IllegalArgumentException(layer + ": \"" + key + "\"[" + k + "] must be a number");
                }
                out[k] = v.doubleValue();
            }
            return out;
        }
    }
}
