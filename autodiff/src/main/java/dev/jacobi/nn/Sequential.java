package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** A chain {@code y = f_{n-1}(…f_1(f_0(x)))} of modules named {@code "0"}, {@code "1"}, … as in PyTorch. */
public final class Sequential extends Layer implements Iterable<Layer> {
    private final List<Layer> layers = new ArrayList<>();

    /** The chain of {@code modules}, in order. */
    public Sequential(Layer... modules) {
        for (Layer m : modules) {
            append(m);
        }
    }

    /** Adds {@code module} at the end (named by its index); returns this. */
    public Sequential append(Layer module) {
        registerLayer(Integer.toString(layers.size()), module);
        layers.add(module);
        return this;
    }

    /** Layer {@code i}. */
    public Layer get(int i) {
        if (i < 0 || i >= layers.size()) {
            throw new IllegalArgumentException("Sequential.get: index " + i + " outside [0, " + layers.size() + ")");
        }
        return layers.get(i);
    }

    /** The number of modules. */
    public int size() {
        return layers.size();
    }

    /** The modules in order. */
    @Override
    public Iterator<Layer> iterator() {
        return List.copyOf(layers).iterator();
    }

    /**
     * Each module applied to the previous one's output. A {@link ReLU} directly followed by a {@link MaxPool2d} runs
     * as the pooling, then the ReLU: both are monotone, so {@code maxPool(relu(x)) = relu(maxPool(x))} with the same
     * values, the same selected elements, and so the same gradients of every order, for a quarter of the ReLU's
     * element-wise work forward and backward (2×2 pooling). A layer directly followed by a ReLU runs with it as one
     * step where the layer has a fused form ({@code Layer.forwardRelu}: a {@link Linear} with a bias adds it and
     * clamps in one pass, a {@link BatchNorm} folds the clamp into its own passes), again with the same values and
     * gradients. Neither rewrite happens when one of the two layers has a forward hook to see its own output. Each
     * layer runs through {@link Layer#call}, so its forward hooks run.
     */
    @Override
    public Var forward(Var x) {
        for (int i = 0; i < layers.size(); i++) {
            Layer m = layers.get(i);
            Layer next = i + 1 < layers.size() ? layers.get(i + 1) : null;
            boolean unhooked = next != null && !m.hasForwardHooks() && !next.hasForwardHooks();
            Var fused;
            if (unhooked && m instanceof ReLU && next instanceof MaxPool2d) {
                x = m.forward(next.forward(x));
                i++;
            } else if (unhooked && next instanceof ReLU && (fused = m.forwardRelu(x)) != null) {
                x = fused;
                i++;
            } else {
                x = m.call(x);
            }
        }
        return x;
    }
}
