package dev.jacobi.bench.jmh;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.ConvSpectra;
import dev.jacobi.core.linalg.GramIteration;
import dev.jacobi.regularizers.spectral.ConvSpectralNorm;
import dev.jacobi.regularizers.spectral.GramBound;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A convolution's spectral norm four ways (issue #28): the Gram-iteration bound after 6 steps
 * ({@link GramIteration#circular}), Singla and Feizi's four bounds ({@link ConvSpectralNorm#fantasticFour}), the
 * zero-padding bound and the exact circular norm ({@link ConvSpectra#operatorNorm}), for a {@code [c, c, 3, 3]}
 * kernel on {@code n×n} inputs, 16 to 256 channels and 16×16 to 64×64 inputs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:ObjectAlignmentInBytes=64"})
public class GramBench {
    /** Channels in and out. */
    @Param({"16", "64", "256"})
    public int channels;

    /** Input height and width. */
    @Param({"16", "32", "64"})
    public int n;

    private Tensor kernel;

    /** Makes the kernel. */
    @Setup
    public void setup() {
        Parallel.setThreads(2);
        kernel = Tensor.randn(new Rng(28), channels, channels, 3, 3);
    }

    /** The Gram-iteration bound, 6 steps. */
    @Benchmark
    public double gram6() {
        return GramIteration.circular(kernel, n, n, 6)[6];
    }

    /** Singla and Feizi's bound. */
    @Benchmark
    public double fantasticFour() {
        return ConvSpectralNorm.fantasticFour(kernel).bound();
    }

    /**
     * The zero-padding bound of Delattre et al. 2024 ({@link GramBound#zeroPadding}), 2 steps (each doubles the
     * correlated kernel's width; its cost does not depend on {@code n}), in float32 as a training penalty would run
     * it.
     */
    @Benchmark
    public double zeroPadding2() {
        try (var ignored = Autodiff.noGrad()) {
            return GramBound.zeroPadding(Var.of(kernel), 2).value().item();
        }
    }

    /** The exact circular norm. */
    @Benchmark
    public double exact() {
        return ConvSpectra.operatorNorm(kernel, n, n);
    }
}
