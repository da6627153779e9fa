package dev.jacobi.bench.jmh;

import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
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
 * Square float32 GEMM {@code C = A·B} at n×n×n, on 1 and 2 threads. GFLOP/s = 2n³ / (time per op). The training
 * shapes ({@code A·B}, {@code Aᵀ·B}, {@code A·Bᵀ}) are in {@link GemmShapesBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class GemmBench {
    /** Matrix size. */
    @Param({"64", "128", "192", "256", "384", "512", "768", "1024", "2048"})
    public int n;
    /** Kernel threads. */
    @Param({"1", "2"})
    public int threads;

    private Tensor a;
    private Tensor b;

    /** Makes the operands. */
    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        Rng rng = new Rng(1);
        a = Tensor.randn(rng, n, n);
        b = Tensor.randn(rng, n, n);
    }

    /** One product. */
    @Benchmark
    public Tensor matmul() {
        return a.matmul(b);
    }
}
