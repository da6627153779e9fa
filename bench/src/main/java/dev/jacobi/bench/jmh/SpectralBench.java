package dev.jacobi.bench.jmh;

import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.ConvSpectra;
import dev.jacobi.core.linalg.Fft;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The exact spectral norm of a circular convolution with a {@code [64,64,3,3]} kernel on 32×32 inputs: the padded
 * 2-D FFT of the kernel, the per-frequency spectrum, and the largest singular value over the 1024 per-frequency
 * 64×64 complex matrices (PyTorch's equivalent is {@code fft2} then {@code matrix_norm(ord=2)}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:ObjectAlignmentInBytes=64"})
public class SpectralBench {
    private Tensor kernel;

    /** Makes the kernel. */
    @Setup
    public void setup() {
        Parallel.setThreads(2);
        kernel = Tensor.randn(new Rng(5), 64, 64, 3, 3);
    }

    /** Zero-padded FFT of the kernel over its spatial dims. */
    @Benchmark
    public Fft.Complex fft2() {
        return Fft.fft2(kernel, 32, 32);
    }

    /** The per-frequency matrices by a direct DFT over the 9 taps. */
    @Benchmark
    public Fft.Complex kernelSpectrum() {
        return ConvSpectra.kernelSpectrum(kernel, 32, 32);
    }

    /** The exact operator norm. */
    @Benchmark
    public double operatorNorm() {
        return ConvSpectra.operatorNorm(kernel, 32, 32);
    }
}
