package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.spectral.LipschitzLayer;

/**
 * Invertible upsampling {@code [N, C·r², H, W] → [N, C, H·r, W·r]},
 * {@code y[n, c, h·r + i, w·r + j] = x[n, c·r² + i·r + j, h, w]}: a permutation, hence orthogonal and
 * 1-Lipschitz. Its adjoint and inverse is {@link PixelUnshuffle}.
 */
public final class PixelShuffle extends Layer implements LipschitzLayer {
    private final int factor;

    /**
     * An upsampling by {@code factor} in both spatial dims.
     *
     * @param factor the upscale factor {@code r}, at least 1
     */
    public PixelShuffle(int factor) {
        if (factor < 1) {
            throw new IllegalArgumentException("PixelShuffle: factor must be >= 1, got " + factor);
        }
        this.factor = factor;
    }

    /** {@code [N, C·r², H, W] → [N, C, H·r, W·r]}; adjoint {@link PixelUnshuffle}. */
    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        if (s.length != 4 || s[1] % (factor * factor) != 0) {
            throw error("input " + Shapes.str(s) + " is not [N, C, H, W] with C divisible by " + factor * factor);
        }
        return x.pixelShuffle(factor);
    }

    /** 1: a permutation of the entries. */
    @Override
    public double lipschitzConstant() {
        return 1;
    }

    @Override
    protected String extraRepr() {
        return "upscale_factor=" + factor;
    }
}
