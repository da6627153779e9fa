package dev.jacobi.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API {@link LaneKernel}: one lane per vector lane, two rows at a time, the four real sums of each complex
 * product in separate accumulator registers (eight independent FMA chains). Loaded by name from {@link Backend#load}
 * so that the library still links without {@code jdk.incubator.vector}.
 */
public final class VectorLaneKernel implements LaneKernel {
    private static final VectorSpecies<Float> F = VectorKernels.floatSpecies();
    private static final int L = F.length();

    @Override
    public int lanes() {
        return L;
    }

    @Override
    public void gemv(float[] mr, float[] mi, int mo, int rows, int cols, int rs, int cs, boolean conj,
                     float[] xr, float[] xi, int xo, float[] yr, float[] yi, int yo, boolean subtract) {
        // two rows at a time; an odd last row pairs with itself and stores once
        for (int r = 0; r < rows; r += 2) {
            int r1 = Math.min(r + 1, rows - 1);
            FloatVector rr0 = FloatVector.zero(F);
            FloatVector ii0 = rr0;
            FloatVector ri0 = rr0;
            FloatVector ir0 = rr0;
            FloatVector rr1 = rr0;
            FloatVector ii1 = rr0;
            FloatVector ri1 = rr0;
            FloatVector ir1 = rr0;
            for (int c = 0, m = mo + r * rs, m1 = mo + r1 * rs, x = xo; c < cols; c++, m += cs, m1 += cs, x += L) {
                FloatVector br = FloatVector.fromArray(F, xr, x);
                FloatVector bi = FloatVector.fromArray(F, xi, x);
                FloatVector ar = FloatVector.fromArray(F, mr, m);
                FloatVector ai = FloatVector.fromArray(F, mi, m);
                rr0 = ar.fma(br, rr0);
                ii0 = ai.fma(bi, ii0);
                ri0 = ar.fma(bi, ri0);
                ir0 = ai.fma(br, ir0);
                ar = FloatVector.fromArray(F, mr, m1);
                ai = FloatVector.fromArray(F, mi, m1);
                rr1 = ar.fma(br, rr1);
                ii1 = ai.fma(bi, ii1);
                ri1 = ar.fma(bi, ri1);
                ir1 = ai.fma(br, ir1);
            }
            store(rr0, ii0, ri0, ir0, conj, yr, yi, yo + r * L, subtract);
            if (r1 > r) {
                store(rr1, ii1, ri1, ir1, conj, yr, yi, yo + r1 * L, subtract);
            }
        }
    }

    @Override
    public void sharedGemv(float[] a, int rows, int cols, float[] wr, float[] wi, float[] yr, float[] yi) {
        for (int r = 0; r < rows; r++) {
            FloatVector re = FloatVector.zero(F);
            FloatVector im = re;
            for (int c = 0; c < cols; c++) {
                FloatVector b = FloatVector.broadcast(F, a[r * cols + c]);
                re = b.fma(FloatVector.fromArray(F, wr, c * L), re);
                im = b.fma(FloatVector.fromArray(F, wi, c * L), im);
            }
            re.intoArray(yr, r * L);
            im.intoArray(yi, r * L);
        }
    }

    /** {@code y = re + i·im} (or {@code y −=}) from the four real sums of a complex product. */
    private static void store(FloatVector rr, FloatVector ii, FloatVector ri, FloatVector ir, boolean conj,
                              float[] yr, float[] yi, int y, boolean subtract) {
        FloatVector re = conj ? rr.add(ii) : rr.sub(ii);
        FloatVector im = conj ? ri.sub(ir) : ri.add(ir);
        if (subtract) {
            re = FloatVector.fromArray(F, yr, y).sub(re);
            im = FloatVector.fromArray(F, yi, y).sub(im);
        }
        re.intoArray(yr, y);
        im.intoArray(yi, y);
    }
}
