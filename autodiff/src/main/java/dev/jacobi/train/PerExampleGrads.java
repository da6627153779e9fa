package dev.jacobi.train;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Per-example gradients, what PyTorch computes with {@code torch.func.vmap(grad(...))}: for each example {@code i} of a
 * batch, the gradient of {@code loss(model(x[i:i+1]), y[i])} with respect to every parameter, stacked along a new
 * first dim. They are computed one example at a time (a forward and a backward each, so as many passes as examples),
 * which keeps each example's statistics its own (BatchNorm in training mode sees batches of one, so put the model in
 * evaluation mode first if it has any). The parameters' accumulated gradients are left as they were.
 */
public final class PerExampleGrads {
    private PerExampleGrads() {
    }

    /**
     * The gradient of each example's loss for each parameter, by name ({@code 0.weight}): {@code [N, ...shape]}.
     *
     * @param model the model
     * @param loss  the loss of one example's logits and its label, a scalar (e.g. {@code Losses::crossEntropy})
     * @param x     the inputs, {@code [N, ...]}
     * @param y     one label per example
     */
    public static Map<String, Tensor> compute(Layer model, BiFunction<Var, int[], Var> loss, Tensor x, int[] y) {
        if (x.dim() == 0 || x.shape()[0] != y.length || y.length == 0) {
            throw new IllegalArgumentException("PerExampleGrads: " + y.length + " labels for inputs of shape "
                    + dev.jacobi.core.Shapes.str(x.shape()) + " (need one label per example, at least one)");
        }
        Map<String, Parameter> params = model.namedParameters();
        List<List<Tensor>> perParam = new ArrayList<>();
        for (int k = 0; k < params.size(); k++) {
            perParam.add(new ArrayList<>());
        }
        for (int i = 0; i < y.length; i++) {
            List<Var> leaves = new ArrayList<>();
            for (Parameter p : params.values()) {
                leaves.add(p.var());
            }
            Var l = loss.apply(model.forward(Var.of(x.narrow(0, i, 1))), new int[] {y[i]});
            if (l.dim() != 0) {
                throw new IllegalArgumentException("PerExampleGrads: the loss must be a scalar, got shape "
                        + dev.jacobi.core.Shapes.str(l.shape()));
            }
            List<Var> g = Autodiff.grad(l, leaves, null, false, false);
            for (int k = 0; k < leaves.size(); k++) {
                perParam.get(k).add(g.get(k).value()); // zeros for a parameter this example does not reach
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        int k = 0;
        for (String name : params.keySet()) {
            out.put(name, Tensor.stack(perParam.get(k++), 0));
        }
        return out;
    }
}
