package dev.jacobi.core;

/** How a convolution or {@link Spatial#pad} fills positions outside the input. */
public enum PaddingMode {
    /** Outside positions are zero: {@code x[i] = 0} for {@code i} out of range. */
    ZEROS,
    /** The input repeats periodically: {@code x[i] = x[i mod n]} (PyTorch {@code padding_mode='circular'}). */
    CIRCULAR
}
