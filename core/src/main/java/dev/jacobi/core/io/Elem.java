package dev.jacobi.core.io;

import dev.jacobi.core.DType;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Element types found in files and how they decode: floats to FLOAT32/FLOAT64, integers to exact FLOAT64, booleans
 * to FLOAT32 0/1. Shared by {@link Npy} and {@link Safetensors}.
 */
enum Elem {
    BOOL(1, DType.FLOAT32), U8(1, DType.FLOAT64), I8(1, DType.FLOAT64), U16(2, DType.FLOAT64), I16(2, DType.FLOAT64),
    U32(4, DType.FLOAT64), I32(4, DType.FLOAT64), U64(8, DType.FLOAT64), I64(8, DType.FLOAT64),
    F16(2, DType.FLOAT32), BF16(2, DType.FLOAT32), F32(4, DType.FLOAT32), F64(8, DType.FLOAT64);

    /** Largest magnitude below which every integer has an exact double. */
    private static final long EXACT = 1L << 53;

    final int size;
    final DType out;

    Elem(int size, DType out) {
        this.size = size;
        this.out = out;
    }

    /** The file element type that stores {@code dtype} without loss. */
    static Elem of(DType dtype) {
        return dtype == DType.FLOAT32 ? F32 : F64;
    }

    /**
     * Decodes {@code count} elements from {@code b} (byte order already set) into {@code dst[pos..]}, a float[] if
     * {@link #out} is FLOAT32 else a double[]. {@code where} names the source for error messages.
     */
    void decode(ByteBuffer b, Object dst, int pos, int count, String where) throws IOException {
        if (this == F32) {
            b.asFloatBuffer().get((float[]) dst, pos, count);
            b.position(b.position() + 4 * count);
            return;
        }
        if (this == F64) {
            b.asDoubleBuffer().get((double[]) dst, pos, count);
            b.position(b.position() + 8 * count);
            return;
        }
        if (out == DType.FLOAT32) {
            float[] f = (float[]) dst;
            for (int i = pos; i < pos + count; i++) {
                f[i] = switch (this) {
                    case F16 -> halfToFloat(b.getShort());
                    case BF16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                    default -> bool(b.get(), i, where);
                };
            }
            return;
        }
        double[] d = (double[]) dst;
        for (int i = pos; i < pos + count; i++) {
            d[i] = switch (this) {
                case U8 -> b.get() & 0xff;
                case I8 -> b.get();
                case U16 -> b.getShort() & 0xffff;
                case I16 -> b.getShort();
                case U32 -> b.getInt() & 0xffffffffL;
                case I32 -> b.getInt();
                default -> exact(b.getLong(), i, where);
            };
        }
    }

    private float bool(byte v, int index, String where) throws IOException {
        if (v != 0 && v != 1) {
            throw new IOException(where + ": element " + index + " of a boolean array is byte " + (v & 0xff)
                    + ", not 0 or 1");
        }
        return v;
    }

    private double exact(long v, int index, String where) throws IOException {
        boolean unsigned = this == U64;
        if (unsigned ? v < 0 || v > EXACT : v > EXACT || v < -EXACT) {
            throw new IOException(where + ": element " + index + " = " + (unsigned ? Long.toUnsignedString(v) : v)
                    + " of " + this + " is beyond +-2^53 and has no exact FLOAT64 value");
        }
        return v;
    }

    /** IEEE binary16 bits to float (exact). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
