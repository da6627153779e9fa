package dev.jacobi.core.linalg;

import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;

/**
 * Manual timing (not a test): exact spectral norm of a 3×3 convolution with 64 in/out channels on a 32×32 input,
 * as {@code fft2} of the zero-padded kernel followed by the largest singular value of the 1024 per-frequency 64×64
 * complex matrices. Run: {@code java --add-modules jdk.incubator.vector -cp core/target/classes:core/target/test-classes
 * dev.jacobi.core.linalg.SpectralNormTiming}.
 */
final class SpectralNormTiming {
    private SpectralNormTiming() {
    }

    public static void main(String[] args) {
        Tensor k = Tensor.randn(new Rng(42), 64, 64, 3, 3);
        for (int rep = 0; rep < 8; rep++) {
            long t0 = System.nanoTime();
            Fft.Complex z = Fft.fft2(k, 32, 32);
            long t1 = System.nanoTime();
            Tensor norms = Linalg.spectralNormComplexBatch(z.re().permute(2, 3, 0, 1), z.im().permute(2, 3, 0, 1));
            double sigma = norms.max().item();
            long t2 = System.nanoTime();
            System.out.printf("fft2 %.1f ms, 1024 x 64x64 power iteration %.1f ms, total %.1f ms, sigma_max %.6f%n",
                    (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t2 - t0) / 1e6, sigma);
        }
        long t0 = System.nanoTime();
        Fft.Complex z = Fft.fft2(k, 32, 32);
        double exact = 0;
        for (int u = 0; u < 32; u++) {
            for (int v = 0; v < 32; v++) {
                exact = Math.max(exact, Linalg.svdvalsComplex(
                        z.re().select(2, u).select(2, v), z.im().select(2, u).select(2, v)).get(0));
            }
        }
        System.out.printf("exact via svdvalsComplex (Jacobi on 128x128 embeddings): %.1f ms, sigma_max %.6f%n",
                (System.nanoTime() - t0) / 1e6, exact);
    }
}
