package dev.jacobi.optim;

import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Parameter;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent, PyTorch's exact update: {@code g = ∇ + λθ}; with momentum μ,
 * {@code b = g} at the first step, then {@code b = μb + (1-τ)g}, and {@code g = g + μb} (Nesterov) or {@code g = b};
 * finally {@code θ ← θ - lr·g}.
 */
public final class SGD extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;

    /** Plain SGD {@code θ ← θ - lr·∇}. */
    public SGD(List<Parameter> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    /** SGD with {@code momentum} μ, {@code dampening} τ, L2 {@code weightDecay} λ and optional Nesterov momentum. */
    public SGD(List<Parameter> params, double lr, double momentum, double dampening, double weightDecay,
            boolean nesterov) {
        super(params, lr);
        checkNonNegative("momentum", momentum);
        checkNonNegative("weightDecay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got "
                    + "momentum " + momentum + ", dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    @Override
    protected Tensor update(Tensor theta, Tensor grad, Map<String, Tensor> s, ParamGroup group) {
        double wd = group.weightDecay(weightDecay);
        Tensor g = wd != 0 ? grad.add(theta, wd) : grad;
        if (momentum != 0) {
            // the buffer is the optimizer's own, updated in place
            Tensor buf = s.get("momentum_buffer");
            if (buf == null) {
                buf = g.copy();
                s.put("momentum_buffer", buf);
            } else {
                buf.mul_(momentum).add_(g, 1 - dampening);
            }
            g = nesterov ? g.add(buf, momentum) : buf;
        }
        return theta.add(g, -group.lr());
    }

    @Override
    protected List<String> stateNames() {
        return List.of("momentum_buffer");
    }
}
