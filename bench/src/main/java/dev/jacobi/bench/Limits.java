package dev.jacobi.bench;

import dev.jacobi.bench.Compare.Workload;
import dev.jacobi.core.Parallel;
import dev.jacobi.core.kernel.Alignment;
import dev.jacobi.core.kernel.Workers;
import java.util.List;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's limits, measured with plain Vector API loops on as many threads as the kernels use, so that
 * {@code RESULTS.md} can show each comparison row as a fraction of what the hardware allows: a STREAM-style copy
 * ({@code b = a}) and triad ({@code a = b + 3c}) of 4M floats into arrays allocated once, from the first index on
 * a cache line as the element-wise kernels' vector loops start (the bandwidth an element-wise op of that size can
 * reach; 32 and 48 MB touched against a 32 MB L3 here) and the peak rate of fused multiply-adds on vectors held in
 * registers (the compute any GEMM or convolution can reach).
 */
final class Limits {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Independent FMA chains per thread: enough to cover the FMA latency on two FMA units. */
    private static final int CHAINS = 10;
    private static final int FMA_ITERS = 1 << 21;
    static volatile float sink;

    private Limits() {
    }

    static void add(List<Workload> w) {
        int n = 1 << 22;
        int threads = Parallel.threads();
        int p = Alignment.FLOAT_PAD;
        w.add(new Workload("limit_copy_4M", 0, () -> {
            float[] a = filled(p + n);
            float[] b = new float[p + n];
            return () -> onThreads(threads, t -> {
                // slices of whole vectors (n is a multiple of threads × lanes)
                int hi = p + n / threads * (t + 1);
                for (int i = p + n / threads * t; i < hi; i += F.length()) {
                    FloatVector.fromArray(F, a, i).intoArray(b, i);
                }
            });
        }));
        w.add(new Workload("limit_triad_4M", 0, () -> {
            float[] a = new float[p + n];
            float[] b = filled(p + n);
            float[] c = filled(p + n);
            FloatVector three = FloatVector.broadcast(F, 3f);
            return () -> onThreads(threads, t -> {
                int hi = p + n / threads * (t + 1);
                for (int i = p + n / threads * t; i < hi; i += F.length()) {
                    FloatVector.fromArray(F, c, i).fma(three, FloatVector.fromArray(F, b, i)).intoArray(a, i);
                }
            });
        }));
        double flops = 2.0 * threads * FMA_ITERS * CHAINS * F.length();
        w.add(new Workload("limit_fma_peak", flops, () -> () -> onThreads(threads, t -> sink = fmaChains())));
    }

    private static float[] filled(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i % 7;
        }
        return a;
    }

    /** {@value #CHAINS} chains of {@code x ← x·m + c} on vectors, {@value #FMA_ITERS} steps each. */
    private static float fmaChains() {
        FloatVector m = FloatVector.broadcast(F, 0.999f);
        FloatVector c = FloatVector.broadcast(F, 1e-3f);
        FloatVector x0 = FloatVector.broadcast(F, 1f);
        FloatVector x1 = x0.add(1);
        FloatVector x2 = x0.add(2);
        FloatVector x3 = x0.add(3);
        FloatVector x4 = x0.add(4);
        FloatVector x5 = x0.add(5);
        FloatVector x6 = x0.add(6);
        FloatVector x7 = x0.add(7);
        FloatVector x8 = x0.add(8);
        FloatVector x9 = x0.add(9);
        for (int i = 0; i < FMA_ITERS; i++) {
            x0 = x0.fma(m, c);
            x1 = x1.fma(m, c);
            x2 = x2.fma(m, c);
            x3 = x3.fma(m, c);
            x4 = x4.fma(m, c);
            x5 = x5.fma(m, c);
            x6 = x6.fma(m, c);
            x7 = x7.fma(m, c);
            x8 = x8.fma(m, c);
            x9 = x9.fma(m, c);
        }
        return x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7).add(x8).add(x9).lane(0);
    }

    /**
     * Runs {@code body(t)} for each of {@code threads} threads, {@code t = 0} on the caller, on the kernels' own
     * worker threads ({@link Workers}), so that a limit row hands work over as the kernels do (with a pool of parked
     * threads, woken on each call, the 4M copy took about twice as long, and longer than the kernels' own copy).
     */
    private static void onThreads(int threads, IntConsumer body) {
        Workers.forRange(threads, 1, (t0, t1) -> {
            for (int t = t0; t < t1; t++) {
                body.accept(t);
            }
        });
    }
}
