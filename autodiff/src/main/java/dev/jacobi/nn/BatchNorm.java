package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.DType;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import java.util.Map;

/**
 * Batch normalisation over channel dim 1: {@code y = (x - μ)/√(σ² + eps)·γ + β}, with {@code μ, σ²} the batch mean
 * and biased variance over every dim but 1 in training, and the running estimates in eval. Each training forward
 * updates {@code running = (1 - momentum)·running + momentum·batch}, using the unbiased variance
 * {@code σ²·n/(n-1)}, and counts {@code num_batches_tracked} — exactly PyTorch's. See {@link BatchNorm1d} and
 * {@link BatchNorm2d}.
 */
public abstract class BatchNorm extends Layer {
    private final int features;
    private final double eps;
    private final double momentum;
    private final int[] ranks;
    private final Parameter weight;
    private final Parameter bias;

    /** A batch norm for {@code features} channels accepting inputs of the given ranks. */
    protected BatchNorm(int features, double eps, double momentum, int... ranks) {
        if (features <= 0 || !(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": need features > 0, eps > 0 and "
                    + "momentum in [0, 1], got " + features + ", " + eps + ", " + momentum);
        }
        this.features = features;
        this.eps = eps;
        this.momentum = momentum;
        this.ranks = ranks;
        this.weight = registerParameter("weight", Tensor.ones(features));
        this.bias = registerParameter("bias", Tensor.zeros(features));
        registerBuffer("running_mean", Tensor.zeros(features));
        registerBuffer("running_var", Tensor.ones(features));
        registerBuffer("num_batches_tracked", Tensor.scalar(DType.FLOAT32, 0));
    }

    /** The scale {@code γ} (ones initially). */
    public Parameter weight() {
        return weight;
    }

    /** The shift {@code β} (zeros initially). */
    public Parameter bias() {
        return bias;
    }

    /** The running mean estimate. */
    public Tensor runningMean() {
        return buffer("running_mean");
    }

    /** The running (unbiased) variance estimate. */
    public Tensor runningVar() {
        return buffer("running_var");
    }

    /** How many training batches updated the running statistics. */
    public long numBatchesTracked() {
        return Math.round(buffer("num_batches_tracked").item());
    }

    /** {@code (x - μ)/√(σ² + eps)·γ + β}, batch statistics in training (updating the running ones), running in eval. */
    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        boolean rankOk = false;
        for (int r : ranks) {
            rankOk |= s.length == r;
        }
        if (!rankOk || s[1] != features) {
            throw error("input " + Shapes.str(s) + " is not " + expected() + " with C = " + features);
        }
        checkDtype(x);
        int[] dims = new int[s.length - 1];
        int[] bshape = new int[s.length];
        for (int i = 0, j = 0; i < s.length; i++) {
            bshape[i] = i == 1 ? features : 1;
            if (i != 1) {
                dims[j++] = i;
            }
        }
        Var y;
        if (isTraining()) {
            int n = x.value().numel() / features;
            if (n <= 1) {
                throw error("expected more than 1 value per channel when training, got input " + Shapes.str(s));
            }
            Var mean = x.mean(dims, true);
            Var centred = x.sub(mean);
            Var var = centred.square().mean(dims, true);
            y = centred.div(var.add(eps).sqrt());
            Tensor m = mean.value().reshape(features);
            Tensor v = var.value().reshape(features).mul((double) n / (n - 1));
            setBuffer("running_mean", runningMean().mul(1 - momentum).add(m.mul(momentum)));
            setBuffer("running_var", runningVar().mul(1 - momentum).add(v.mul(momentum)));
            setBuffer("num_batches_tracked", buffer("num_batches_tracked").add(1));
        } else {
            Tensor m = runningMean().reshape(bshape);
            Tensor sd = runningVar().add(eps).sqrt().reshape(bshape);
            y = x.sub(Var.of(m)).div(Var.of(sd));
        }
        return y.mul(weight.var().reshape(bshape)).add(bias.var().reshape(bshape));
    }

    /** The accepted input layout, for error messages. */
    protected abstract String expected();

    @Override
    protected String extraRepr() {
        return features + ", eps=" + eps + ", momentum=" + momentum + ", affine=true, track_running_stats=true";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("num_features", features, "eps", eps, "momentum", momentum);
    }
}
