package dev.jacobi.bench;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Parallel;
import java.util.Arrays;
import java.util.Locale;

/**
 * Two ratios of the autodiff issue measured in pairs on the MLP 784-512-512-10 of {@link Compare.Mlp}: no-graph mode
 * over calling the {@code Tensor} kernels directly (the forward pass once through {@code Tensor} ops and once
 * through {@code Var} ops inside {@link Autodiff#noGrad()}; target below 1.05), and the Hessian-vector product over
 * the gradient with respect to the parameters (target at most 2.5). The two halves of a pair run back to back,
 * alternating which goes first, for the given number of seconds after a warm-up, so a slow spell of the machine slows
 * both; the median of the per-pair ratios (with its 95% confidence interval from order statistics) is far steadier
 * than the ratio of two separate benchmarks, whose error bars on this 2-core machine exceed the 5% being measured.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp jacobi.jar dev.jacobi.bench.Overhead [threads]
 * [seconds]}.
 */
public final class Overhead {
    private Overhead() {
    }

    /**
     * Runs both kinds of pairs and prints the medians and the ratios.
     *
     * @param args optional thread count (default 2) and measuring seconds (default 10)
     */
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        if (threads < 1 || !(seconds > 0)) {
            throw new IllegalArgumentException("Overhead: need threads >= 1 and seconds > 0, got " + threads + ", "
                    + seconds);
        }
        Parallel.setThreads(threads);
        Compare.Mlp m = new Compare.Mlp();
        report("MLP forward, no-graph Var / Tensor", m::logitsTensor, () -> {
            try (var ignored = Autodiff.noGrad()) {
                m.logits(Var.of(m.x));
            }
        }, threads, seconds);
        report("MLP parameters, HVP / gradient", m::grad, m::hvp, threads, seconds);
    }

    private static void report(String what, Runnable a, Runnable b, int threads, double seconds) {
        pairs(a, b, Math.min(3, seconds), new double[1][]); // warm-up
        double[][] t = new double[2][];
        double[] ratio = pairs(a, b, seconds, t);
        int n = ratio.length;
        // ranks of a 95% interval for the median: n/2 ± 1.96·sqrt(n)/2
        int lo = Math.max(0, (int) Math.floor(n / 2.0 - 0.98 * Math.sqrt(n)));
        int hi = Math.min(n - 1, (int) Math.ceil(n / 2.0 + 0.98 * Math.sqrt(n)));
        System.out.printf(Locale.ROOT, "%s, %d threads, %d pairs: medians %.3f and %.3f ms; per-pair ratio median"
                + " %.3f (95%% interval %.3f-%.3f)%n", what, threads, n, t[0][n / 2], t[1][n / 2], ratio[n / 2],
                ratio[lo], ratio[hi]);
    }

    /** Alternating pairs for {@code seconds}; returns the sorted ratios b/a and puts the sorted times in {@code t}. */
    private static double[] pairs(Runnable a, Runnable b, double seconds, double[][] t) {
        double[] ta = new double[1024];
        double[] tb = new double[1024];
        int n = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            if (n == ta.length) {
                ta = Arrays.copyOf(ta, 2 * n);
                tb = Arrays.copyOf(tb, 2 * n);
            }
            boolean aFirst = n % 2 == 0;
            long t0 = System.nanoTime();
            (aFirst ? a : b).run();
            long t1 = System.nanoTime();
            (aFirst ? b : a).run();
            long t2 = System.nanoTime();
            ta[n] = aFirst ? t1 - t0 : t2 - t1;
            tb[n] = aFirst ? t2 - t1 : t1 - t0;
            n++;
        }
        double[] ratio = new double[n];
        for (int i = 0; i < n; i++) {
            ratio[i] = tb[i] / ta[i];
        }
        Arrays.sort(ratio);
        if (t.length == 2) {
            t[0] = sortedMillis(ta, n);
            t[1] = sortedMillis(tb, n);
        }
        return ratio;
    }

    private static double[] sortedMillis(double[] nanos, int n) {
        double[] s = Arrays.copyOf(nanos, n);
        for (int i = 0; i < n; i++) {
            s[i] /= 1e6;
        }
        Arrays.sort(s);
        return s;
    }
}
