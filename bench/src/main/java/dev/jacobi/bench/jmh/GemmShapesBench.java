package dev.jacobi.bench.jmh;

import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The three GEMM shapes of training a dense layer with batch m, fan-in k and fan-out n: forward {@code A·B}
 * ({@code [m,k]·[k,n]}), weight gradient {@code Aᵀ·B} ({@code [m,k]ᵀ·[m,n]}) and input gradient {@code A·Bᵀ}
 * ({@code [m,n]·[k,n]ᵀ}). Transposed operands are views, read in place.
 */
public class GemmShapesBench extends MicroBench {
    /** {@code m x k x n}. */
    @Param({"128x784x512", "128x512x512"})
    public String shape;

    private Tensor x;
    private Tensor w;
    private Tensor gy;

    /** Makes the operands. */
    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        String[] p = shape.split("x");
        int m = Integer.parseInt(p[0]);
        int k = Integer.parseInt(p[1]);
        int n = Integer.parseInt(p[2]);
        Rng rng = new Rng(1);
        x = Tensor.randn(rng, m, k);
        w = Tensor.randn(rng, k, n);
        gy = Tensor.randn(rng, m, n);
    }

    /** Forward: {@code [m,k]·[k,n]}. */
    @Benchmark
    public Tensor ab() {
        return x.matmul(w);
    }

    /** Weight gradient: {@code [m,k]ᵀ·[m,n]}. */
    @Benchmark
    public Tensor atb() {
        return x.t().matmul(gy);
    }

    /** Input gradient: {@code [m,n]·[k,n]ᵀ}. */
    @Benchmark
    public Tensor abt() {
        return gy.matmul(w.t());
    }
}
