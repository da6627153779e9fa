package dev.jacobi.core.linalg;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.kernel.Workers;

/**
 * Manual timing (not a test): {@link ConvSpectra#operatorNorm} of a random {@code [64, 64, 3, 3]} kernel on a 32×32
 * input; with a second argument {@code check}, also against the exact maximum over frequencies of
 * {@link Linalg#svdvalsComplex} (slow). Run after
 * {@code mvn -o -q test-compile -pl core}: {@code java --add-modules jdk.incubator.vector
 * -cp core/target/classes:core/target/test-classes dev.jacobi.core.linalg.ConvSpectraTiming [reps [check]]}.
 */
final class ConvSpectraTiming {
    private ConvSpectraTiming() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Tensor k = Tensor.randn(new Rng(42), 64, 64, 3, 3);
        double[] times = new double[reps];
        double sigma = 0;
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = 0;
        for (int rep = 0; rep < reps; rep++) {
            if (rep == reps / 2) {
                cpu0 = os.getProcessCpuTime();
            }
            long t0 = System.nanoTime();
            sigma = ConvSpectra.operatorNorm(k, 32, 32);
            times[rep] = (System.nanoTime() - t0) / 1e6;
        }
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e6 / (reps - reps / 2);
        double[] sorted = times.clone();
        java.util.Arrays.sort(sorted);
        System.out.printf("java %s, %d threads: operatorNorm [64,64,3,3] at 32x32: first %.1f ms, min %.1f ms,"
                + " median %.1f ms, process CPU %.1f ms per call (second half), sigma_max %.9f%n",
                System.getProperty("java.version"), Workers.threads(), times[0], sorted[0], sorted[reps / 2], cpu, sigma);
        if (args.length < 2 || !args[1].equals("check")) {
            return;
        }
        long t0 = System.nanoTime();
        Fft.Complex z = ConvSpectra.kernelSpectrum(k.to(DType.FLOAT64), 32, 32);
        double exact = 0;
        for (int u = 0; u < 32; u++) {
            for (int v = 0; v < 32; v++) {
                exact = Math.max(exact, Linalg.svdvalsComplex(
                        z.re().select(0, u).select(0, v), z.im().select(0, u).select(0, v)).get(0));
            }
        }
        System.out.printf("reference: max of svdvalsComplex over 1024 frequencies %.1f ms, sigma_max %.9f,"
                + " relative difference %.2e%n", (System.nanoTime() - t0) / 1e6, exact, Math.abs(sigma - exact) / exact);
    }
}
