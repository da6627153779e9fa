package dev.jacobi.regularizers;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Losses;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Regularizer;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.SGD;
import dev.jacobi.regularizers.spectral.ConvBoundPenalty;
import dev.jacobi.regularizers.spectral.ConvSpectralNorm;
import dev.jacobi.regularizers.spectral.SpectralPenalty;
import java.util.Arrays;

/**
 * Manual timing (not a test): one SGD step of two MNIST CNNs, plain and with each spectral penalty (weight 1e-3),
 * and {@link ConvSpectralNorm#exactCircular} of a {@code [64, 64, 3, 3]} kernel at 32×32. The CNNs are a small one
 * (conv 1→16, pool, conv 16→32, pool, linear 1568→10; batch 64) and the CNN of the training-loop benchmark (conv
 * 1→32, pool, conv 32→64, pool, linear 3136→128→10; batch 128). Steps of all variants are interleaved, so that drift
 * of the machine's speed hits them alike; each line gives the median and its ratio to the plain step. Run after
 * {@code mvn -o -q test-compile -pl core,datasets,autodiff,regularizers}:
 * {@code java --add-modules jdk.incubator.vector -cp core/target/classes:autodiff/target/classes:regularizers/target/classes:regularizers/target/test-classes dev.jacobi.regularizers.PenaltyTiming [steps]}.
 */
final class PenaltyTiming {
    private PenaltyTiming() {
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        for (boolean big : new boolean[] {false, true}) {
            int batchSize = big ? 128 : 64;
            int c1 = big ? 32 : 16;
            int c2 = big ? 64 : 32;
            Rng rng = new Rng(1);
            Batch batch = new Batch(Tensor.rand(rng, batchSize, 1, 28, 28), new int[batchSize]);
            Regularizer[] regs = {null, new ConvBoundPenalty(1, 2),
                new SpectralPenalty(SpectralPenalty.Estimate.RESHAPED, 1, 3),
                new SpectralPenalty(SpectralPenalty.Estimate.OPERATOR, 1, 4),
                new SpectralPenalty(SpectralPenalty.Estimate.FANTASTIC_FOUR, 1, 5)};
            Sequential[] models = new Sequential[regs.length];
            SGD[] opts = new SGD[regs.length];
            for (int r = 0; r < regs.length; r++) {
                Rng init = new Rng(7);
                models[r] = big
                        ? new Sequential(new Conv2d(1, c1, 3, 1, 1, init), new ReLU(), new MaxPool2d(2),
                                new Conv2d(c1, c2, 3, 1, 1, init), new ReLU(), new MaxPool2d(2), new Flatten(),
                                new Linear(c2 * 7 * 7, 128, init), new ReLU(), new Linear(128, 10, init))
                        : new Sequential(new Conv2d(1, c1, 3, 1, 1, init), new ReLU(), new MaxPool2d(2),
                                new Conv2d(c1, c2, 3, 1, 1, init), new ReLU(), new MaxPool2d(2), new Flatten(),
                                new Linear(c2 * 7 * 7, 10, init));
                opts[r] = new SGD(models[r].parameters(), 0.01);
            }
            double[][] ms = new double[regs.length][steps];
            for (int s = -steps / 2; s < steps; s++) { // negative steps warm up the JIT
                for (int r = 0; r < regs.length; r++) {
                    long t0 = System.nanoTime();
                    models[r].zeroGrad();
                    Var loss = Losses.crossEntropy(models[r].forward(batch.x()), batch.y());
                    if (regs[r] != null) {
                        loss = loss.add(regs[r].penalty(models[r], batch, Math.max(0, s)).mul(1e-3));
                    }
                    loss.backward();
                    opts[r].step();
                    if (s >= 0) {
                        ms[r][s] = (System.nanoTime() - t0) / 1e6;
                    }
                }
            }
            System.out.printf("%s CNN, batch %d:%n", big ? "training-loop benchmark" : "small", batchSize);
            double plain = 0;
            for (int r = 0; r < regs.length; r++) {
                Arrays.sort(ms[r]);
                double median = ms[r][steps / 2];
                plain = r == 0 ? median : plain;
                System.out.printf("  %-28s median %7.2f ms, min %7.2f ms, %.3fx plain%n",
                        regs[r] == null ? "plain step" : regs[r].name(), median, ms[r][0], median / plain);
            }
        }
        Tensor k = Tensor.randn(new Rng(42), 64, 64, 3, 3);
        double[] ms = new double[30];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            ConvSpectralNorm.exactCircular(k, 32, 32);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf("exactCircular [64,64,3,3] at 32x32: median %.2f ms, min %.2f ms%n", ms[15], ms[0]);
    }
}
