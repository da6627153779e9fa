package dev.jacobi.optim;

import dev.jacobi.core.DType;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Parameter;
import java.util.List;
import java.util.Map;

/**
 * Adam, PyTorch's update: {@code g = ∇ + λθ} (L2), {@code m = β₁m + (1-β₁)g}, {@code v = β₂v + (1-β₂)g²},
 * {@code θ ← θ - lr/(1-β₁ᵗ) · m / (√v/√(1-β₂ᵗ) + eps)}. See {@link AdamW} for decoupled weight decay.
 */
public class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;

    /** PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(List<Parameter> params) {
        this(params, 1e-3);
    }

    /** Adam with learning rate {@code lr} and the other defaults. */
    public Adam(List<Parameter> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0);
    }

    /** Adam with every hyper-parameter; {@code weightDecay} λ is added to the gradient as {@code λθ}. */
    public Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(params, lr, beta1, beta2, eps, weightDecay, false);
    }

    /** With {@code decoupled}, the weight decay is AdamW's {@code θ ← θ(1 - lr·λ)} instead of L2. */
    Adam(List<Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay,
            boolean decoupled) {
        super(params, lr);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": betas must be in [0, 1), got ("
                    + beta1 + ", " + beta2 + ")");
        }
        checkNonNegative("eps", eps);
        checkNonNegative("weightDecay", weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    @Override
    protected Tensor update(Tensor theta, Tensor grad, Map<String, Tensor> s, ParamGroup group) {
        double lr = group.lr();
        double weightDecay = group.weightDecay(this.weightDecay);
        double t = s.containsKey("step") ? s.get("step").item() + 1 : 1;
        s.put("step", Tensor.scalar(DType.FLOAT64, t));
        Tensor g = grad;
        if (weightDecay != 0) {
            if (decoupled) {
                theta = theta.mul(1 - lr * weightDecay);
            } else {
                g = g.add(theta.mul(weightDecay));
            }
        }
        // the moments are the optimizer's own, updated in place; the temporaries go back to the allocator
        Tensor m = s.get("exp_avg");
        Tensor v = s.get("exp_avg_sq");
        Tensor g2 = g.square();
        if (m == null) {
            m = g.mul(1 - beta1);
            v = g2.mul(1 - beta2);
            s.put("exp_avg", m);
            s.put("exp_avg_sq", v);
        } else {
            m.mul_(beta1).add_(g, 1 - beta1);
            v.mul_(beta2).add_(g2, 1 - beta2);
        }
        g2.close();
        double stepSize = lr / (1 - Math.pow(beta1, t));
        Tensor step = v.sqrt().div_(Math.sqrt(1 - Math.pow(beta2, t))).add_(eps);
        Tensor ratio = m.div(step);
        step.close();
        Tensor next = theta.add(ratio, -stepSize);
        ratio.close();
        return next;
    }

    @Override
    protected List<String> stateNames() {
        return List.of("step", "exp_avg", "exp_avg_sq");
    }
}
