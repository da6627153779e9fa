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
 * A first-order optimiser {@code θ ← update(θ, ∂L/∂θ, state)} over {@link Parameter}s in one or more
 * {@link ParamGroup}s (PyTorch's {@code param_groups}: each with its own learning rate and, optionally, weight
 * decay), with per-parameter state (momentum buffers, moments, step counts) that {@link #stateDict()} exposes as
 * PyTorch-like flat keys {@code state.<i>.<name>} (parameters numbered across the groups in order) plus
 * {@code param_groups.<g>.lr}, for checkpoints.
 */
public abstract class Optimizer {
    private final List<ParamGroup> groups = new ArrayList<>();
    private final List<Parameter> params = new ArrayList<>();
    private final List<Map<String, Tensor>> state = new ArrayList<>();

    /**
     * Parameters that share a learning rate and a weight decay, as one entry of PyTorch's {@code param_groups}.
     * {@code new SGD(decayed, 0.1, 0.9, 0, 5e-4, false).addParamGroup(biases, 0.1, 0)} keeps weight decay off the
     * biases.
     */
    public static final class ParamGroup {
        private final List<Parameter> params;
        private double lr;
        private final double weightDecay;

        private ParamGroup(List<Parameter> params, double lr, double weightDecay) {
            this.params = List.copyOf(params);
            this.lr = lr;
            this.weightDecay = weightDecay;
        }

        /** The group's parameters. */
        public List<Parameter> parameters() {
            return params;
        }

        /** The group's learning rate. */
        public double lr() {
            return lr;
        }

        /** Sets the group's learning rate (schedulers call this for every group). */
        public void setLr(double lr) {
            if (!(lr >= 0)) {
                throw new IllegalArgumentException("ParamGroup: lr must be >= 0, got " + lr);
            }
            this.lr = lr;
        }

        /** The group's weight decay, or {@code fallback} (the optimiser's own) when the group sets none. */
        public double weightDecay(double fallback) {
            return Double.isNaN(weightDecay) ? fallback : weightDecay;
        }
    }

    /** An optimiser of {@code params} with learning rate {@code lr >= 0}: one group. */
    protected Optimizer(List<Parameter> params, double lr) {
        add(params, lr, Double.NaN);
    }

    /**
     * Adds a group of {@code params} with its own {@code lr} and {@code weightDecay} (NaN: the optimiser's), as
     * PyTorch's {@code add_param_group}; returns this optimiser. A parameter may be in one group only.
     */
    public Optimizer addParamGroup(List<Parameter> params, double lr, double weightDecay) {
        if (!(weightDecay >= 0) && !Double.isNaN(weightDecay)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": weightDecay must be >= 0 (or NaN for"
                    + " the optimiser's), got " + weightDecay);
        }
        add(params, lr, weightDecay);
        return this;
    }

    private void add(List<Parameter> ps, double lr, double weightDecay) {
        if (ps.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": empty parameter list");
        }
        checkNonNegative("lr", lr);
        for (Parameter p : ps) {
            if (params.stream().anyMatch(q -> q == p) || ps.stream().filter(q -> q == p).count() > 1) {
                throw new IllegalArgumentException(getClass().getSimpleName() + ": a parameter " + Shapes.str(
                        p.shape()) + " appears twice; each parameter belongs to one group, once");
            }
        }
        groups.add(new ParamGroup(ps, lr, weightDecay));
        for (Parameter p : ps) {
            params.add(p);
            state.add(new HashMap<>());
        }
    }

    /** Throws unless {@code value >= 0}, naming this optimiser and the hyper-parameter. */
    protected void checkNonNegative(String name, double value) {
        if (!(value >= 0)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": " + name + " must be >= 0, got " + value);
        }
    }

    /** The parameters of every group, in order. */
    public List<Parameter> parameters() {
        return List.copyOf(params);
    }

    /** The groups, in order; the first is the one the constructor made. */
    public List<ParamGroup> paramGroups() {
        return List.copyOf(groups);
    }

    /** The learning rate of the first group. */
    public double lr() {
        return groups.get(0).lr();
    }

    /** Sets the learning rate of the first group. */
    public void setLr(double lr) {
        checkNonNegative("lr", lr);
        groups.get(0).setLr(lr);
    }

    /** One update of every parameter that has a gradient, without recording a graph. */
    public void step() {
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            int i = 0;
            for (ParamGroup group : groups) {
                for (Parameter p : group.params) {
                    Tensor g = p.grad();
                    if (g != null) {
                        p.set(update(p.value(), g, state.get(i), group));
                    }
                    i++;
                }
            }
        }
    }

    /**
     * The new value of a parameter {@code theta} with gradient {@code grad}; {@code s} is its mutable state (empty
     * at the first step) and holds tensors of the parameter's shape, or scalars for counts. Use the {@code group}'s
     * learning rate and weight decay.
     */
    protected abstract Tensor update(Tensor theta, Tensor grad, Map<String, Tensor> s, ParamGroup group);

    /** Clears every parameter's gradient (to null). */
    public void zeroGrad() {
        for (Parameter p : params) {
            p.zeroGrad();
        }
    }

    /**
     * A copy of the state as {@code state.<i>.<name>} (by parameter index) and {@code param_groups.<g>.lr}. The
     * optimizer updates its buffers in place, so the copy is what keeps this snapshot fixed.
     */
    public LinkedHashMap<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < state.size(); i++) {
            for (Map.Entry<String, Tensor> e : new TreeMap<>(state.get(i)).entrySet()) {
                out.put("state." + i + "." + e.getKey(), e.getValue().copy());
            }
        }
        for (int g = 0; g < groups.size(); g++) {
            out.put("param_groups." + g + ".lr", Tensor.scalar(DType.FLOAT64, groups.get(g).lr()));
        }
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
            if (key.matches("param_groups\\.\\d{1,6}\\.lr") && Integer.parseInt(key.split("\\.")[1]) < groups.size()) {
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
        for (int g = 0; g < groups.size(); g++) {
            Tensor lrT = dict.get("param_groups." + g + ".lr");
            if (lrT != null) {
                groups.get(g).setLr(lrT.item());
            }
        }
    }

    /** The state names this optimiser keeps per parameter ({@code step} is a scalar, the others parameter-shaped). */
    protected abstract List<String> stateNames();
}
