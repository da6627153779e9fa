package dev.jacobi.core;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.Workers;

/**
 * Prints the best of 15 timings (wall clock; CPU time of the calling thread with {@code -Djacobi.threads=1}) of {@link Conv#conv2d}, {@link Conv#conv2dInput} and {@link Conv#conv2dWeight} (float32) on
 * the workloads of {@code bench Compare} ({@code both} as first argument: the lowering path, then the shifted-rows
 * path); not a test. Run with
 * {@code java --add-modules jdk.incubator.vector -cp core/target/classes:core/target/test-classes dev.jacobi.core.ConvTiming}.
 */
public final class ConvTiming {
    private ConvTiming() {
    }

    /**
     * Times the workloads.
     *
     * @param args {@code both} to time both float32 paths
     */
    public static void main(String[] args) {
        System.out.println("kernels: " + Backend.describe() + ", threads: " + Workers.threads());
        boolean both = args.length > 0 && args[0].equals("both");
        for (boolean path : both ? new boolean[] {false, true} : new boolean[] {Conv.shiftedPath()}) {
            Conv.setShiftedPath(path);
            System.out.println("shifted rows path: " + path);
            time("ref x=[64,32,28,28] w=[64,32,3,3] pad 1", new int[] {64, 32, 28, 28}, new int[] {64, 32, 3, 3}, 1);
            time("mnist x=[128,1,28,28] w=[32,1,3,3] pad 1", new int[] {128, 1, 28, 28}, new int[] {32, 1, 3, 3}, 1);
            time("c64 x=[32,64,32,32] w=[64,64,3,3] pad 1", new int[] {32, 64, 32, 32}, new int[] {64, 64, 3, 3}, 1);
        }
    }

    private static void time(String name, int[] xs, int[] ws, int pad) {
        Rng rng = new Rng(1);
        Tensor x = Tensor.randn(rng, xs);
        Tensor w = Tensor.randn(rng, ws);
        Conv2dSpec s = Conv2dSpec.of(1, pad);
        Tensor y = Conv.conv2d(x, w, null, s);
        Tensor gy = Tensor.randn(rng, y.shape());
        double fwd = best(() -> Conv.conv2d(x, w, null, s));
        double in = best(() -> Conv.conv2dInput(gy, w, xs[2], xs[3], s));
        double wt = best(() -> Conv.conv2dWeight(x, gy, ws[2], ws[3], s));
        System.out.printf("%s: fwd %.2f ms, input-adjoint %.2f ms, weight-adjoint %.2f ms, total %.2f ms%n",
                name, fwd, in, wt, fwd + in + wt);
    }

    private static double best(Runnable r) {
        double[] t = new double[15];
        for (int i = 0; i < 5; i++) {
            r.run();
        }
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        boolean cpu = Workers.threads() == 1; // then all work runs on this thread: CPU time resists a busy machine
        for (int i = 0; i < t.length; i++) {
            long t0 = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            r.run();
            t[i] = ((cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[0]; // the minimum: the machine may be shared
    }
}
