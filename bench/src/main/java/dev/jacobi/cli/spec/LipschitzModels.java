package dev.jacobi.cli.spec;

import dev.jacobi.core.Rng;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Sequential;
import dev.jacobi.regularizers.lipschitz.BcopConv2d;
import dev.jacobi.regularizers.lipschitz.BjorckLinear;
import dev.jacobi.regularizers.lipschitz.MaxMin;
import java.util.Arrays;

/**
 * The 1-Lipschitz architectures of {@code --model}: every layer is orthogonal (BCOP convolutions with circular
 * padding, Björck-orthonormalised linear layers) and the activation is MaxMin, so the network's Lipschitz constant
 * is at most 1 and certified radii follow from the margins alone.
 */
final class LipschitzModels {
    private LipschitzModels() {
    }

    static Layer build(ModelSpec spec, Rng rng) {
        int[] in = spec.input();
        if (spec.kind().equals("lipschitz-mlp")) {
            int features = Arrays.stream(in).reduce(1, (a, b) -> a * b);
            Sequential s = new Sequential(new Flatten());
            int width = spec.width() + spec.width() % 2;
            for (int i = 0; i < spec.depth(); i++) {
                s.append(new BjorckLinear(i == 0 ? features : width, width, rng)).append(new MaxMin());
            }
            return s.append(new BjorckLinear(width, spec.classes(), rng));
        }
        if (in.length != 3 || in[1] % (1 << spec.depth()) != 0 || in[2] % (1 << spec.depth()) != 0) {
            throw new IllegalArgumentException("model lipschitz-cnn needs images [C, H, W] with H and W divisible by 2^depth, got "
                    + Arrays.toString(in));
        }
        // a BCOP 3x3 block at full resolution, then depth strided (kernel 4, stride 2) BCOP blocks
        int c = spec.width() + spec.width() % 2;
        Sequential s = new Sequential(new BcopConv2d(in[0], c, 3, 1, rng), new MaxMin());
        int h = in[1];
        int w = in[2];
        for (int i = 0; i < spec.depth(); i++) {
            s.append(new BcopConv2d(c, 2 * c, 4, 2, rng)).append(new MaxMin());
            c *= 2;
            h /= 2;
            w /= 2;
        }
        return s.append(new Flatten()).append(new BjorckLinear(c * h * w, spec.classes(), rng));
    }
}
