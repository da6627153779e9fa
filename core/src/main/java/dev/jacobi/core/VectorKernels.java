package dev.jacobi.core;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on {@code jdk.incubator.vector}. Loaded by name from {@link Simd} so that the library still links when
 * the incubator module is absent. The species is a static final constant so the JIT specialises every loop.
 */
final class VectorKernels extends ScalarKernels {
    static final VectorSpecies<Float> F = floatSpecies();
    private static final int L = F.length();

    @Override
    public String describe() {
        return "Vector API, FloatVector " + F.vectorBitSize() + " bits (" + L + " lanes)";
    }

    @Override
    public void binary(BinaryOp op, float[] a, int ao, int as, float[] b, int bo, int bs, float[] out, int oo, int n) {
        if (n < L || as > 1 || bs > 1 || (as == 0 && bs == 0)) {
            super.binary(op, a, ao, as, b, bo, bs, out, oo, n);
            return;
        }
        switch (op) {
            case ADD -> bin(VectorOperators.ADD, a, ao, as, b, bo, bs, out, oo, n, op);
            case SUB -> bin(VectorOperators.SUB, a, ao, as, b, bo, bs, out, oo, n, op);
            case MUL -> bin(VectorOperators.MUL, a, ao, as, b, bo, bs, out, oo, n, op);
            case DIV -> bin(VectorOperators.DIV, a, ao, as, b, bo, bs, out, oo, n, op);
            case MAX -> bin(VectorOperators.MAX, a, ao, as, b, bo, bs, out, oo, n, op);
            case MIN -> bin(VectorOperators.MIN, a, ao, as, b, bo, bs, out, oo, n, op);
            default -> super.binary(op, a, ao, as, b, bo, bs, out, oo, n);
        }
    }

    private void bin(VectorOperators.Binary vop, float[] a, int ao, int as, float[] b, int bo, int bs,
                     float[] out, int oo, int n, BinaryOp op) {
        int bound = F.loopBound(n);
        int i = 0;
        if (as == 1 && bs == 1) {
            for (; i < bound; i += L) {
                FloatVector.fromArray(F, a, ao + i).lanewise(vop, FloatVector.fromArray(F, b, bo + i)).intoArray(out, oo + i);
            }
        } else if (as == 1) {
            FloatVector vb = FloatVector.broadcast(F, b[bo]);
            for (; i < bound; i += L) {
                FloatVector.fromArray(F, a, ao + i).lanewise(vop, vb).intoArray(out, oo + i);
            }
        } else {
            FloatVector va = FloatVector.broadcast(F, a[ao]);
            for (; i < bound; i += L) {
                va.lanewise(vop, FloatVector.fromArray(F, b, bo + i)).intoArray(out, oo + i);
            }
        }
        if (i < n) {
            super.binary(op, a, ao + i * as, as, b, bo + i * bs, bs, out, oo + i, n - i);
        }
    }

    @Override
    public void unary(UnaryOp op, float[] a, int ao, int as, float[] out, int oo, int n, float p, float q) {
        if (as != 1 || n < L) {
            super.unary(op, a, ao, as, out, oo, n, p, q);
            return;
        }
        int bound = F.loopBound(n);
        int i = 0;
        switch (op) {
            case NEG -> { for (; i < bound; i += L) FloatVector.fromArray(F, a, ao + i).neg().intoArray(out, oo + i); }
            case ABS -> { for (; i < bound; i += L) FloatVector.fromArray(F, a, ao + i).abs().intoArray(out, oo + i); }
            case SQRT -> { for (; i < bound; i += L) FloatVector.fromArray(F, a, ao + i).sqrt().intoArray(out, oo + i); }
            case SQUARE -> {
                for (; i < bound; i += L) {
                    FloatVector v = FloatVector.fromArray(F, a, ao + i);
                    v.mul(v).intoArray(out, oo + i);
                }
            }
            case RELU -> {
                FloatVector zero = FloatVector.zero(F);
                for (; i < bound; i += L) FloatVector.fromArray(F, a, ao + i).max(zero).intoArray(out, oo + i);
            }
            case CLAMP -> {
                FloatVector lo = FloatVector.broadcast(F, p);
                FloatVector hi = FloatVector.broadcast(F, q);
                for (; i < bound; i += L) FloatVector.fromArray(F, a, ao + i).max(lo).min(hi).intoArray(out, oo + i);
            }
            default -> { }
        }
        if (i < n) {
            super.unary(op, a, ao + i, 1, out, oo + i, n - i, p, q);
        }
    }

    @Override
    public float sum(float[] a, int off, int n) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += L) {
            acc = acc.add(FloatVector.fromArray(F, a, off + i));
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[off + i];
        }
        return s;
    }

    @Override
    public float max(float[] a, int off, int n) {
        if (n < L) {
            return super.max(a, off, n);
        }
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.fromArray(F, a, off);
        for (int i = L; i < bound; i += L) {
            acc = acc.max(FloatVector.fromArray(F, a, off + i));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        return bound == n ? m : Math.max(m, super.max(a, off + bound, n - bound));
    }

    @Override
    public float min(float[] a, int off, int n) {
        if (n < L) {
            return super.min(a, off, n);
        }
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.fromArray(F, a, off);
        for (int i = L; i < bound; i += L) {
            acc = acc.min(FloatVector.fromArray(F, a, off + i));
        }
        float m = acc.reduceLanes(VectorOperators.MIN);
        return bound == n ? m : Math.min(m, super.min(a, off + bound, n - bound));
    }

    @Override
    public float dot(float[] a, int ao, float[] b, int bo, int n) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += L) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int bound = F.loopBound(n);
        FloatVector va = FloatVector.broadcast(F, alpha);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, x, xo + i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    /** The float species for the vector kernels: the CPU's preferred one unless {@code jacobi.simd.bits} says. */
    static VectorSpecies<Float> floatSpecies() {
        String bits = System.getProperty("jacobi.simd.bits");
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits.trim()) {
            case "64" -> FloatVector.SPECIES_64;
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "jacobi.simd.bits: expected 64, 128, 256 or 512, got " + bits);
        };
    }
}
