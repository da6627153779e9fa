package dev.jacobi.bench.jmh;

import dev.jacobi.bench.Compare;
import dev.jacobi.core.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * One SGD step (forward, backward, momentum update) of the comparison's MLP or CNN on a batch of 128, as the
 * {@code mlp_sgd_step}, {@code cnn_sgd_step} and {@code cnn_bn_sgd_step} rows of {@code compare.py}. Run with
 * {@code -prof gc} for the bytes allocated per step ({@code gc.alloc.rate.norm}).
 */
public class StepBench extends MicroBench {
    /**
     * {@code cnn}: conv(1→32)-pool-conv(32→64)-pool-linear-linear; {@code cnn_bn}: the same with a BatchNorm2d after
     * each convolution; {@code mlp}: 784-512-512-10.
     */
    @Param({"cnn", "cnn_bn", "mlp"})
    public String model;

    private Compare.StepSetup s;

    /** Builds the model, optimiser and batch. */
    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        s = new Compare.StepSetup(model);
    }

    /** One training step. */
    @Benchmark
    public Object sgdStep() {
        return s.trainer.step(s.batch);
    }
}
