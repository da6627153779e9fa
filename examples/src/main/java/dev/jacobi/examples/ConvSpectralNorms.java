package dev.jacobi.examples;

import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.regularizers.spectral.ConvSpectralNorm;

/**
 * The spectral norm of a convolution (its largest singular value as a linear map on images), exactly for circular
 * padding from the FFT of the kernel, and Singla and Feizi's four bounds, which need only the kernel.
 */
public final class ConvSpectralNorms {
    private ConvSpectralNorms() {
    }

    /** {@code --tiny}: a 16×16×3×3 kernel on 16×16 images instead of 64×64×3×3 on 32×32. */
    public static void main(String[] args) {
        boolean tiny = Examples.tiny(args);
        int c = tiny ? 16 : 64;
        int n = tiny ? 16 : 32;
        Tensor kernel = Tensor.randn(new Rng(4), c, c, 3, 3).mul(0.1);
        double exact = ConvSpectralNorm.exactCircular(kernel, n, n);
        ConvSpectralNorm.FourBounds b = ConvSpectralNorm.fantasticFour(kernel);
        System.out.printf("kernel %dx%dx3x3 on %dx%d images, circular padding%n", c, c, n, n);
        System.out.printf("  exact (FFT)             %.5f%n", exact);
        System.out.printf("  bounds R, S, T, U       %.5f, %.5f, %.5f, %.5f%n", b.r(), b.s(), b.t(), b.u());
        System.out.printf("  sqrt(hw) * min(R,S,T,U) %.5f (an upper bound: %s)%n", b.bound(), b.bound() >= exact);
    }
}
