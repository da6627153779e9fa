package dev.jacobi.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on {@code jdk.incubator.vector}. Loaded by name from {@link Backend} so that the library still links when
 * the incubator module is absent. The species is a static final constant so the JIT specialises every loop.
 */
public final class VectorKernels extends ScalarKernels {
    /** The float64 species of the same width as the float32 one. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class,
            jdk.incubator.vector.VectorShape.forBitSize(floatSpecies().vectorBitSize()));
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
        int h = Alignment.head(oo, L);
        if (h > 0) {
            // a few leading values in plain Java (the same bits), so that the stores below fill whole lines
            if (h + L > n) {
                super.binary(op, a, ao, as, b, bo, bs, out, oo, n);
                return;
            }
            super.binary(op, a, ao, as, b, bo, bs, out, oo, h);
            ao += h * as;
            bo += h * bs;
            oo += h;
            n -= h;
        }
        int i = op == BinaryOp.THRESHOLD_BACKWARD
                ? (as == 1 && bs == 1 ? thresholdBackward(a, ao, b, bo, out, oo, n) : 0)
                : VectorLoops.binary(op, a, ao, as, b, bo, bs, out, oo, n);
        if (i < n) {
            super.binary(op, a, ao + i * as, as, b, bo + i * bs, bs, out, oo + i, n - i);
        }
    }

    // The loops of the element-wise ops are generated at build time (VectorLoops, from core/src/codegen); the ones
    // that differ in more than their operator are written out here.

    /**
     * The even (odd) lanes of a vector, repeated in both halves; {@link #evenLanes} takes the lower half from one
     * vector and the upper half from the next. (The two-vector {@code rearrange} does the same but is not
     * intrinsified on JDK 17, where it was seven times slower.)
     */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(F, i -> 2 * i % L);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(F, i -> (2 * i + 1) % L);
    private static final VectorMask<Float> UPPER = VectorMask.fromLong(F, ((1L << L) - 1) ^ ((1L << L / 2) - 1));

    private static final float TAP1 = Float.intBitsToFloat(1);
    private static final float TAP2 = Float.intBitsToFloat(2);
    private static final float TAP3 = Float.intBitsToFloat(3);

    /** Lanes {@code s, s + 2, …} of the {@code 2L} values {@code a, b} ({@code s} given by the shuffle). */
    private static FloatVector evenLanes(FloatVector a, FloatVector b, VectorShuffle<Float> s) {
        return a.rearrange(s).blend(b.rearrange(s), UPPER);
    }

