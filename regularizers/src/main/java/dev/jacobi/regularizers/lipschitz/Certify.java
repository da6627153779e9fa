package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.spectral.LipschitzBound;

/**
 * Certified robustness from a Lipschitz constant (Tsuzuku et al. 2018; Li et al. 2019): if the network is
 * {@code L}-Lipschitz, an example with {@code margin = f_y − max_{j≠y} f_j > κ·ε·L} keeps its prediction under
 * every perturbation of norm at most {@code ε}, so its certified radius is {@code margin/(κ·L)}; {@code κ = √2}
 * for ℓ2 ({@code L} the ℓ2→ℓ2 constant) and {@code κ = 2} for ℓ∞ ({@code L} the ℓ∞→ℓ∞ constant).
 */
public final class Certify {
    private Certify() {
    }

    private static void checkLipschitz(String op, double lipschitz) {
        if (!(lipschitz > 0 && lipschitz < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(op + ": Lipschitz constant must be positive and finite, got "
                    + lipschitz);
        }
    }

    /** The input norm of a certificate, with its factor {@code κ}. */
    public enum Norm {
        /** ℓ2 perturbations, {@code κ = √2}: two logits move by at most {@code √2·L·ε} relative to each other. */
        L2(Math.sqrt(2)),
        /** ℓ∞ perturbations with an ℓ∞→ℓ∞ constant, {@code κ = 2}: each logit moves by at most {@code L·ε}. */
        LINF(2);

        private final double factor;

        Norm(double factor) {
            this.factor = factor;
        }

        /**
         * The factor {@code κ} in {@code margin > κ·ε·L}.
         *
         * @return √2 for L2, 2 for LINF
         */
        public double factor() {
            return factor;
        }
    }

    /**
     * The margins {@code m_i = f_{y_i} − max_{j≠y_i} f_j}, negative for a misclassified example.
     *
     * @param logits {@code [N, C]} with {@code C ≥ 2}, finite
     * @param labels {@code N} labels in {@code [0, C)}
     * @return float64 {@code [N]}
     */
    public static Tensor margins(Tensor logits, int[] labels) {
        int[] s = logits.shape();
        if (s.length != 2 || s[1] < 2 || labels.length != s[0]) {
            throw new IllegalArgumentException("Certify: need logits [N, C] with C >= 2 and N labels, got logits "
                    + Shapes.str(s) + " and " + labels.length + " labels");
        }
        double[] f = logits.contiguous().toDoubleArray();
        int c = s[1];
        double[] m = new double[s[0]];
        for (int i = 0; i < s[0]; i++) {
            if (labels[i] < 0 || labels[i] >= c) {
                throw new IllegalArgumentException("Certify: label " + labels[i] + " at position " + i
                        + " is outside [0, " + c + ")");
            }
            double other = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                double v = f[i * c + j];
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("Certify: logit [" + i + ", " + j + "] is " + v);
                }
                if (j != labels[i]) {
                    other = Math.max(other, v);
                }
            }
            m[i] = f[i * c + labels[i]] - other;
        }
        return Tensor.of(m, s[0]);
    }

    /**
     * Certified radii {@code r_i = max(0, m_i)/(κ·L)}: no perturbation of norm below {@code r_i} changes the
     * prediction (0 for a misclassified or tied example).
     *
     * @param logits    {@code [N, C]}
     * @param labels    {@code N} labels
     * @param lipschitz the network's Lipschitz constant {@code L > 0} for {@code norm}
     * @param norm      the perturbation norm
     * @return float64 {@code [N]}
     */
    public static Tensor certifiedRadius(Tensor logits, int[] labels, double lipschitz, Norm norm) {
        checkLipschitz("Certify.certifiedRadius", lipschitz);
        return margins(logits, labels).clamp(0, Double.POSITIVE_INFINITY).div(norm.factor() * lipschitz);
    }

    /**
     * ℓ2 certified radii {@code r_i = max(0, m_i)/(√2·L)}.
     *
     * @param logits    {@code [N, C]}
     * @param labels    {@code N} labels
     * @param lipschitz the network's ℓ2 Lipschitz constant {@code L > 0}
     * @return float64 {@code [N]}
     */
    public static Tensor certifiedRadius(Tensor logits, int[] labels, double lipschitz) {
        return certifiedRadius(logits, labels, lipschitz, Norm.L2);
    }

    /**
     * Certified accuracy at each {@code ε}: the fraction of examples with {@code m_i > κ·ε·L} (correct and certified
     * at radius {@code ε}; {@code ε = 0} gives the clean accuracy).
     *
     * @param logits    {@code [N, C]}, {@code N ≥ 1}
     * @param labels    {@code N} labels
     * @param lipschitz the network's Lipschitz constant {@code L > 0} for {@code norm}
     * @param norm      the perturbation norm
     * @param epsilons  radii, each at least 0
     * @return one fraction in {@code [0, 1]} per radius
     */
    public static double[] certifiedAccuracy(Tensor logits, int[] labels, double lipschitz, Norm norm,
            double... epsilons) {
        checkLipschitz("Certify.certifiedAccuracy", lipschitz);
        double[] m = margins(logits, labels).toDoubleArray();
        if (m.length == 0) {
            throw new IllegalArgumentException("Certify.certifiedAccuracy: no examples (logits " + Shapes.str(
                    logits.shape()) + ")");
        }
        double[] acc = new double[epsilons.length];
        for (int e = 0; e < epsilons.length; e++) {
            double eps = epsilons[e];
            if (!(eps >= 0 && eps < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("Certify.certifiedAccuracy: epsilon must be >= 0 and finite, got "
                        + eps + " at position " + e);
            }
            int n = 0;
            for (double mi : m) {
                if (mi > norm.factor() * eps * lipschitz) {
                    n++;
                }
            }
            acc[e] = (double) n / m.length;
        }
        return acc;
    }

    /**
     * ℓ2 certified accuracy at each {@code ε}: the fraction with {@code m_i > √2·ε·L}.
     *
     * @param logits    {@code [N, C]}
     * @param labels    {@code N} labels
     * @param lipschitz the network's ℓ2 Lipschitz constant {@code L > 0}
     * @param epsilons  radii, each at least 0
     * @return one fraction per radius
     */
    public static double[] certifiedAccuracy(Tensor logits, int[] labels, double lipschitz, double... epsilons) {
        return certifiedAccuracy(logits, labels, lipschitz, Norm.L2, epsilons);
    }

    /**
     * Certified ℓ2 radii with {@code L} from {@link LipschitzBound#of} of {@code model} (its product upper bound), for
     * inputs of per-example shape {@code inputShape}.
     */
    public static Tensor certifiedRadius(Layer model, int[] inputShape, Tensor logits, int[] labels) {
        return certifiedRadius(logits, labels, LipschitzBound.of(model, inputShape).product());
    }

    /** Certified ℓ2 accuracy at each ε with {@code L} from {@link LipschitzBound#of} of {@code model}. */
    public static double[] certifiedAccuracy(Layer model, int[] inputShape, Tensor logits, int[] labels,
                                             double... epsilons) {
        return certifiedAccuracy(logits, labels, LipschitzBound.of(model, inputShape).product(), epsilons);
    }
}
