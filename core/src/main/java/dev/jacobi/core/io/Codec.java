package dev.jacobi.core.io;

import dev.jacobi.core.DType;
import dev.jacobi.core.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Bounded reading and writing of raw element data, shared by {@link Npy} and {@link Safetensors}. */
final class Codec {
    /** Bytes per read; a multiple of every element size. */
    static final int CHUNK = 1 << 16;

    /** The size of {@code path}, which must be a regular file: a directory is an error naming it. */
    static long fileSize(java.nio.file.Path path, String where) throws java.io.IOException {
        if (java.nio.file.Files.isDirectory(path)) {
            throw new java.io.IOException(where + ": is a directory, not a file");
        }
        return java.nio.file.Files.size(path);
    }
    /** Most elements a {@link Tensor} can hold. */
    static final long MAX_NUMEL = Integer.MAX_VALUE - 8;

    private Codec() {
    }

    /**
     * Element count of {@code dims}, checked before anything is allocated: every dim in {@code [0, 2^31)} and the
     * product at most {@link #MAX_NUMEL}. Errors name {@code where}, {@code field} and the dims.
     */
    static int numel(long[] dims, String where, String field) throws IOException {
        long n = 1;
        for (long s : dims) {
            if (s < 0 || s > Integer.MAX_VALUE) {
                throw new IOException(where + ": " + field + " " + Arrays.toString(dims) + " has dimension " + s
                        + (s < 0 ? " < 0" : " >= 2^31"));
            }
            n = s == 0 || n == 0 ? 0 : n > MAX_NUMEL / s ? MAX_NUMEL + 1 : n * s;
        }
        if (n > MAX_NUMEL) {
            throw new IOException(where + ": " + field + " " + Arrays.toString(dims) + " has more than " + MAX_NUMEL
                    + " elements");
        }
        return (int) n;
    }

    /** {@code dims} as an int shape (already checked by {@link #numel}). */
    static int[] shape(long[] dims) {
        int[] s = new int[dims.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = (int) dims[i];
        }
        return s;
    }

    /**
     * Reads {@code numel} elements of type {@code e} in byte order {@code order} from {@code in} into a tensor of
     * {@code shape}. If {@code sizeChecked}, the caller has verified the bytes exist and the result array is allocated
     * up front; otherwise the bytes are first read in bounded chunks, so a forged size fails at end of stream before
     * the result is allocated.
     */
    static Tensor read(InputStream in, Elem e, ByteOrder order, int[] shape, int numel, boolean sizeChecked,
            String where) throws IOException {
        long bytes = (long) numel * e.size;
        Object dst = sizeChecked ? alloc(e, numel) : null;
        List<byte[]> pending = new ArrayList<>();
        byte[] reuse = sizeChecked ? new byte[(int) Math.min(bytes, CHUNK)] : null;
        int pos = 0;
        for (long done = 0; done < bytes; ) {
            int len = (int) Math.min(bytes - done, CHUNK);
            byte[] buf = sizeChecked ? reuse : new byte[len];
            int got = in.readNBytes(buf, 0, len);
            if (got < len) {
                throw new IOException(where + ": truncated data: " + Arrays.toString(shape) + " of " + e + " needs "
                        + bytes + " bytes, only " + (done + got) + " present");
            }
            if (sizeChecked) {
                e.decode(ByteBuffer.wrap(buf, 0, len).order(order), dst, pos, len / e.size, where);
            } else {
                pending.add(buf);
            }
            pos += len / e.size;
            done += len;
        }
        if (!sizeChecked) {
            dst = alloc(e, numel);
            pos = 0;
            for (byte[] buf : pending) {
                e.decode(ByteBuffer.wrap(buf).order(order), dst, pos, buf.length / e.size, where);
                pos += buf.length / e.size;
            }
        }
        return e.out == DType.FLOAT32 ? Tensor.of((float[]) dst, shape) : Tensor.of((double[]) dst, shape);
    }

    private static Object alloc(Elem e, int numel) {
        return e.out == DType.FLOAT32 ? new float[numel] : new double[numel];
    }

    /** Writes the elements of {@code t} in row-major order, little-endian, in its own dtype. */
    static void write(OutputStream out, Tensor t) throws IOException {
        if (t.numel() == 0) {
            return; // (toFloatArray of a multi-dim empty tensor fails in core)
        }
        boolean f32 = t.dtype() == DType.FLOAT32;
        float[] f = f32 ? t.toFloatArray() : null;
        double[] d = f32 ? null : t.toDoubleArray();
        int size = f32 ? 4 : 8;
        int n = f32 ? f.length : d.length;
        ByteBuffer b = ByteBuffer.allocate(Math.min(n * size, CHUNK)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; ) {
            int count = Math.min(n - i, CHUNK / size);
            b.clear();
            if (f32) {
                b.asFloatBuffer().put(f, i, count);
            } else {
                b.asDoubleBuffer().put(d, i, count);
            }
            out.write(b.array(), 0, count * size);
            i += count;
        }
    }
}
