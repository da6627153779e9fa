package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.spectral.LipschitzLayer;

/**
 * Invertible downsampling {@code [N, C, H·r, W·r] → [N, C·r², H, W]},
 * {@code y[n, c·r² + i·r + j, h, w] = x[n, c, h·r + i, w·r + j]}: a permutation, hence orthogonal and
 * 1-Lipschitz. Its adjoint and inverse is {@link PixelShuffle}.
 */
public final class PixelUnshuffle extends Layer implements LipschitzLayer {
    private final int factor;

    /**
     * A downsampling by {@code factor} in both spatial dims.
     *
     * @param factor the downscale factor {@code r}, at least 1
     */
    public PixelUnshuffle(int factor) {
        if (factor < 1) {
            throw new IllegalArgumentException("PixelUnshuffle: factor must be >= 1, got " + factor);
        }
        this.factor = factor;
    }

    /** {@code [N, C, H·r, W·r] → [N, C·r², H, W]}; adjoint {@link PixelShuffle}. */
    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        if (s.length != 4 || s[2] % factor != 0 || s[3] % factor != 0) {
            throw error("input " + Shapes.str(s) + " is not [N, C, H, W] with H and W divisible by " + factor);
        }
        return x.pixelUnshuffle(factor);
    }

    /** 1: a permutation of the entries. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String extraRepr() {
        return "downscale_factor=" + factor;
    }
}
