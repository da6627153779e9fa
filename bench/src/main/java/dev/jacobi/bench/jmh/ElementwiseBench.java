package dev.jacobi.bench.jmh;

import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Memory-bound element-wise ops and reductions against a plain {@code float[]} copy of the same size, which is the
 * bandwidth ceiling. GB/s = bytes read and written / time: 8n for copy, unary ops and reductions' reads (4n), 12n
 * for binary ops. The output is freshly allocated by every op, as in real use, and so is the copy's.
 */
public class ElementwiseBench extends MicroBench {
    /** Element count (4M floats = 16 MiB, beyond the caches; 4097 is an awkward small size). */
    @Param({"4194304", "4097"})
    public int n;

    private float[] raw;
    private Tensor a;
    private Tensor b;

    /** Makes the operands. */
    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        Rng rng = new Rng(1);
        a = Tensor.randn(rng, n);
        b = Tensor.randn(rng, n);
        raw = a.toFloatArray();
    }

    /** The reference: {@code float[].clone()}. */
    @Benchmark
    public float[] copy() {
        return raw.clone();
    }

    /** {@code a + b}. */
    @Benchmark
    public Tensor add() {
        return a.add(b);
    }

    /** {@code a · b}. */
    @Benchmark
    public Tensor mul() {
        return a.mul(b);
    }

    /** {@code relu(a)}. */
    @Benchmark
    public Tensor relu() {
        return a.relu();
    }

    /** {@code exp(a)}. */
    @Benchmark
    public Tensor exp() {
        return a.exp();
    }

    /** {@code Σ a}. */
    @Benchmark
    public Tensor sum() {
        return a.sum();
    }
}
