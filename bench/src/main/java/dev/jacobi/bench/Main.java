package dev.jacobi.bench;

import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Simd;
import dev.jacobi.core.Tensor;

/** Entry point of the {@code jacobi} command-line tool. */
public final class Main {
    private Main() {
    }

    /** Runs the tool; with no arguments, the main job. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the tool and returns its exit code. */
    public static int run(String[] args) {
        if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help"))) {
            System.out.println("usage: jacobi                  system information and a kernel self-check");
            System.out.println("       jacobi bench [JMH args] JMH benchmarks, e.g. jacobi bench GemmBench -p n=1024");
            return 0;
        }
        if (args.length > 0 && args[0].equals("bench")) {
            try {
                org.openjdk.jmh.Main.main(java.util.Arrays.copyOfRange(args, 1, args.length));
                return 0;
            } catch (Exception e) {
                System.err.println("jacobi bench: " + e.getMessage());
                return 1;
            }
        }
        return selfCheck();
    }

    /** Prints the JDK, SIMD path, threads and a GEMM self-check with its GFLOP/s; 0 when the check passes. */
    static int selfCheck() {
        System.out.println("Jacobi " + version());
        System.out.println("JDK      " + System.getProperty("java.vm.name") + " " + Runtime.version());
        System.out.println("SIMD     " + Simd.describe());
        System.out.println("threads  " + Parallel.threads() + " of " + Runtime.getRuntime().availableProcessors()
                + " cores");
        int n = 512;
        Rng rng = new Rng(42);
        Tensor a = Tensor.randn(rng, n, n);
        Tensor b = Tensor.randn(rng, n, n);
        Tensor c = a.matmul(b);
        Tensor ref = a.to(dev.jacobi.core.DType.FLOAT64).matmul(b.to(dev.jacobi.core.DType.FLOAT64));
        double err = c.to(dev.jacobi.core.DType.FLOAT64).sub(ref).abs().max().item();
        double scale = ref.abs().max().item();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            a.matmul(b);
            best = Math.min(best, System.nanoTime() - t0);
        }
        double gflops = 2.0 * n * n * n / best;
        boolean ok = err <= 1e-4 * scale * Math.sqrt(n);
        System.out.printf("check    matmul %dx%d float32 vs float64: max error %.2e (%s), %.1f GFLOP/s%n",
                n, n, err, ok ? "ok" : "FAILED", gflops);
        return ok ? 0 : 1;
    }

    private static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
