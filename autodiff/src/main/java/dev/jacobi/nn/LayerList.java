package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * An indexed list of layers whose parameters, buffers and state-dict keys ({@code 0.weight}, {@code 1.bias}, …)
 * belong to the layer that holds it, as PyTorch's {@code nn.ModuleList}. It has no forward of its own: the holding
 * layer calls its elements in its own {@link Layer#forward}.
 */
public final class LayerList extends Layer implements Iterable<Layer> {
    private final List<Layer> layers = new ArrayList<>();

    /** A list of {@code layers}, named {@code 0, 1, …}. */
    public LayerList(Layer... layers) {
        for (Layer l : layers) {
            add(l);
        }
    }

    /** Appends {@code layer} under the next index; returns this list. */
    public LayerList add(Layer layer) {
        if (layer == null) {
            throw new IllegalArgumentException("LayerList.add: layer is null");
        }
        layers.add(registerLayer(String.valueOf(layers.size()), layer));
        return this;
    }

    /** Layer {@code i}. */
    public Layer get(int i) {
        if (i < 0 || i >= layers.size()) {
            throw new IllegalArgumentException("LayerList.get: index " + i + " outside [0, " + layers.size() + ")");
        }
        return layers.get(i);
    }

    /** The number of layers. */
    public int size() {
        return layers.size();
    }

    @Override
    public Iterator<Layer> iterator() {
        return Collections.unmodifiableList(layers).iterator();
    }

    /** Throws: a LayerList is a container, not a function (use {@link Sequential} to chain layers). */
    @Override
    public Var forward(Var x) {
        throw new UnsupportedOperationException("LayerList has no forward: call its layers in your layer's forward,"
                + " or use Sequential to apply them in order");
    }
}
