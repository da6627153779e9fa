package dev.jacobi.bench.cli;

import dev.jacobi.core.Rng;
import dev.jacobi.nn.Module;

/** Builders of the 1-Lipschitz architectures (BCOP convolutions, Björck linear layers, MaxMin activations). */
final class LipschitzModels {
    private LipschitzModels() {
    }

    static Module build(ModelSpec spec, Rng rng) {
        throw new IllegalArgumentException("model " + spec.kind() + " needs the Lipschitz layers, which this build lacks");
    }
}