    /**
     * L outputs of a row at a time from contiguous loads of its two input rows, split into even and odd lanes, and
     * compared as floats (first maximum kept, {@code -0 == +0}). A row shorter than L spills into the next row's
     * outputs, which that row then overwrites; whatever would spill past {@code r1·wo} is left to the plain-Java
     * loop. If any value read was NaN, the rows are redone by the plain-Java loop, which orders NaN first.
     */
    @Override
    public void maxPool2x2(float[] x, int xo, int w, int wo, int r0, int r1, float[] out, int[] idx) {
        int end = r1 * wo;
        int done = end;
        // whether a NaN was read, checked per step: a vector carried across the loop (a running min) is boxed on
        // JDK 17, which made this kernel allocate 6 KB per 32×32 plane and run 2.5× slower (the sum is also NaN for
        // +∞ and -∞ together, or an overflow of both signs; those rows then take the scalar path, which is exact)
        boolean nan = false;
        rows:
        for (int r = r0; r < r1; r++) {
            for (int j0 = 0; j0 < wo; j0 += L) {
                int o = r * wo + j0;
                if (o + L > end) {
                    done = o;
                    break rows;
                }
                int top = 2 * w * r + 2 * j0;
                FloatVector t0 = FloatVector.fromArray(F, x, xo + top);
                FloatVector t1 = FloatVector.fromArray(F, x, xo + top + L);
                FloatVector b0 = FloatVector.fromArray(F, x, xo + top + w);
                FloatVector b1 = FloatVector.fromArray(F, x, xo + top + w + L);
                FloatVector s = t0.add(t1).add(b0.add(b1));
                nan |= s.compare(VectorOperators.NE, s).anyTrue();
                FloatVector bv = evenLanes(t0, t1, EVEN);
                FloatVector bt = FloatVector.zero(F); // the winning tap, as the bits of the ints 0..3
                FloatVector c = evenLanes(t0, t1, ODD);
                VectorMask<Float> gt = c.compare(VectorOperators.GT, bv);
                bv = bv.blend(c, gt);
                bt = bt.blend(TAP1, gt);
                c = evenLanes(b0, b1, EVEN);
                gt = c.compare(VectorOperators.GT, bv);
                bv = bv.blend(c, gt);
                bt = bt.blend(TAP2, gt);
                c = evenLanes(b0, b1, ODD);
                gt = c.compare(VectorOperators.GT, bv);
                bv = bv.blend(c, gt);
                bt = bt.blend(TAP3, gt);
                bv.intoArray(out, o);
                // tap p·2 + q sits at p·w + q; the lanes are turned into indices one by one, since IntVector ops with
                // a scalar (add(int)) were left as calls by JDK 17's C2 here and allocated 18 MB per CNN step
                bt.reinterpretAsInts().intoArray(idx, o);
                for (int l = 0; l < L; l++) {
                    int tap = idx[o + l];
                    idx[o + l] = top + 2 * l + (tap & 1) + (tap >> 1) * w;
                }
            }
        }
        int from = nan ? r0 * wo : done;
        if (from < end) {
            super.maxPool2x2(x, xo, w, wo, from / wo, r1, out, idx);
        }
    }

