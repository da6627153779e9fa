package dev.jacobi.core;

/** Element type of a {@link Tensor}: {@code FLOAT32} is the fast path, {@code FLOAT64} is for verification. */
public enum DType {
    /** 32-bit IEEE float, backed by a {@code float[]}. */
    FLOAT32(4),
    /** 64-bit IEEE double, backed by a {@code double[]}. */
    FLOAT64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }
}
