package dev.jacobi.bench.jmh;

import dev.jacobi.bench.Compare;
import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * BatchNorm2d(32) then ReLU on a {@code [64, 32, 28, 28]} activation, forward and backward, as the
 * {@code bn_relu_fwdbwd} row of {@code compare.py}: {@code fused} as {@code Sequential} runs it (one {@code addRelu}),
 * {@code layers} one layer at a time, so that one run shows what the fusion saves in time and, with
 * {@code -prof gc}, in bytes allocated per call.
 */
public class LayerBench extends MicroBench {
    /** {@code fused} or {@code layers}. */
    @Param({"fused", "layers"})
    public String form;

    private Compare.BnRelu b;

    /** Builds the layers and data. */
    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        b = new Compare.BnRelu(Tensor.randn(new Rng(3), 64, 32, 28, 28));
    }

    /** One forward and backward. */
    @Benchmark
    public double bnReluFwdBwd() {
        return b.run(form.equals("fused"));
    }
}