    private static int thresholdBackward(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int bound = F.loopBound(n);
        FloatVector z = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += L) {
            VectorMask<Float> pos = FloatVector.fromArray(F, b, bo + i).compare(VectorOperators.GT, 0f);
            z.blend(FloatVector.fromArray(F, a, ao + i), pos).intoArray(out, oo + i);
        }
        return i;
    }


    @Override
    public void unary(UnaryOp op, float[] a, int ao, int as, float[] out, int oo, int n, float p, float q) {
        if (as != 1 || n < L) {
            super.unary(op, a, ao, as, out, oo, n, p, q);
            return;
        }
        // a few leading values in plain Java, so that the stores below fill whole lines; not for exp, whose plain-Java
        // values differ from the vector loop's in the last bits, which would make them depend on where a tensor starts
        int h = op == UnaryOp.EXP ? 0 : Alignment.head(oo, L);
        if (h > 0) {
            if (h + L > n) {
                super.unary(op, a, ao, as, out, oo, n, p, q);
                return;
            }
            super.unary(op, a, ao, as, out, oo, h, p, q);
            ao += h;
            oo += h;
            n -= h;
        }
        int i = switch (op) {
            case EXP -> exp(a, ao, out, oo, n);
            case RELU -> relu(a, ao, out, oo, n);
            case CLAMP -> clamp(a, ao, out, oo, n, p, q);
            default -> VectorLoops.unary(op, a, ao, out, oo, n);
        };
        if (i < n) {
            super.unary(op, a, ao + i, 1, out, oo + i, n - i, p, q);
        }
    }

    /**
     * {@code e^x} built only from IEEE-exact lane arithmetic (add, mul, fma, compares, bit moves), so the result is
     * the same interpreted and compiled: {@code x = k·ln2 + r} (Cody–Waite), a degree-7 Taylor polynomial for
     * {@code e^r} on {@code |r| ≤ ln2/2}, and {@code 2^k} assembled from exponent bits in two halves
     * {@code 2^⌊k/2⌋·2^(k−⌊k/2⌋)}, each a normal float. Within 2 ulp of {@link Math#exp}. {@code x} is first clamped
     * to {@code [-150, 100]} by compare and blend, which leaves NaN alone (the Vector API's {@code max} and
     * {@code min} cost several instructions each for Java's NaN and signed-zero rules). Past
     * {@code ln(Float.MAX_VALUE)} the last product overflows to infinity, below {@code ln(Float.MIN_VALUE)} it
     * underflows to 0 through the subnormals, and a NaN flows through every step, so no lane needs a fix-up.
     */
    private static int exp(float[] a, int ao, float[] out, int oo, int n) {
        int bound = F.loopBound(n);
        FloatVector log2e = FloatVector.broadcast(F, 1.44269504f);
        FloatVector magic = FloatVector.broadcast(F, 12582912f); // 1.5·2^23 rounds to the nearest integer
        FloatVector ln2Hi = FloatVector.broadcast(F, -0.693359375f);
        FloatVector ln2Lo = FloatVector.broadcast(F, 2.12194440e-4f);
        FloatVector hi = FloatVector.broadcast(F, 100f);
        FloatVector lo = FloatVector.broadcast(F, -150f);
        FloatVector one = FloatVector.broadcast(F, 1f);
        // the int operands as vectors: IntVector ops with a scalar were left as allocating calls by JDK 17's C2
        IntVector bits = IntVector.broadcast(F.withLanes(int.class), 0x4B400000);
        IntVector bias = IntVector.broadcast(F.withLanes(int.class), 127);
        for (int i = 0; i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(F, a, ao + i);
            x = x.blend(hi, x.compare(VectorOperators.GT, hi)).blend(lo, x.compare(VectorOperators.LT, lo));
            FloatVector t = x.fma(log2e, magic);
            FloatVector k = t.sub(magic);
            FloatVector r = k.fma(ln2Hi, x);
            r = k.fma(ln2Lo, r);
            FloatVector p = FloatVector.broadcast(F, 1f / 5040);
            p = p.fma(r, FloatVector.broadcast(F, 1f / 720));
            p = p.fma(r, FloatVector.broadcast(F, 1f / 120));
            p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
            p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
            p = p.fma(r, FloatVector.broadcast(F, 0.5f));
            p = p.fma(r, one);
            p = p.fma(r, one);
            // k as an int from t's low mantissa bits (1.5·2^23 + k); a float-to-int convert is not intrinsic on JDK 17
            IntVector kn = t.reinterpretAsInts().sub(bits);
            IntVector half = kn.lanewise(VectorOperators.ASHR, 1);
            FloatVector s1 = half.add(bias).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = kn.sub(half).add(bias).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            p.mul(s1).mul(s2).intoArray(out, oo + i);
        }
        return bound;
    }

    /** {@code max(x, 0)} for each lane: 0 where {@code x ≤ 0} (−0 included), {@code x} elsewhere (NaN included). */
    private static int relu(float[] a, int ao, float[] out, int oo, int n) {
        int bound = F.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            relu(FloatVector.fromArray(F, a, ao + i)).intoArray(out, oo + i);
        }
        return bound;
    }

    /**
     * {@code max(v, 0)} by a compare and a blend: the same lanes as the Vector API's {@code max(v, 0)} (NaN kept,
     * −0 made 0), which costs several instructions per vector for Java's NaN and signed-zero rules (ReLU of 4M floats
     * took 1.24× as long with it with 256-bit vectors on an Intel Xeon, JDK 17 and 25; equal with 512-bit vectors).
     */
    static FloatVector relu(FloatVector v) {
        return v.blend(0f, v.compare(VectorOperators.LE, 0f));
    }

    /** Clamps to [lo, hi]; NaN propagates (max and min of the Vector API return NaN for a NaN lane). */
    private static int clamp(float[] a, int ao, float[] out, int oo, int n, float lo, float hi) {
        int bound = F.loopBound(n);
        FloatVector vlo = FloatVector.broadcast(F, lo);
        FloatVector vhi = FloatVector.broadcast(F, hi);
        for (int i = 0; i < bound; i += L) {
            FloatVector.fromArray(F, a, ao + i).max(vlo).min(vhi).intoArray(out, oo + i);
        }
        return bound;
    }

    @Override
    public float sum(float[] a, int off, int n) {
        int bound = F.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        if (n >= 4 * L) {
            // four chains of adds, so the loop is not bound by the latency of one
            FloatVector acc1 = acc;
            FloatVector acc2 = acc;
            FloatVector acc3 = acc;
            for (int bound4 = n - n % (4 * L); i < bound4; i += 4 * L) {
                acc = acc.add(FloatVector.fromArray(F, a, off + i));
                acc1 = acc1.add(FloatVector.fromArray(F, a, off + i + L));
                acc2 = acc2.add(FloatVector.fromArray(F, a, off + i + 2 * L));
                acc3 = acc3.add(FloatVector.fromArray(F, a, off + i + 3 * L));
            }
            acc = acc.add(acc1).add(acc2.add(acc3));
        }
        for (; i < bound; i += L) {
            acc = acc.add(FloatVector.fromArray(F, a, off + i));
        }
        float s = laneSum(acc);
        for (; i < n; i++) {
            s += a[off + i];
        }
        return s;
    }

    /**
     * Four vectors of columns at a time, their sums kept in registers down all the rows: one load per vector of
     * input, where adding row by row into a buffer loads and stores the buffer for every row too.
     */
    @Override
    public void sumRows(float[] x, int off, int stride, int rows, float[] out, int oo, int n) {
        int j = 0;
        for (; j + 4 * L <= n; j += 4 * L) {
            int o = off + j;
            FloatVector s0 = FloatVector.fromArray(F, x, o);
            FloatVector s1 = FloatVector.fromArray(F, x, o + L);
            FloatVector s2 = FloatVector.fromArray(F, x, o + 2 * L);
            FloatVector s3 = FloatVector.fromArray(F, x, o + 3 * L);
            for (int r = 1; r < rows; r++) {
                o += stride;
                s0 = s0.add(FloatVector.fromArray(F, x, o));
                s1 = s1.add(FloatVector.fromArray(F, x, o + L));
                s2 = s2.add(FloatVector.fromArray(F, x, o + 2 * L));
                s3 = s3.add(FloatVector.fromArray(F, x, o + 3 * L));
            }
            s0.intoArray(out, oo + j);
            s1.intoArray(out, oo + j + L);
            s2.intoArray(out, oo + j + 2 * L);
            s3.intoArray(out, oo + j + 3 * L);
        }
        for (; j + L <= n; j += L) {
            int o = off + j;
            FloatVector s0 = FloatVector.fromArray(F, x, o);
            for (int r = 1; r < rows; r++) {
                o += stride;
                s0 = s0.add(FloatVector.fromArray(F, x, o));
            }
            s0.intoArray(out, oo + j);
        }
        if (j < n) {
            super.sumRows(x, off + j, stride, rows, out, oo + j, n - j);
        }
    }

    @Override
    public float sumSquaredDeviations(float[] a, int off, int n, float c) {
        FloatVector vc = FloatVector.broadcast(F, c);
        FloatVector acc = FloatVector.zero(F);
        FloatVector acc1 = acc;
        int i = 0;
        // two chains of FMAs, so the loop is not bound by the latency of one
        for (int bound2 = n - n % (2 * L); i < bound2; i += 2 * L) {
            FloatVector d0 = FloatVector.fromArray(F, a, off + i).sub(vc);
            FloatVector d1 = FloatVector.fromArray(F, a, off + i + L).sub(vc);
            acc = d0.fma(d0, acc);
            acc1 = d1.fma(d1, acc1);
        }
        float s = laneSum(acc.add(acc1));
        for (; i < n; i++) {
            float d = a[off + i] - c;
            s += d * d;
        }
        return s;
    }

    @Override
    public void scaleShift(float[] a, int ao, float s, float t, boolean relu, float[] out, int oo, int n) {
        int bound = F.loopBound(n);
        FloatVector vs = FloatVector.broadcast(F, s);
        FloatVector vt = FloatVector.broadcast(F, t);
        for (int i = 0; i < bound; i += L) {
            FloatVector y = FloatVector.fromArray(F, a, ao + i).fma(vs, vt);
            (relu ? relu(y) : y).intoArray(out, oo + i);
        }
        super.scaleShift(a, ao + bound, s, t, relu, out, oo + bound, n - bound);
    }

    @Override
    public void winogradOutput(float[] m, int mo, int s, float bias, float[] out, int oo, int os, int n) {
        int bound = F.loopBound(n);
        FloatVector b = FloatVector.broadcast(F, bias);
        for (int i = 0; i < bound; i += L) {
            int o = mo + i;
            FloatVector m10 = FloatVector.fromArray(F, m, o + 4 * s);
            FloatVector m11 = FloatVector.fromArray(F, m, o + 5 * s);
            FloatVector m12 = FloatVector.fromArray(F, m, o + 6 * s);
            FloatVector m13 = FloatVector.fromArray(F, m, o + 7 * s);
            FloatVector m20 = FloatVector.fromArray(F, m, o + 8 * s);
            FloatVector m21 = FloatVector.fromArray(F, m, o + 9 * s);
            FloatVector m22 = FloatVector.fromArray(F, m, o + 10 * s);
            FloatVector m23 = FloatVector.fromArray(F, m, o + 11 * s);
            FloatVector u0 = FloatVector.fromArray(F, m, o).add(m10).add(m20);
            FloatVector u1 = FloatVector.fromArray(F, m, o + s).add(m11).add(m21);
            FloatVector u2 = FloatVector.fromArray(F, m, o + 2 * s).add(m12).add(m22);
            FloatVector u3 = FloatVector.fromArray(F, m, o + 3 * s).add(m13).add(m23);
            FloatVector w0 = m10.sub(m20).sub(FloatVector.fromArray(F, m, o + 12 * s));
            FloatVector w1 = m11.sub(m21).sub(FloatVector.fromArray(F, m, o + 13 * s));
            FloatVector w2 = m12.sub(m22).sub(FloatVector.fromArray(F, m, o + 14 * s));
            FloatVector w3 = m13.sub(m23).sub(FloatVector.fromArray(F, m, o + 15 * s));
            u0.add(u1).add(u2).add(b).intoArray(out, oo + i);
            u1.sub(u2).sub(u3).add(b).intoArray(out, oo + os + i);
            w0.add(w1).add(w2).add(b).intoArray(out, oo + 2 * os + i);
            w1.sub(w2).sub(w3).add(b).intoArray(out, oo + 3 * os + i);
        }
        super.winogradOutput(m, mo + bound, s, bias, out, oo + bound, os, n - bound);
    }

    @Override
    public void winogradInput(float[] x, int xo, int rs, int cs, float[] v, int vo, int s, int n) {
        // two vectors of columns per winogradRow call, which makes that method too large for C2 to inline (more than
        // -XX:FreqInlineSize bytecodes): inlined here, JDK 17's C2 ran out of nodes partway (NodeCountInliningCutoff)
        // and left some of its vector operations as calls to their allocating fallbacks (11 MB per CNN training step
        // of the weight gradient); compiled on its own, it allocates nothing
        int bound = n - n % (2 * L);
        for (int i = 0; i < bound; i += 2 * L) {
            int p0 = xo + i;
            int o = vo + i;
            // the rows of Bᵀ d: d0 − d2, d1 + d2, d2 − d1, d1 − d3
            winogradRow(x, p0, p0 + 2 * rs, -1f, cs, v, o, s);
            winogradRow(x, p0 + rs, p0 + 2 * rs, 1f, cs, v, o + 4 * s, s);
            winogradRow(x, p0 + 2 * rs, p0 + rs, -1f, cs, v, o + 8 * s, s);
            winogradRow(x, p0 + rs, p0 + 3 * rs, -1f, cs, v, o + 12 * s, s);
        }
        super.winogradInput(x, xo + bound, rs, cs, v, vo + bound, s, n - bound);
    }

    /**
     * One row of {@code (Bᵀ d) B} for 2L columns: with {@code u_q = x[pa + q·cs] + sign·x[pb + q·cs]} (exactly a sum
     * or a difference, as {@code sign} is ±1), {@code u0 − u2, u1 + u2, u2 − u1, u1 − u3} go to {@code v[o]},
     * {@code v[o + s]}, … .
     */
    private static void winogradRow(float[] x, int pa, int pb, float sign, int cs, float[] v, int o, int s) {
        FloatVector sg = FloatVector.broadcast(F, sign);
        int pa2 = pa + L;
        int pb2 = pb + L;
        FloatVector u0 = FloatVector.fromArray(F, x, pb).fma(sg, FloatVector.fromArray(F, x, pa));
        FloatVector u1 = FloatVector.fromArray(F, x, pb + cs).fma(sg, FloatVector.fromArray(F, x, pa + cs));
        FloatVector u2 = FloatVector.fromArray(F, x, pb + 2 * cs).fma(sg, FloatVector.fromArray(F, x, pa + 2 * cs));
        FloatVector u3 = FloatVector.fromArray(F, x, pb + 3 * cs).fma(sg, FloatVector.fromArray(F, x, pa + 3 * cs));
        FloatVector w0 = FloatVector.fromArray(F, x, pb2).fma(sg, FloatVector.fromArray(F, x, pa2));
        FloatVector w1 = FloatVector.fromArray(F, x, pb2 + cs).fma(sg, FloatVector.fromArray(F, x, pa2 + cs));
        FloatVector w2 = FloatVector.fromArray(F, x, pb2 + 2 * cs).fma(sg, FloatVector.fromArray(F, x, pa2 + 2 * cs));
        FloatVector w3 = FloatVector.fromArray(F, x, pb2 + 3 * cs).fma(sg, FloatVector.fromArray(F, x, pa2 + 3 * cs));
        u0.sub(u2).intoArray(v, o);
        u1.add(u2).intoArray(v, o + s);
        u2.sub(u1).intoArray(v, o + 2 * s);
        u1.sub(u3).intoArray(v, o + 3 * s);
        w0.sub(w2).intoArray(v, o + L);
        w1.add(w2).intoArray(v, o + s + L);
        w2.sub(w1).intoArray(v, o + 2 * s + L);
        w1.sub(w3).intoArray(v, o + 3 * s + L);
    }

    @Override
    public void winogradGradient(float[] g, int g00, int g01, int g10, int g11, float[] v, int vo, int s, int n) {
        int bound = F.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector a = FloatVector.fromArray(F, g, g00 + i);
            FloatVector b = FloatVector.fromArray(F, g, g01 + i);
            FloatVector c = FloatVector.fromArray(F, g, g10 + i);
            FloatVector d = FloatVector.fromArray(F, g, g11 + i);
            FloatVector s0 = a.add(c);
            FloatVector s1 = b.add(d);
            FloatVector d0 = a.sub(c);
            FloatVector d1 = b.sub(d);
            int o = vo + i;
            a.intoArray(v, o);
            a.add(b).intoArray(v, o + s);
            a.sub(b).intoArray(v, o + 2 * s);
            b.intoArray(v, o + 3 * s);
            s0.intoArray(v, o + 4 * s);
            s0.add(s1).intoArray(v, o + 5 * s);
            s0.sub(s1).intoArray(v, o + 6 * s);
            s1.intoArray(v, o + 7 * s);
            d0.intoArray(v, o + 8 * s);
            d0.add(d1).intoArray(v, o + 9 * s);
            d0.sub(d1).intoArray(v, o + 10 * s);
            d1.intoArray(v, o + 11 * s);
            c.intoArray(v, o + 12 * s);
            c.add(d).intoArray(v, o + 13 * s);
            c.sub(d).intoArray(v, o + 14 * s);
            d.intoArray(v, o + 15 * s);
        }
        super.winogradGradient(g, g00 + bound, g01 + bound, g10 + bound, g11 + bound, v, vo + bound, s, n - bound);
    }

    @Override
    public void maskedSums(float[] g, int go, float[] y, int yo, float[] x, int xo, float c, int n, double[] sums) {
        int bound = F.loopBound(n);
        FloatVector vc = FloatVector.broadcast(F, c);
        FloatVector z = FloatVector.zero(F);
        FloatVector s0 = z;
        FloatVector s1 = z;
        for (int i = 0; i < bound; i += L) {
            FloatVector m = FloatVector.fromArray(F, g, go + i);
            if (y != null) {
                m = z.blend(m, FloatVector.fromArray(F, y, yo + i).compare(VectorOperators.GT, 0f));
            }
            s0 = s0.add(m);
            s1 = m.fma(FloatVector.fromArray(F, x, xo + i).sub(vc), s1);
        }
        sums[0] += laneSum(s0);
        sums[1] += laneSum(s1);
        super.maskedSums(g, go + bound, y, yo + bound, x, xo + bound, c, n - bound, sums);
    }

    @Override
    public void maskedAffine(float[] g, int go, float[] y, int yo, float[] x, int xo, float c, float k1, float k2,
                             float k3, float[] out, int oo, int n) {
        int bound = F.loopBound(n);
        FloatVector vc = FloatVector.broadcast(F, c);
        FloatVector v1 = FloatVector.broadcast(F, k1);
        FloatVector v2 = FloatVector.broadcast(F, k2);
        FloatVector v3 = FloatVector.broadcast(F, k3);
        FloatVector z = FloatVector.zero(F);
        for (int i = 0; i < bound; i += L) {
            FloatVector m = FloatVector.fromArray(F, g, go + i);
            if (y != null) {
                m = z.blend(m, FloatVector.fromArray(F, y, yo + i).compare(VectorOperators.GT, 0f));
            }
            m.fma(v1, FloatVector.fromArray(F, x, xo + i).sub(vc).fma(v2, v3)).intoArray(out, oo + i);
        }
        super.maskedAffine(g, go + bound, y, yo + bound, x, xo + bound, c, k1, k2, k3, out, oo + bound, n - bound);
    }

    @Override
    public float max(float[] a, int off, int n) {
        if (n < L) {
            return super.max(a, off, n);
        }
        int bound = F.loopBound(n);
        float m = VectorLoops.max(a, off, bound);
        return bound == n ? m : Math.max(m, super.max(a, off + bound, n - bound));
    }

    @Override
    public float min(float[] a, int off, int n) {
        if (n < L) {
            return super.min(a, off, n);
        }
        int bound = F.loopBound(n);
        float m = VectorLoops.min(a, off, bound);
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
        float s = laneSum(acc);
        for (; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    @Override
    public double dot(double[] a, int ao, double[] b, int bo, int n) {
        int bound = D.loopBound(n);
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (; i < bound; i += D.length()) {
            acc = DoubleVector.fromArray(D, a, ao + i).fma(DoubleVector.fromArray(D, b, bo + i), acc);
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    /**
     * Four rows of {@code a} against four rows of {@code b} at a time (16 accumulators, 8 loads per 16 FMAs); rows
     * past the end are clamped to the last one and their sums dropped.
     */
    @Override
    public void dots(float[] a, int ao, int lda, int ma, float[] b, int bo, int ldb, int mb, int n, float[] out,
                     int oo, int ldo) {
        int bound = F.loopBound(n);
        float[] t = new float[16 * L];
        for (int i = 0; i < ma; i += 4) {
            int a0 = ao + i * lda;
            int a1 = ao + Math.min(i + 1, ma - 1) * lda;
            int a2 = ao + Math.min(i + 2, ma - 1) * lda;
            int a3 = ao + Math.min(i + 3, ma - 1) * lda;
            for (int j = 0; j < mb; j += 4) {
                int b0 = bo + j * ldb;
                int b1 = bo + Math.min(j + 1, mb - 1) * ldb;
                int b2 = bo + Math.min(j + 2, mb - 1) * ldb;
                int b3 = bo + Math.min(j + 3, mb - 1) * ldb;
                FloatVector z = FloatVector.zero(F);
                FloatVector s00 = z, s01 = z, s02 = z, s03 = z, s10 = z, s11 = z, s12 = z, s13 = z;
                FloatVector s20 = z, s21 = z, s22 = z, s23 = z, s30 = z, s31 = z, s32 = z, s33 = z;
                for (int p = 0; p < bound; p += L) {
                    FloatVector x0 = FloatVector.fromArray(F, a, a0 + p);
                    FloatVector x1 = FloatVector.fromArray(F, a, a1 + p);
                    FloatVector x2 = FloatVector.fromArray(F, a, a2 + p);
                    FloatVector x3 = FloatVector.fromArray(F, a, a3 + p);
                    FloatVector y0 = FloatVector.fromArray(F, b, b0 + p);
                    FloatVector y1 = FloatVector.fromArray(F, b, b1 + p);
                    FloatVector y2 = FloatVector.fromArray(F, b, b2 + p);
                    FloatVector y3 = FloatVector.fromArray(F, b, b3 + p);
                    s00 = x0.fma(y0, s00); s01 = x0.fma(y1, s01); s02 = x0.fma(y2, s02); s03 = x0.fma(y3, s03);
                    s10 = x1.fma(y0, s10); s11 = x1.fma(y1, s11); s12 = x1.fma(y2, s12); s13 = x1.fma(y3, s13);
                    s20 = x2.fma(y0, s20); s21 = x2.fma(y1, s21); s22 = x2.fma(y2, s22); s23 = x2.fma(y3, s23);
                    s30 = x3.fma(y0, s30); s31 = x3.fma(y1, s31); s32 = x3.fma(y2, s32); s33 = x3.fma(y3, s33);
                }
                // the sums leave the loop through an array: passed to a helper that C2 may not inline, the
                // accumulators were boxed (16 vectors and their arrays per block in a training step's profile)
                s00.intoArray(t, 0); s01.intoArray(t, L); s02.intoArray(t, 2 * L); s03.intoArray(t, 3 * L);
                s10.intoArray(t, 4 * L); s11.intoArray(t, 5 * L); s12.intoArray(t, 6 * L); s13.intoArray(t, 7 * L);
                s20.intoArray(t, 8 * L); s21.intoArray(t, 9 * L); s22.intoArray(t, 10 * L); s23.intoArray(t, 11 * L);
                s30.intoArray(t, 12 * L); s31.intoArray(t, 13 * L); s32.intoArray(t, 14 * L); s33.intoArray(t, 15 * L);
                for (int r = 0; r < 4 && i + r < ma; r++) {
                    for (int q = 0; q < 4 && j + q < mb; q++) {
                        float v = 0;
                        for (int l = 0; l < L; l++) { // the lanes in order, as laneSum adds them
                            v += t[(4 * r + q) * L + l];
                        }
                        for (int p = bound; p < n; p++) {
                            v += a[ao + (i + r) * lda + p] * b[bo + (j + q) * ldb + p];
                        }
                        out[oo + (i + r) * ldo + j + q] += v;
                    }
                }
            }
        }
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

    /**
     * The sum of the lanes in a fixed order. {@code reduceLanes(ADD)} leaves the order unspecified, so the
     * interpreter and the JIT can round it differently, which would make results depend on compilation state.
     */
    private static float laneSum(FloatVector acc) {
        float s = 0;
        for (int i = 0; i < L; i++) {
            s += acc.lane(i);
        }
        return s;
    }

    /** The float species for the vector kernels: the CPU's preferred one unless {@code jacobi.simd.bits} says. */
    public static VectorSpecies<Float> floatSpecies() {
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
