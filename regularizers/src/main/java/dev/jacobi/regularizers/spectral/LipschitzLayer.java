package dev.jacobi.regularizers.spectral;

/**
 * A layer {@code f} with a known ℓ2 Lipschitz constant: {@code ‖f(x) − f(y)‖₂ ≤ L·‖x − y‖₂} for all inputs. A
 * network bound multiplies the constants of its layers; the 1-Lipschitz-by-construction layers return 1.
 */
public interface LipschitzLayer {
    /**
     * The constant {@code L} with {@code ‖f(x) − f(y)‖₂ ≤ L·‖x − y‖₂}.
     *
     * @return the Lipschitz constant, at least 0
     */
    double lipschitzConstant();
}
