package dev.jacobi.examples;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.Adam;
import dev.jacobi.regularizers.lipschitz.BjorckLinear;
import dev.jacobi.regularizers.lipschitz.Certify;
import dev.jacobi.regularizers.lipschitz.MaxMin;
import dev.jacobi.regularizers.lipschitz.MultiMarginLoss;
import dev.jacobi.regularizers.spectral.LipschitzBound;
import dev.jacobi.train.Trainer;

/**
 * A network that is 1-Lipschitz by construction (Björck-orthonormal dense layers and MaxMin activations), trained
 * with the multi-class hinge loss, and the accuracy it certifies: an example whose logit margin exceeds √2·ε cannot
 * change class under any ℓ2 perturbation of size ε.
 */
public final class CertifiedLipschitz {
    private CertifiedLipschitz() {
    }

    /** {@code --tiny}: 500 training images, one epoch. */
    public static void main(String[] args) throws Exception {
        boolean tiny = Examples.tiny(args);
        Split data = Datasets.bundledMnistSplit();
        var train = tiny ? data.train().balancedSubset(500, 1) : data.train();
        var testSet = tiny ? data.test().balancedSubset(200, 1) : data.test();
        Rng rng = new Rng(5);
        Sequential model = new Sequential(new Flatten(), new BjorckLinear(784, 256, rng), new MaxMin(),
                new BjorckLinear(256, 256, rng), new MaxMin(), new BjorckLinear(256, 10, rng));
        MultiMarginLoss hinge = new MultiMarginLoss(0.5, 1.0);
        Trainer.builder(model, new Adam(model.parameters(), 0.001)).loss(hinge::forward).build()
                .fit(DataLoader.builder(train, 64).seed(5).build()::epoch, tiny ? 1 : 10);
        double lipschitz = LipschitzBound.of(model.eval(), new int[] {1, 28, 28}).product();
        Batch all = DataLoader.builder(testSet, testSet.size()).shuffle(false).build().iterator().next();
        Tensor logits;
        try (var scope = Autodiff.noGrad()) {
            logits = model.forward(all.x()).value();
        }
        double[] eps = {0, 0.5, 1.0, 1.58};
        double[] acc = Certify.certifiedAccuracy(logits, all.y(), lipschitz, Certify.Norm.L2, eps);
        System.out.printf("Lipschitz bound of the network: %.4f%n", lipschitz);
        for (int i = 0; i < eps.length; i++) {
            System.out.printf("  certified accuracy at l2 radius %.2f: %.4f%n", eps[i], acc[i]);
        }
    }
}
