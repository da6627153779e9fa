package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or model {@code y = f(x; θ)}: a forward function, named parameters {@code θ}, named buffers (state that
 * is not trained, such as BatchNorm's running statistics) and named child layers, with PyTorch's naming in
 * {@link #stateDict()} ({@code 0.weight}, {@code features.3.bias}, {@code 1.running_mean}). This is PyTorch's
 * {@code nn.Module}; it is called {@code Layer} so that {@code import dev.jacobi.nn.*} does not clash with
 * {@code java.lang.Module}, which every Java file imports implicitly.
 *
 * <p>Subclasses register their state in the constructor with {@link #registerParameter}, {@link #registerBuffer}
 * and {@link #registerLayer}, and read parameters through {@link Parameter#var()} at every forward.
 */
public abstract class Layer {
    private final LinkedHashMap<String, Parameter> params = new LinkedHashMap<>();
    private final LinkedHashMap<String, Tensor> buffers = new LinkedHashMap<>();
    private final LinkedHashMap<String, Layer> children = new LinkedHashMap<>();
    private boolean training = true;
    private final List<ForwardHook> forwardHooks = new ArrayList<>();

    /** A module with no state yet; subclasses register theirs. */
    protected Layer() {
    }

    /** The forward pass {@code y = f(x; θ)}, recorded for autodiff when grad mode is on. */
    public abstract Var forward(Var x);

    /** What a forward hook sees after {@link #call}: the layer, its input and its output. */
    @FunctionalInterface
    public interface ForwardHook {
        /** Called after the layer's forward; must not change anything it is given. */
        void afterForward(Layer layer, Var input, Var output);
    }

    /**
     * Runs {@link #forward} and then this layer's forward hooks, in the order they were registered: PyTorch's
     * {@code module(x)}. Containers ({@link Sequential}) run their layers through it; calling {@code forward}
     * directly skips the hooks, as in PyTorch.
     */
    public final Var call(Var x) {
        Var y = forward(x);
        for (ForwardHook h : List.copyOf(forwardHooks)) {
            h.afterForward(this, x, y);
        }
        return y;
    }

    /**
     * This layer's forward followed by a ReLU in one fused step, with the values and gradients of
     * {@code forward(x).relu()}, or null (the default) if the layer has none: {@link Sequential} asks it of a layer
     * directly followed by a {@link ReLU}. A layer whose output ends in an addition (a bias, BatchNorm's shift)
     * returns one that adds and clamps in one pass.
     */
    Var forwardRelu(Var x) {
        return null;
    }

    /**
     * Adds a hook that {@link #call} runs after each forward (PyTorch's {@code register_forward_hook}); returns the
     * action that removes it again.
     */
    public Runnable registerForwardHook(ForwardHook hook) {
        if (hook == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".registerForwardHook: hook is null");
        }
        forwardHooks.add(hook);
        return () -> forwardHooks.remove(hook);
    }

    /** Whether this layer has forward hooks. */
    public boolean hasForwardHooks() {
        return !forwardHooks.isEmpty();
    }

    /**
     * A table of the layers as one forward pass sees them, like Keras's {@code summary()} or torchinfo: for each layer
     * that ran (through {@link #call}), its name, type, output shape and number of parameters of its own, then the
     * totals. It runs one example of zeros of {@code inputShape} (without the batch dim) in evaluation mode without
     * recording a graph, and restores the mode.
     */
    public String summary(int... inputShape) {
        LinkedHashMap<String, Layer> all = namedLayers();
        Map<Layer, String> shapes = new java.util.IdentityHashMap<>();
        List<Runnable> removers = new ArrayList<>();
        for (Layer l : all.values()) {
            removers.add(l.registerForwardHook((layer, in, out) -> shapes.put(layer, Shapes.str(out.shape()))));
        }
        boolean mode = training;
        int[] shape = new int[inputShape.length + 1];
        shape[0] = 1;
        System.arraycopy(inputShape, 0, shape, 1, inputShape.length);
        List<Parameter> ps = parameters();
        DType dtype = ps.isEmpty() ? DType.FLOAT32 : ps.get(0).dtype();
        try (var scope = dev.jacobi.autodiff.Autodiff.noGrad()) {
            eval();
            call(Var.of(Tensor.zeros(dtype, shape)));
        } finally {
            train(mode);
            removers.forEach(Runnable::run);
        }
        StringBuilder sb = new StringBuilder(String.format("%-24s %-20s %-20s %12s%n", "layer", "type", "output shape",
                "parameters"));
        long total = 0;
        for (Map.Entry<String, Layer> e : all.entrySet()) {
            Layer l = e.getValue();
            long own = 0;
            for (Parameter p : l.params.values()) {
                own += Shapes.numel(p.shape(), "summary");
            }
            total += own;
            sb.append(String.format("%-24s %-20s %-20s %12d%n", e.getKey().isEmpty() ? "(model)" : e.getKey(),
                    l.getClass().getSimpleName(), shapes.getOrDefault(l, "-"), own));
        }
        return sb.append(String.format("input %s, %d parameters%n", Shapes.str(shape), total)).toString();
    }

    /**
     * The arguments that rebuild this layer, by PyTorch's names, for {@code dev.jacobi.train.Architecture} (which
     * writes them into model files so that {@code jacobi eval} can rebuild a model saved from Java); null when the
     * layer cannot be rebuilt from arguments alone. Values are numbers, booleans, strings and arrays of numbers.
     */
    public Map<String, Object> config() {
        return null;
    }

    /** The forward pass on a constant input tensor: {@code forward(Var.of(x))}. */
    public Var forward(Tensor x) {
        return forward(Var.of(x));
    }

    // ------------------------------------------------------------------ registration

    /** Registers a trainable parameter {@code name} with initial {@code value}; returns its holder. */
    protected Parameter registerParameter(String name, Tensor value) {
        checkName(name);
        Parameter p = new Parameter(value);
        params.put(name, p);
        return p;
    }

    /** Registers a buffer (non-trained state saved in the state dict) {@code name} with initial {@code value}. */
    protected void registerBuffer(String name, Tensor value) {
        checkName(name);
        buffers.put(name, value);
    }

    /** Registers a child module under {@code name}; returns it. */
    protected <M extends Layer> M registerLayer(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".") || params.containsKey(name) || buffers.containsKey(name)
                || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": cannot register '" + name
                    + "': empty, contains '.', or already used");
        }
    }

    /** This module's own buffer {@code name}. */
    protected Tensor buffer(String name) {
        Tensor t = buffers.get(name);
        if (t == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": no buffer '" + name + "'");
        }
        return t;
    }

    /** Replaces this module's own buffer {@code name} (tensors are immutable). */
    protected void setBuffer(String name, Tensor value) {
        buffer(name);
        buffers.put(name, value);
    }

    // ------------------------------------------------------------------ train / eval

    /** Sets training mode on this module and all descendants; returns this. */
    public Layer train(boolean mode) {
        training = mode;
        for (Layer c : children.values()) {
            c.train(mode);
        }
        return this;
    }

    /** Training mode (Dropout active, BatchNorm on batch statistics); returns this. */
    public Layer train() {
        return train(true);
    }

    /** Evaluation mode (Dropout is the identity, BatchNorm uses running statistics); returns this. */
    public Layer eval() {
        return train(false);
    }

    /** Whether this module is in training mode. */
    public boolean isTraining() {
        return training;
    }

    // ------------------------------------------------------------------ traversal

    /** The direct children by name, in registration order. */
    public Map<String, Layer> namedChildren() {
        return new LinkedHashMap<>(children);
    }

    /** This module (name "") and all descendants, pre-order, with dotted names. */
    public LinkedHashMap<String, Layer> namedLayers() {
        LinkedHashMap<String, Layer> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String name, Map<String, Layer> out) {
        out.put(name, this);
        for (Map.Entry<String, Layer> e : children.entrySet()) {
            e.getValue().collectModules(join(name, e.getKey()), out);
        }
    }

    private static String join(String moduleName, String name) {
        return moduleName.isEmpty() ? name : moduleName + "." + name;
    }

    /** All parameters with dotted names ({@code 0.weight}), own first, then each child's, recursively. */
    public LinkedHashMap<String, Parameter> namedParameters() {
        LinkedHashMap<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Layer> m : namedLayers().entrySet()) {
            for (Map.Entry<String, Parameter> e : m.getValue().params.entrySet()) {
                out.put(join(m.getKey(), e.getKey()), e.getValue());
            }
        }
        return out;
    }

    /** All parameters, in {@link #namedParameters()} order. */
    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** All buffers with dotted names ({@code 1.running_mean}). */
    public LinkedHashMap<String, Tensor> namedBuffers() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Layer> m : namedLayers().entrySet()) {
            for (Map.Entry<String, Tensor> e : m.getValue().buffers.entrySet()) {
                out.put(join(m.getKey(), e.getKey()), e.getValue());
            }
        }
        return out;
    }

    /** Clears every parameter's gradient. */
    public void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }

    /** Converts every parameter and buffer to {@code dtype} (e.g. FLOAT64 to verify a float32 model); returns this. */
    public Layer to(DType dtype) {
        for (Layer m : namedLayers().values()) {
            for (Parameter p : m.params.values()) {
                p.set(p.value().to(dtype));
            }
            m.buffers.replaceAll((k, v) -> v.to(dtype));
        }
        return this;
    }

    // ------------------------------------------------------------------ state dict

    /** Parameters and buffers by dotted name, PyTorch's order: per module its parameters, then its buffers. */
    public LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Layer> m : namedLayers().entrySet()) {
            Layer mod = m.getValue();
            mod.params.forEach((k, p) -> out.put(join(m.getKey(), k), p.value()));
            mod.buffers.forEach((k, t) -> out.put(join(m.getKey(), k), t));
        }
        return out;
    }

    /** What {@link #loadStateDict} did not load: missing, unexpected and mis-shaped keys. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys, List<String> shapeMismatches) {
        /** Whether every key matched. */
        public boolean isClean() {
            return missingKeys.isEmpty() && unexpectedKeys.isEmpty() && shapeMismatches.isEmpty();
        }

        @Override
        public String toString() {
            return "missing keys " + missingKeys + "; unexpected keys " + unexpectedKeys + "; size mismatches "
                    + shapeMismatches;
        }
    }

    /**
     * Copies {@code state} into the parameters and buffers of the same name, converting to each one's dtype. With
     * {@code strict}, any missing, unexpected or mis-shaped key is an IllegalArgumentException listing all of them,
     * and nothing is loaded. Without it, the keys that match are loaded and the rest are returned.
     */
    public LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        LinkedHashMap<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor t = state.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                mismatched.add(e.getKey() + ": checkpoint " + Shapes.str(t.shape()) + " vs model "
                        + Shapes.str(e.getValue().shape()));
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String k : state.keySet()) {
            if (!own.containsKey(k)) {
                unexpected.add(k);
            }
        }
        LoadResult result = new LoadResult(missing, unexpected, mismatched);
        if (strict && !result.isClean()) {
            throw new IllegalArgumentException("loadStateDict: errors loading a state dict into "
                    + getClass().getSimpleName() + ": " + result);
        }
        for (Map.Entry<String, Layer> m : namedLayers().entrySet()) {
            Layer mod = m.getValue();
            for (Map.Entry<String, Parameter> e : mod.params.entrySet()) {
                Tensor t = matching(state, join(m.getKey(), e.getKey()), e.getValue().value());
                if (t != null) {
                    e.getValue().set(t);
                }
            }
            for (Map.Entry<String, Tensor> e : mod.buffers.entrySet()) {
                Tensor t = matching(state, join(m.getKey(), e.getKey()), e.getValue());
                if (t != null) {
                    e.setValue(t);
                }
            }
        }
        return result;
    }

    private static Tensor matching(Map<String, Tensor> state, String key, Tensor current) {
        Tensor t = state.get(key);
        return t != null && Arrays.equals(t.shape(), current.shape()) ? t.to(current.dtype()) : null;
    }

    // ------------------------------------------------------------------ text

    /** The arguments shown in {@link #toString()}, e.g. {@code in_features=784, out_features=10, bias=true}. */
    protected String extraRepr() {
        return "";
    }

    /** PyTorch's repr: {@code Name(extra)}, or with children one per line as {@code (name): child}. */
    @Override
    public String toString() {
        String name = getClass().getSimpleName();
        if (children.isEmpty()) {
            return name + "(" + extraRepr() + ")";
        }
        StringBuilder sb = new StringBuilder(name).append('(');
        if (!extraRepr().isEmpty()) {
            sb.append("\n  ").append(extraRepr());
        }
        for (Map.Entry<String, Layer> e : children.entrySet()) {
            sb.append("\n  (").append(e.getKey()).append("): ")
                    .append(e.getValue().toString().replace("\n", "\n  "));
        }
        return sb.append("\n)").toString();
    }

    /** How errors name this layer: its one-line repr, or just the class name for a container. */
    protected String label() {
        return children.isEmpty() ? toString() : getClass().getSimpleName();
    }

    /** An IllegalArgumentException naming this layer ({@link #label()}) and the problem. */
    protected IllegalArgumentException error(String problem) {
        return new IllegalArgumentException(label() + ": " + problem);
    }

    /**
     * Throws an {@link #error} unless {@code x}'s last dim is {@code features}, then {@link #checkDtype}: the input
     * check of the layers that act on the last dim.
     */
    protected void checkFeatures(Var x, int features) {
        int[] s = x.shape();
        if (s.length == 0 || s[s.length - 1] != features) {
            throw error("input " + Shapes.str(s) + " does not end in " + features);
        }
        checkDtype(x);
    }

    /**
     * Throws an {@link #error} unless {@code x} is a batch of images {@code [N, channels, H, W]}, then
     * {@link #checkDtype}: the input check of the 2-D convolutions.
     */
    protected void checkImages(Var x, int channels) {
        int[] s = x.shape();
        if (s.length != 4 || s[1] != channels) {
            throw error("input " + Shapes.str(s) + " is not [N, " + channels + ", H, W]");
        }
        checkDtype(x);
    }

    /** Throws unless {@code x} has this module's parameters' dtype (when it has parameters). */
    protected void checkDtype(Var x) {
        for (Parameter p : params.values()) {
            if (p.dtype() != x.dtype()) {
                throw error("input dtype " + x.dtype() + " differs from the parameters' " + p.dtype()
                        + " (convert one with to(DType))");
            }
            return;
        }
    }
}
