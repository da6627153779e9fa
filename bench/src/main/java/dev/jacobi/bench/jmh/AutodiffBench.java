package dev.jacobi.bench.jmh;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.bench.Compare;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Parallel;
import dev.jacobi.core.Tensor;
import java.util.List;
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
 * Autodiff on an MLP 784-512-512-10 (ReLU), batch 128, softmax cross-entropy. Ratios to report: {@code hvp / grad}
 * (target ≤ 2.5), {@code forwardNoGraph / forwardTensor} (target {@literal <} 1.05), and {@code inputHessianPower10} against
 * PyTorch in {@code bench/compare.py}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:ObjectAlignmentInBytes=64"})
public class AutodiffBench {
    private Compare.Mlp m;

    /** Makes the network and data. */
    @Setup
    public void setup() {
        Parallel.setThreads(2);
        m = new Compare.Mlp();
    }

    /** The logits from Tensor kernels directly: the baseline of the no-graph overhead. */
    @Benchmark
    public Tensor forwardTensor() {
        return m.logitsTensor();
    }

    /** The same logits through Var ops in no-graph mode. */
    @Benchmark
    public Var forwardNoGraph() {
        try (var ignored = Autodiff.noGrad()) {
            return m.logits(Var.of(m.x));
        }
    }

    /** Gradient of the loss with respect to the parameters. */
    @Benchmark
    public List<Var> grad() {
        return m.grad();
    }

    /** Hessian-vector product with respect to the parameters (reverse over reverse). */
    @Benchmark
    public List<Var> hvp() {
        return m.hvp();
    }

    /** Ten steps of power iteration on the input Hessian of the loss. */
    @Benchmark
    public Tensor inputHessianPower10() {
        Var xv = Var.param(m.x);
        Var gx = Autodiff.grad(m.loss(xv), List.of(xv), null, true).get(0);
        Tensor d = m.xdir;
        for (int it = 0; it < 10; it++) {
            Tensor hv = Autodiff.grad(gx.mul(d).sum(), List.of(xv), null, false).get(0).value();
            d = hv.div(hv.norm(2).item() + 1e-12);
        }
        return d;
    }
}
