package dev.jacobi.regularizers.spectral;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;

/**
 * Spectral normalisation of a {@link Linear} or {@link Conv2d} layer (Miyato et al. 2018): the layer runs with
 * {@code W_SN = W / σ(W)}, {@code σ = uᵀ A(W) v} from persistent power-iteration vectors that are constants for
 * backprop. Each training forward first takes one power step (15 on the first); in eval mode the stored vectors are
 * used as they are. The wrapped layer is the child {@code module}, so its parameters are named
 * {@code module.weight}, {@code module.bias}.
 *
 * <p>For a convolution the {@link Mode} picks what {@code σ} means: {@link Mode#RESHAPED} is Miyato's heuristic,
 * the norm of the kernel reshaped to {@code [cout, cin·kh·kw]}, which is NOT the convolution's operator norm and can
 * under- or over-estimate it; {@link Mode#OPERATOR} is the true operator norm of the convolution at the input size
 * of the forward pass (power iteration on conv and transposed conv, {@link SpectralNorm#conv}), so the normalised
 * layer is 1-Lipschitz. For a Linear layer both are the matrix norm.
 */
public final class SpectralNormalization extends Layer {
    /** What {@code σ} is for a convolution kernel. */
    public enum Mode {
        /** Miyato's heuristic: {@code σ} of the kernel reshaped to {@code [cout, cin·kh·kw]}. */
        RESHAPED,
        /** The true operator norm of the convolution at the layer's input size. */
        OPERATOR
    }

    private final Layer layer;
    private final Mode mode;
    private final long seed;
    private SpectralNorm sn;
    private int[] inputSize;

    /**
     * Wraps {@code layer}.
     *
     * @param layer a Linear or Conv2d
     * @param mode  reshaped heuristic or true operator norm (the same for Linear)
     * @param seed  seed of the power iteration's start vector
     */
    public SpectralNormalization(Layer layer, Mode mode, long seed) {
        if (!(layer instanceof Linear || layer instanceof Conv2d) || mode == null) {
            throw new IllegalArgumentException("SpectralNormalization: need a Linear or Conv2d layer and a mode, got "
                    + (layer == null ? "null" : layer.getClass().getSimpleName()) + ", " + mode);
        }
        this.layer = registerLayer("module", layer);
        this.mode = mode;
        this.seed = seed;
    }

    /** The wrapped layer. @return the Linear or Conv2d */
    public Layer layer() {
        return layer;
    }

    /** The meaning of {@code σ}. @return the mode */
    public Mode mode() {
        return mode;
    }

    /**
     * {@code σ} from the stored vectors (no update), as used by the last forward.
     *
     * @return the current estimate, or NaN before the first forward
     */
    public double sigma() {
        return sn == null || sn.u() == null ? Double.NaN : sn.sigma(matrix(weight().value()));
    }

    /** {@code y = layer(x; W/σ)}: one power step first in training mode, none in eval. */
    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        Parameter w = weight();
        if (layer instanceof Conv2d c) {
            checkImages(x, w.shape()[1] * c.spec().groups());
            if (sn == null || (mode == Mode.OPERATOR && (inputSize[0] != s[2] || inputSize[1] != s[3]))) {
                inputSize = new int[] {s[2], s[3]};
                sn = mode == Mode.OPERATOR
                        ? SpectralNorm.conv(c.spec(), s[2], s[3], false, SpectralNorm.DEFAULT_WARMUP, seed)
                        : SpectralNorm.matrix(SpectralNorm.DEFAULT_WARMUP, seed);
            }
        } else {
            int in = w.shape()[1];
            if (s.length == 0 || s[s.length - 1] != in) {
                throw error("input " + Shapes.str(s) + " does not end in " + in);
            }
            if (sn == null) {
                sn = SpectralNorm.matrix(SpectralNorm.DEFAULT_WARMUP, seed);
            }
        }
        if (w.dtype() != x.dtype()) {
            throw error("input dtype " + x.dtype() + " differs from the weight's " + w.dtype());
        }
        if (isTraining() || sn.u() == null) {
            try (GradMode.Scope ignored = Autodiff.noGrad()) {
                sn.update(matrix(w.value()), isTraining() ? 1 : 0);
            }
        }
        Var wsn = w.var().div(sn.sigma(matrixVar(w.var())));
        if (layer instanceof Conv2d c) {
            return x.conv2d(wsn, bias(), c.spec());
        }
        Var y = x.matmul(wsn.t());
        return bias() == null ? y : y.add(bias());
    }

    private Parameter weight() {
        return Layers.weight(layer);
    }

    private Var bias() {
        Parameter b = layer instanceof Linear l ? l.bias() : ((Conv2d) layer).bias();
        return b == null ? null : b.var();
    }

    private boolean reshape() {
        return layer instanceof Conv2d && mode == Mode.RESHAPED;
    }

    private Tensor matrix(Tensor w) {
        return reshape() ? w.reshape(w.shape()[0], -1) : w;
    }

    private Var matrixVar(Var w) {
        return reshape() ? w.reshape(w.shape()[0], -1) : w;
    }

    @Override
    protected String extraRepr() {
        return "mode=" + mode;
    }
}
