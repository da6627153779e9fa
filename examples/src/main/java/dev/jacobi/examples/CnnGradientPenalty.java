package dev.jacobi.examples;

import dev.jacobi.core.Rng;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.SGD;
import dev.jacobi.regularizers.inputspace.GradientPenalty;
import dev.jacobi.train.Trainer;

/**
 * A CNN on MNIST trained with an input-gradient penalty, {@code loss + λ·‖∇ₓ loss‖²} (double backpropagation through
 * the convolutions), next to the same CNN without it: the penalty makes the loss flatter around the training
 * points.
 */
public final class CnnGradientPenalty {
    private CnnGradientPenalty() {
    }

    private static Sequential cnn(Rng rng) {
        return new Sequential(new Conv2d(1, 16, 3, 1, 1, rng), new ReLU(), new MaxPool2d(2), new Conv2d(16, 32, 3, 1, 1,
                rng), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(32 * 7 * 7, 10, rng));
    }

    /** {@code --tiny}: 256 training images, one epoch. */
    public static void main(String[] args) throws Exception {
        boolean tiny = Examples.tiny(args);
        Split data = Datasets.bundledMnistSplit();
        var train = tiny ? data.train().balancedSubset(256, 1) : data.train();
        var testSet = tiny ? data.test().balancedSubset(200, 1) : data.test();
        GradientPenalty gradL2 = new GradientPenalty(GradientPenalty.Kind.GRAD_L2);
        for (double lambda : new double[] {0, 0.1}) {
            Sequential model = cnn(new Rng(2));
            Trainer.Builder b = Trainer.builder(model, new SGD(model.parameters(), 0.05, 0.9, 0, 0, false));
            if (lambda > 0) {
                b.regularizer(lambda, gradL2);
            }
            b.build().fit(DataLoader.builder(train, 64).seed(2).build()::epoch, tiny ? 1 : 3);
            var test = Trainer.evaluate(model, DataLoader.builder(testSet, 200).shuffle(false).build());
            double penalty = gradL2.penalty(model, DataLoader.builder(testSet, 200).shuffle(false).build().iterator()
                    .next(), 0).value().item();
            System.out.printf("lambda %.1f: test accuracy %.4f, mean ||grad_x loss||^2 on test %.5f%n", lambda,
                    test.accuracy(), penalty);
        }
    }
}
