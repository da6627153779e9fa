package dev.jacobi.examples;

import dev.jacobi.core.Rng;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.SGD;
import dev.jacobi.train.Trainer;

/** An MLP on MNIST (the bundled subset: 8,000 training and 2,000 test images), trained with SGD. */
public final class MlpMnist {
    private MlpMnist() {
    }

    /** {@code --tiny}: 500 training images, one epoch (the CI run). */
    public static void main(String[] args) throws Exception {
        boolean tiny = Examples.tiny(args);
        Split data = Datasets.bundledMnistSplit();
        var train = tiny ? data.train().balancedSubset(500, 1) : data.train();
        Rng rng = new Rng(1);
        Sequential model = new Sequential(new Flatten(), new Linear(784, 256, rng), new ReLU(),
                new Linear(256, 10, rng));
        Trainer trainer = Trainer.builder(model, new SGD(model.parameters(), 0.05, 0.9, 0, 0, false)).build();
        DataLoader loader = DataLoader.builder(train, 64).seed(1).build();
        trainer.fit(loader::epoch, tiny ? 1 : 5);
        var test = Trainer.evaluate(model, DataLoader.builder(data.test(), 500).shuffle(false).build());
        System.out.printf("MLP 784-256-10: test accuracy %.4f, loss %.4f%n", test.accuracy(), test.meanLoss());
    }
}
