package dev.jacobi.core.kernel;

/** Plain-Java {@link LaneKernel}: the fallback without the Vector API. */
public final class ScalarLaneKernel implements LaneKernel {
    private static final int LANES = 8;

    @Override
    public int lanes() {
        return LANES;
    }

    @Override
    public void gemv(float[] mr, float[] mi, int mo, int rows, int cols, int rs, int cs, boolean conj,
                     float[] xr, float[] xi, int xo, float[] yr, float[] yi, int yo, boolean subtract) {
        float sign = conj ? -1 : 1;
        for (int r = 0; r < rows; r++) {
            int y = yo + r * LANES;
            for (int g = 0; g < LANES; g++) {
                float rr = 0;
                float ii = 0;
                float ri = 0;
                float ir = 0;
                for (int c = 0, m = mo + r * rs + g, x = xo + g; c < cols; c++, m += cs, x += LANES) {
                    rr += mr[m] * xr[x];
                    ii += mi[m] * xi[x];
                    ri += mr[m] * xi[x];
                    ir += mi[m] * xr[x];
                }
                float re = rr - sign * ii;
                float im = ri + sign * ir;
                yr[y + g] = subtract ? yr[y + g] - re : re;
                yi[y + g] = subtract ? yi[y + g] - im : im;
            }
        }
    }

    @Override
    public void sharedGemv(float[] a, int rows, int cols, float[] wr, float[] wi, float[] yr, float[] yi) {
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < LANES; g++) {
                float re = 0;
                float im = 0;
                for (int c = 0; c < cols; c++) {
                    re += a[r * cols + c] * wr[c * LANES + g];
                    im += a[r * cols + c] * wi[c * LANES + g];
                }
                yr[r * LANES + g] = re;
                yi[r * LANES + g] = im;
            }
        }
    }
}
