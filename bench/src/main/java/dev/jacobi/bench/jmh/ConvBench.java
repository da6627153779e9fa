package dev.jacobi.bench.jmh;

import dev.jacobi.core.Conv;
import dev.jacobi.core.Conv2dSpec;
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
 * {@code conv2d} forward, and forward plus both adjoints (input and weight gradient), padding 1. Workloads:
 * {@code ref} = x [64,32,28,28], w [64,32,3,3] (the reference); {@code mnist} = [128,1,28,28], [32,1,3,3] (an MNIST
 * first layer); {@code c64} = [32,64,32,32], [64,64,3,3].
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:ObjectAlignmentInBytes=64"})
public class ConvBench {
    /** Workload name. */
    @Param({"ref", "mnist", "c64"})
    public String workload;
    /** Kernel threads. */
    @Param({"2"})
    public int threads;

    private final Conv2dSpec spec = Conv2dSpec.of(1, 1);
    private Tensor x;
    private Tensor w;
    private Tensor gy;

    /** Makes the operands. */
    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        int[][] s = switch (workload) {
            case "ref" -> new int[][] {{64, 32, 28, 28}, {64, 32, 3, 3}};
            case "mnist" -> new int[][] {{128, 1, 28, 28}, {32, 1, 3, 3}};
            case "c64" -> new int[][] {{32, 64, 32, 32}, {64, 64, 3, 3}};
            default -> throw new IllegalArgumentException("ConvBench: unknown workload " + workload);
        };
        Rng rng = new Rng(1);
        x = Tensor.randn(rng, s[0]);
        w = Tensor.randn(rng, s[1]);
        gy = Tensor.randn(rng, Conv.conv2d(x, w, null, spec).shape());
    }

    /** Forward only. */
    @Benchmark
    public Tensor forward() {
        return Conv.conv2d(x, w, null, spec);
    }

    /** Forward, then both adjoints by {@link Conv#conv2dBackward}: one training step of the layer. */
    @Benchmark
    public Tensor[] forwardBackward() {
        Conv.conv2d(x, w, null, spec);
        return Conv.conv2dBackward(x, gy, w, spec);
    }
}
