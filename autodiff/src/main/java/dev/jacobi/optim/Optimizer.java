package dev.jacobi.optim;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.core.DType;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A first-order optimiser {@code θ ← update(θ, ∂L/∂θ, state)} over a list of {@link Parameter}s, with per-parameter
 * state (momentum buffers, moments, step counts) that {@link #stateDict()} exposes as PyTorch-like flat keys
 * {@code state.<i>.<name>} plus {@code param_groups.0.lr}, for checkpoints.
 */
public abstract class Optimizer {
    private final List<Parameter> params;
    private final List<Map<String, Tensor>> state;
    private double lr;

    /** An optimiser of {@code params} with learning rate {@code lr >= 0}. */
    protected Optimizer(List<Parameter> params, double lr) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": empty parameter list");
        }
        checkNonNegative("lr", lr);
        this.params = List.copyOf(params);
        this.state = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            state.add(new HashMap<>());
        }
        this.lr = lr;
    }

    /** Throws unless {@code value >= 0}, naming this optimiser and the hyper-parameter. */
    protected void checkNonNegative(String name, double value) {
        if (!(value >= 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": " + name + " must be >= 0, got " + value);
        }
    }

    /** The parameters, in order. */
    public List<Parameter> parameters() {
        return params;
    }

    /** The learning rate. */
    public double lr() {
        return lr;
    }

    /** Sets the learning rate (schedulers call this). */
    public void setLr(double lr) {
        checkNonNegative("lr", lr);
        this.lr = lr;
    }

    /** One update of every parameter that has a gradient, without recording a graph. */
    public void step() {
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                Tensor g = p.grad();
                if (g != null) {
                    p.set(update(p.value(), g, state.get(i)));
                }
            }
        }
    }

    /**
     * The new value of a parameter {@code theta} with gradient {@code grad}; {@code s} is its mutable state (empty
     * at the first step) and holds tensors of the parameter's shape, or scalars for counts.
     */
    protected abstract Tensor update(Tensor theta, Tensor grad, Map<String, Tensor> s);

    /** Clears every parameter's gradient (to null). */
    public void zeroGrad() {
        for (Parameter p : params) {
            p.zeroGrad();
        }
    }

    /**
     * A copy of the state as {@code state.<i>.<name>} (by parameter index) and {@code param_groups.0.lr}. The
     * optimizer updates its buffers in place, so the copy is what keeps this snapshot fixed.
     */
    public LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < state.size(); i++) {
            for (Map.Entry<String, Tensor> e : new TreeMap<>(state.get(i)).entrySet()) {
                out.put("state." + i + "." + e.getKey(), e.getValue().copy());
            }
        }
        out.put("param_groups.0.lr", Tensor.scalar(DType.FLOAT64, lr));
        return out;
    }

    /**
     * Replaces the state by a copy of {@code dict} (as written by {@link #stateDict()}), converting to each
     * parameter's dtype.
     * Throws an IllegalArgumentException listing every bad key (unknown, wrong index, wrong shape) and loads nothing
     * then.
     */
    public void loadStateDict(Map<String, Tensor> dict) {
        List<String> problems = new ArrayList<>();
        List<Map<String, Tensor>> fresh = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            fresh.add(new HashMap<>());
        }
        for (Map.Entry<String, Tensor> e : dict.entrySet()) {
            String key = e.getKey();
            Tensor t = e.getValue();
            if (key.equals("param_groups.0.lr")) {
                continue;
            }
            String[] parts = key.split("\\.", 3);
            int i = -1;
            if (parts.length == 3 && parts[0].equals("state")) {
                try {
                    i = Integer.parseInt(parts[1]);
                } catch (NumberFormatException ignored) {
                    // not a parameter index: reported just below as an unexpected key
                    i = -1;
                }
            }
            if (i < 0 || i >= params.size() || !stateNames().contains(parts[2])) {
                problems.add("unexpected key " + key);
                continue;
            }
            int[] want = parts[2].equals("step") ? new int[0] : params.get(i).shape();
            if (t.numel() != Shapes.numel(want, "loadStateDict") || (want.length > 0 && !Arrays.equals(t.shape(), want))) {
                problems.add("size mismatch for " + key + ": checkpoint " + Shapes.str(t.shape()) + " vs parameter "
                        + Shapes.str(want));
                continue;
            }
            fresh.get(i).put(parts[2], parts[2].equals("step") ? t.reshape() : t.to(params.get(i).dtype()).copy());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".loadStateDict: " + problems);
        }
        for (int i = 0; i < state.size(); i++) {
            state.set(i, fresh.get(i));
        }
        Tensor lrT = dict.get("param_groups.0.lr");
        if (lrT != null) {
            setLr(lrT.item());
        }
    }

    /** The state names this optimiser keeps per parameter ({@code step} is a scalar, the others parameter-shaped). */
    protected abstract List<String> stateNames();
}
