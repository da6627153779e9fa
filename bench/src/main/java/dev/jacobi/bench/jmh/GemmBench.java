package dev.jacobi.bench.jmh;

import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Square float32 GEMM {@code C = A·B} at n×n×n, on 1 and 2 threads. GFLOP/s = 2n³ / (time per op). The training
 * shapes ({@code A·B}, {@code Aᵀ·B}, {@code A·Bᵀ}) are in {@link GemmShapesBench}.
 */
public class GemmBench extends MicroBench {
    /** Matrix size. */
    @Param({"64", "128", "192", "256", "384", "512", "768", "1024", "2048"})
    public int n;

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
