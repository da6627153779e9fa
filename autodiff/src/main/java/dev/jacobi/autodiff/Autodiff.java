package dev.jacobi.autodiff;

import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reverse-mode differentiation: the graph-level {@link #grad(Var, List, Var, boolean)} and the functional forms
 * {@code grad}, {@code vjp}, {@code jvp}, {@code hvp}, {@code jacobian} and {@code hessian} on functions of
 * tensors.
 *
 * <p>Because every backward rule is made of differentiable ops, {@code createGraph = true} returns gradients that
 * are themselves graphs: {@code hvp} is reverse-over-reverse, the gradient graph {@code grad(f, x)} differentiated
 * again with {@code v} as its cotangent ({@code grad(List.of(g), List.of(x), List.of(v), false)}), and the same
 * works to any order.
 */
public final class Autodiff {
    private Autodiff() {
    }

    /** Turns graph recording off for the current thread until the returned scope is closed. */
    public static GradMode.Scope noGrad() {
        return new GradMode.Scope(false);
    }

    /** Turns graph recording on for the current thread until the returned scope is closed. */
    public static GradMode.Scope enableGrad() {
        return new GradMode.Scope(true);
    }

    // ------------------------------------------------------------------ graph level

    /**
     * The cotangents {@code gradOutputᵀ · d output / d inputs[i]}, touching no state. {@code gradOutput} may be
     * null only for a one-element output (then it is 1). Inputs the output does not depend on get zeros. With
     * {@code createGraph}, the results are graphs that can be differentiated again.
     */
    public static List<Var> grad(Var output, List<Var> inputs, Var gradOutput, boolean createGraph) {
        return grad(output, inputs, gradOutput, createGraph, false);
    }

    /**
     * As {@link #grad(Var, List, Var, boolean)}; with {@code strict}, an input the output does not depend on is an
     * error instead of getting zeros.
     */
    public static List<Var> grad(Var output, List<Var> inputs, Var gradOutput, boolean createGraph, boolean strict) {
        return collect(run(List.of(output), List.of(seed(output, gradOutput, "grad")), inputs, createGraph, false),
                inputs, strict);
    }

    /**
     * The summed cotangents {@code Σ_o gradOutputs[o]ᵀ · d outputs[o] / d inputs[i]} of several outputs in one
     * backward pass, as PyTorch's {@code torch.autograd.grad(outputs, inputs, grad_outputs)}. A null list, or a null
     * entry, stands for 1 and is allowed only for a one-element output. With {@code outputs} the gradients of a loss
     * and {@code gradOutputs} a direction {@code v}, this is the Hessian-vector product without forming the scalar
     * {@code Σ⟨gᵢ, vᵢ⟩}.
     */
    public static List<Var> grad(List<Var> outputs, List<Var> inputs, List<Var> gradOutputs, boolean createGraph) {
        if (gradOutputs != null && gradOutputs.size() != outputs.size()) {
            throw new IllegalArgumentException("grad: " + outputs.size() + " outputs but " + gradOutputs.size()
                    + " gradOutputs");
        }
        List<Var> seeds = new ArrayList<>(outputs.size());
        for (int o = 0; o < outputs.size(); o++) {
            seeds.add(seed(outputs.get(o), gradOutputs == null ? null : gradOutputs.get(o), "grad"));
        }
        return collect(run(outputs, seeds, inputs, createGraph, false), inputs, false);
    }

    /** The gradients of {@code inputs} from {@code grads}, with zeros (or, if strict, an error) for unused ones. */
    private static List<Var> collect(Map<Var, Var> grads, List<Var> inputs, boolean strict) {
        List<Var> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            Var x = inputs.get(i);
            Var g = grads.get(x);
            if (g == null) {
                if (strict) {
                    throw new IllegalArgumentException("grad: input " + i + " of shape " + Shapes.str(x.shape())
                            + " is not used by the output (strict mode)");
                }
                g = Var.of(Tensor.zerosLike(x.value()));
            }
            out.add(g);
        }
        return out;
    }

    static void backward(Var output, Tensor gradOutput, boolean retainGraph) {
        if (!output.requiresGrad()) {
            throw new IllegalStateException("backward: this value does not require a gradient, so there is nothing to"
                    + " differentiate: " + output.whyNoGrad());
        }
        Var seed = seed(output, gradOutput == null ? null : Var.of(gradOutput), "backward");
        Map<Var, Var> grads = run(List.of(output), List.of(seed), null, false, !retainGraph);
        for (Map.Entry<Var, Var> e : grads.entrySet()) {
            Var v = e.getKey();
            if (v.isLeaf() && v.requiresGrad()) {
                v.accumulate(e.getValue().value());
            }
        }
    }

    private static Var seed(Var output, Var gradOutput, String op) {
        if (gradOutput == null) {
            if (output.value().numel() != 1) {
                throw new IllegalArgumentException(op + ": output of shape " + Shapes.str(output.shape())
                        + " is not a scalar; pass a gradOutput of that shape");
            }
            return Var.of(Tensor.onesLike(output.value()));
        }
        if (!Arrays.equals(gradOutput.shape(), output.shape())) {
            throw new IllegalArgumentException(op + ": gradOutput shape " + Shapes.str(gradOutput.shape())
                    + " differs from output shape " + Shapes.str(output.shape()));
        }
        if (gradOutput.dtype() != output.dtype()) {
            throw new IllegalArgumentException(op + ": gradOutput dtype " + gradOutput.dtype()
                    + " differs from output dtype " + output.dtype());
        }
        return gradOutput;
    }

    /**
     * Runs the backward rules from {@code outputs}, seeded with {@code seeds}, in reverse topological order. With
     * {@code targets}, only paths that reach a target are followed; with null, all leaves that require a gradient are
     * targets.
     */
    private static Map<Var, Var> run(List<Var> outputs, List<Var> seeds, List<Var> targets, boolean createGraph,
                                     boolean free) {
        Set<Var> wanted = targets == null ? null : Collections.newSetFromMap(new IdentityHashMap<>());
        if (targets != null) {
            wanted.addAll(targets);
        }
        List<Var> order = new ArrayList<>();
        Map<Var, Boolean> needed = new IdentityHashMap<>();
        Map<Var, Boolean> visiting = new IdentityHashMap<>();
        for (Var out : outputs) {
            topo(out, wanted, order, needed, visiting);
        }
        Map<Var, Var> grads = new IdentityHashMap<>();
        // without a graph: the sums that no one but this map holds (fresh products and sums), which a product's
        // rule may add into in place
        Set<Var> owned = createGraph ? null : Collections.newSetFromMap(new IdentityHashMap<>());
        try (GradMode.Scope ignored = new GradMode.Scope(createGraph)) {
            for (int o = 0; o < outputs.size(); o++) {
                Var out = outputs.get(o);
                if (Boolean.TRUE.equals(needed.get(out))) {
                    Var prev = grads.get(out);
                    grads.put(out, prev == null ? seeds.get(o) : prev.add(seeds.get(o)));
                }
            }
            for (int i = order.size() - 1; i >= 0; i--) {
                Var v = order.get(i);
                Var g = grads.get(v);
                if (g != null && v.rule != null) {
                    Var[] in = v.inputs;
                    boolean[] needs = new boolean[in.length];
                    v.checkVersion(v.op);
                    for (int j = 0; j < in.length; j++) {
                        needs[j] = Boolean.TRUE.equals(needed.get(in[j]));
                        in[j].checkVersion(v.op);
                    }
                    // g is handed to a rule, which may pass it on: it is no longer this map's alone
                    boolean gOwned = owned != null && owned.remove(g);
                    // a requested result stays in the map; any other gradient is spent once its rule has run
                    boolean spent = wanted == null || !wanted.contains(v);
                    long mark = Tensor.allocationMark();
                    if (v.rule instanceof Rule.Accumulating acc && distinct(in)) {
                        // the rule adds onto the sums so far itself (an input that occurs twice would be counted
                        // twice)
                        Var[] sums = new Var[in.length];
                        boolean[] own = new boolean[in.length];
                        for (int j = 0; j < in.length; j++) {
                            sums[j] = needs[j] ? grads.get(in[j]) : null;
                            own[j] = owned != null && owned.contains(sums[j]);
                        }
                        sums = acc.applyOnto(g, v, needs, sums, own);
                        for (int j = 0; j < in.length; j++) {
                            if (needs[j] && sums[j] != null) {
                                track(owned, grads.put(in[j], sums[j]), sums[j], own[j]);
                            }
                        }
                        if (gOwned && spent) {
                            release(g, sums);
                        }
                    } else {
                        Var[] gi = v.rule.apply(g, v, needs);
                        // the transpose of a gradient this map owned is still its alone, unless g is also a result
                        boolean transfer = gOwned && v.op == Op.PERMUTE && spent;
                        for (int j = 0; j < in.length; j++) {
                            if (needs[j] && gi[j] != null) {
                                Var prev = grads.get(in[j]);
                                Var sum = prev == null ? gi[j] : prev.add(gi[j]);
                                track(owned, grads.put(in[j], sum), sum,
                                        prev != null || transfer || fresh(gi, j, mark));
                            }
                        }
                        if (gOwned && spent) {
                            release(g, gi);
                        }
                    }
                    if (spent) {
                        grads.remove(v);
                    }
                }
                if (free) {
                    // as soon as its rule has run, so that the values it holds can be collected during the pass
                    v.free();
                }
            }
        }
        return grads;
    }

    /**
     * Returns a spent gradient's memory to the caching allocator once its rule has run: {@code g} was a sum that
     * only the gradient map held, and it goes only if no view of it was ever made and no result of the rule is
     * over its array (a rule may pass its gradient on, or a reshape of it).
     */
    private static void release(Var g, Var[] results) {
        Tensor t = g.value();
        if (!t.ownsStorage()) {
            return;
        }
        for (Var r : results) {
            if (r != null && r.value().sharesStorage(t)) {
                return;
            }
        }
        t.release("the autodiff engine after the gradient's backward rule ran (it was the engine's own)");
    }

    /**
     * Records that {@code sum} replaced {@code prev} in the gradient map, and whether the map alone holds it; a
     * replaced sum that the map alone held is released.
     */
    private static void track(Set<Var> owned, Var prev, Var sum, boolean fresh) {
        if (owned != null) {
            if (prev != null && owned.remove(prev) && prev != sum) {
                // the map's own sum, replaced by a fresh one: spent
                release(prev, new Var[] {sum});
            }
            if (fresh) {
                owned.add(sum);
            }
        }
    }

    /**
     * Whether the rule made {@code gi[j]} afresh, so that the gradient map alone holds it: its array is newer than
     * {@code mark}, has no views, and no other result of the rule shares it.
     */
    private static boolean fresh(Var[] gi, int j, long mark) {
        Tensor t = gi[j].value();
        if (!t.allocatedAfter(mark) || !t.ownsStorage()) {
            return false;
        }
        for (int k = 0; k < gi.length; k++) {
            if (k != j && gi[k] != null && gi[k].value().sharesStorage(t)) {
                return false;
            }
        }
        return true;
    }

    /** Whether no Var occurs twice in {@code in}. */
    private static boolean distinct(Var[] in) {
        for (int i = 0; i < in.length; i++) {
            for (int j = 0; j < i; j++) {
                if (in[i] == in[j]) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The tensors that the ops of the graph behind {@code output} computed and that only the graph holds, as far as
     * the graph can tell: values of nodes that require a gradient and are not leaves, of which no view was made, and
     * that are not also the value of a leaf or of a node computed without a gradient. {@code Trainer.step} releases
     * them to the caching allocator when its step is done. Call it before a backward that frees the graph.
     *
     * @param output the root of the graph
     * @return the values, each once
     */
    public static List<Tensor> computedValues(Var output) {
        Set<Var> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Tensor> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Tensor> computed = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Var> stack = new ArrayDeque<>();
        stack.push(output);
        seen.add(output);
        while (!stack.isEmpty()) {
            Var v = stack.pop();
            Tensor t = v.value();
            if (v.requiresGrad() && !v.isLeaf() && t.ownsStorage()) {
                computed.add(t);
            } else {
                kept.add(t);
            }
            if (v.inputs != null) {
                for (Var in : v.inputs) {
                    if (seen.add(in)) {
                        stack.push(in);
                    }
                }
            }
        }
        computed.removeAll(kept);
        return new ArrayList<>(computed);
    }

    /** Throws if a backward has freed the graph behind {@code v}, as PyTorch does for a second backward. */
    private static void checkNotFreed(Var v) {
        if (v.isFreed()) {
            throw new IllegalStateException("Trying to backward through the graph a second time: the graph behind a"
                    + " value made by " + v.op + " was freed by an earlier backward(). Pass retainGraph = true to the"
                    + " first backward (Var.backward(gradOutput, true)) if you need to backward through it again, or"
                    + " recompute the value.");
        }
    }

    /** Post-order DFS (iterative, so deep graphs do not overflow the stack) marking which nodes reach a target. */
    private static void topo(Var root, Set<Var> wanted, List<Var> order, Map<Var, Boolean> needed,
                             Map<Var, Boolean> visiting) {
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        if (!root.requiresGrad() || visiting.containsKey(root)) {
            return;
        }
        checkNotFreed(root);
        stack.push(new Object[] {root, 0});
        visiting.put(root, true);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Var v = (Var) top[0];
            int next = (Integer) top[1];
            Var[] in = v.inputs;
            if (in != null && next < in.length) {
                top[1] = next + 1;
                Var c = in[next];
                if (c.requiresGrad() && !visiting.containsKey(c)) {
                    checkNotFreed(c);
                    visiting.put(c, true);
                    stack.push(new Object[] {c, 0});
                }
                continue;
            }
            stack.pop();
            boolean need = wanted == null ? (v.isLeaf() && v.requiresGrad()) : wanted.contains(v);
            if (in != null) {
                for (Var c : in) {
                    need |= Boolean.TRUE.equals(needed.get(c));
                }
            }
            needed.put(v, need);
            order.add(v);
        }
    }

    // ------------------------------------------------------------------ functional forms

    private static Var scalarOut(Function<Var, Var> f, Var x, String op) {
        Var y = f.apply(x);
        if (y.value().numel() != 1) {
            throw new IllegalArgumentException(op + ": f must return a scalar, got shape " + Shapes.str(y.shape()));
        }
        return y;
    }

    /** {@code ∇f(x)} for a scalar-valued {@code f}. */
    public static Tensor grad(Function<Var, Var> f, Tensor x) {
        Var xv = Var.param(x);
        try (GradMode.Scope ignored = enableGrad()) {
            Var y = scalarOut(f, xv, "grad");
            return grad(y, List.of(xv), null, false).get(0).value();
        }
    }

    /** The gradients of a scalar function of several tensors. */
    public static List<Tensor> grad(MultiFunction f, List<Tensor> xs) {
        List<Var> vs = params(xs);
        try (GradMode.Scope ignored = enableGrad()) {
            Var y = f.apply(vs);
            if (y.value().numel() != 1) {
                throw new IllegalArgumentException("grad: f must return a scalar, got shape " + Shapes.str(y.shape()));
            }
            return values(grad(y, vs, null, false));
        }
    }

    /** Vector-Jacobian product {@code cotangentᵀ · ∂f/∂x}, the shape of {@code x}. */
    public static Tensor vjp(Function<Var, Var> f, Tensor x, Tensor cotangent) {
        Var xv = Var.param(x);
        try (GradMode.Scope ignored = enableGrad()) {
            Var y = f.apply(xv);
            return grad(y, List.of(xv), Var.of(cotangent), false).get(0).value();
        }
    }

    /**
     * Jacobian-vector product {@code ∂f/∂x · tangent}, the shape of {@code f(x)}. Computed by the double-VJP trick,
     * not by forward mode (the engine has no dual numbers): {@code u ↦ Jᵀu} is linear, so differentiating
     * {@code ⟨Jᵀu, tangent⟩} with respect to {@code u} gives {@code J·tangent}. It costs two backward passes and needs
     * second-order rules, which every op here has.
     */
    public static Tensor jvp(Function<Var, Var> f, Tensor x, Tensor tangent) {
        if (!Arrays.equals(x.shape(), tangent.shape())) {
            throw new IllegalArgumentException("jvp: tangent shape " + Shapes.str(tangent.shape())
                    + " differs from input shape " + Shapes.str(x.shape()));
        }
        Var xv = Var.param(x);
        try (GradMode.Scope ignored = enableGrad()) {
            Var y = f.apply(xv);
            Var u = Var.param(Tensor.zerosLike(y.value()));
            Var jtu = grad(y, List.of(xv), u, true).get(0);
            Var s = jtu.mul(Var.of(tangent)).sum();
            return grad(s, List.of(u), null, false).get(0).value();
        }
    }

    /** Hessian-vector product {@code ∇²f(x)·v} of a scalar {@code f}, by reverse over reverse. */
    public static Tensor hvp(Function<Var, Var> f, Tensor x, Tensor v) {
        if (!Arrays.equals(x.shape(), v.shape())) {
            throw new IllegalArgumentException("hvp: vector shape " + Shapes.str(v.shape())
                    + " differs from input shape " + Shapes.str(x.shape()));
        }
        Var xv = Var.param(x);
        try (GradMode.Scope ignored = enableGrad()) {
            Var y = scalarOut(f, xv, "hvp");
            Var gx = grad(y, List.of(xv), null, true).get(0);
            return grad(List.of(gx), List.of(xv), List.of(Var.of(v)), false).get(0).value();
        }
    }

    /** Hessian-vector products of a scalar function of several tensors: {@code Σ_j ∂²f/∂x_i∂x_j · v_j}. */
    public static List<Tensor> hvp(MultiFunction f, List<Tensor> xs, List<Tensor> vs) {
        if (xs.size() != vs.size()) {
            throw new IllegalArgumentException("hvp: " + xs.size() + " inputs but " + vs.size() + " vectors");
        }
        List<Var> ps = params(xs);
        try (GradMode.Scope ignored = enableGrad()) {
            Var y = f.apply(ps);
            return values(grad(grad(y, ps, null, true), ps, constants(vs, xs, "hvp"), false));
        }
    }

    /** The Jacobian of {@code f} at {@code x}, shape {@code f(x).shape ++ x.shape}, one vjp per output element. */
    public static Tensor jacobian(Function<Var, Var> f, Tensor x) {
        Var xv = Var.param(x);
        try (GradMode.Scope ignored = enableGrad()) {
            Var y = f.apply(xv);
            int m = y.value().numel();
            List<Tensor> rows = new ArrayList<>(m);
            int[] ys = y.shape();
            for (int i = 0; i < m; i++) {
                Tensor e = Tensor.oneHot(new int[] {i}, m, y.dtype()).reshape(ys);
                rows.add(grad(y, List.of(xv), Var.of(e), false).get(0).value());
            }
            int[] shape = new int[ys.length + x.dim()];
            System.arraycopy(ys, 0, shape, 0, ys.length);
            System.arraycopy(x.shape(), 0, shape, ys.length, x.dim());
            return m == 0 ? Tensor.zeros(x.dtype(), shape) : Tensor.stack(rows, 0).reshape(shape);
        }
    }

    /** The Hessian of a scalar {@code f} at {@code x}, shape {@code x.shape ++ x.shape}. */
    public static Tensor hessian(Function<Var, Var> f, Tensor x) {
        return jacobian(xv -> {
            Var y = scalarOut(f, xv, "hessian");
            return grad(y, List.of(xv), null, true).get(0);
        }, x);
    }

    /** A function of several Vars, for the multi-input forms. */
    @FunctionalInterface
    public interface MultiFunction {
        /** Evaluates the function. */
        Var apply(List<Var> xs);
    }

    static List<Var> params(List<Tensor> xs) {
        List<Var> vs = new ArrayList<>(xs.size());
        for (Tensor t : xs) {
            vs.add(Var.param(t));
        }
        return vs;
    }

    /** {@code vs} as constants, each checked to have the shape of the input at the same position. */
    private static List<Var> constants(List<Tensor> vs, List<Tensor> xs, String op) {
        List<Var> out = new ArrayList<>(vs.size());
        for (int i = 0; i < vs.size(); i++) {
            if (!Arrays.equals(xs.get(i).shape(), vs.get(i).shape())) {
                throw new IllegalArgumentException(op + ": vector " + i + " has shape " + Shapes.str(vs.get(i).shape())
                        + ", input " + i + " has shape " + Shapes.str(xs.get(i).shape()));
            }
            out.add(Var.of(vs.get(i)));
        }
        return out;
    }

    static List<Tensor> values(List<Var> vs) {
        List<Tensor> out = new ArrayList<>(vs.size());
        for (Var v : vs) {
            out.add(v.value());
        }
        return out;
    }
}
