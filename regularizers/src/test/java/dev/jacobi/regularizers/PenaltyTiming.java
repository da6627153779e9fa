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
import java.util.Arrays;

/**
 * Manual timing (not a test): one SGD step of an MNIST CNN (conv 1→16, pool, conv 16→32, pool, linear 1568→10; batch
 * 64, float32) plain and with each spectral penalty, and {@link ConvSpectralNorm#exactCircular} of a
 * {@code [64, 64, 3, 3]} kernel at 32×32. Run after {@code mvn -o -q test-compile -pl core,autodiff,regularizers}:
 * {@code java --add-modules jdk.incubator.vector -cp core/target/classes:autodiff/target/classes:regularizers/target/classes:regularizers/target/test-classes dev.jacobi.regularizers.PenaltyTiming [steps]}.
 */
final class PenaltyTiming {
    private PenaltyTiming() {
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        Rng rng = new Rng(1);
        Batch batch = new Batch(Tensor.rand(rng, 64, 1, 28, 28), new int[64]);
        Regularizer[] regs = {null, new ConvBoundPenalty(1, 2), new SpectralPenalty(SpectralPenalty.Estimate.RESHAPED, 1, 3),
            new SpectralPenalty(SpectralPenalty.Estimate.OPERATOR, 1, 4),
            new SpectralPenalty(SpectralPenalty.Estimate.FANTASTIC_FOUR, 1, 5)};
        for (int round = 0; round < 2; round++) { // the first round warms up the JIT
            for (Regularizer reg : regs) {
                Rng init = new Rng(7);
                Sequential model = new Sequential(new Conv2d(1, 16, 3, 1, 1, init), new ReLU(), new MaxPool2d(2),
                        new Conv2d(16, 32, 3, 1, 1, init), new ReLU(), new MaxPool2d(2), new Flatten(),
                        new Linear(32 * 7 * 7, 10, init));
                SGD opt = new SGD(model.parameters(), 0.01);
                double[] ms = new double[steps];
                for (int s = 0; s < steps; s++) {
                    long t0 = System.nanoTime();
                    model.zeroGrad();
                    Var loss = Losses.crossEntropy(model.forward(batch.x()), batch.y());
                    if (reg != null) {
                        loss = loss.add(reg.penalty(model, batch, s).mul(1e-3));
                    }
                    loss.backward();
                    opt.step();
                    ms[s] = (System.nanoTime() - t0) / 1e6;
                }
                Arrays.sort(ms);
                if (round == 1) {
                    System.out.printf("%-28s median %.2f ms, min %.2f ms%n", reg == null ? "plain step" : reg.name(),
                            ms[steps / 2], ms[0]);
                }
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
