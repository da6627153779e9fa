package dev.jacobi.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.Workers;
import org.junit.jupiter.api.Test;

class ConvTest {
    private static final Tensor X33 = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);

    /** One random convolution problem. */
    record Case(int n, int cin, int cout, int h, int w, int kh, int kw, Conv2dSpec s) {
        int ho() {
            return Math.floorDiv(h + 2 * s.padH() - s.dilationH() * (kh - 1) - 1, s.strideH()) + 1;
        }

        int wo() {
            return Math.floorDiv(w + 2 * s.padW() - s.dilationW() * (kw - 1) - 1, s.strideW()) + 1;
        }
    }

    /** Random configs: strides 1-2, padding 0-2, dilation 1-2, groups 1/2/channel-wise, both modes, non-square. */
    static Case randomCase(Rng rng) {
        while (true) {
            int groups = new int[] {1, 2, 0}[rng.nextInt(3)];
            int cinG = 1 + rng.nextInt(3);
            int coutG = 1 + rng.nextInt(3);
            if (groups == 0) { // depthwise: groups = channels, one input channel per group
                groups = 1 + rng.nextInt(4);
                cinG = 1;
            }
            Conv2dSpec s = new Conv2dSpec(1 + rng.nextInt(2), 1 + rng.nextInt(2), rng.nextInt(3), rng.nextInt(3),
                    1 + rng.nextInt(2), 1 + rng.nextInt(2), groups,
                    rng.nextInt(2) == 0 ? PaddingMode.ZEROS : PaddingMode.CIRCULAR);
            Case c = new Case(1 + rng.nextInt(2), cinG * groups, coutG * groups, 1 + rng.nextInt(7),
                    1 + rng.nextInt(7), 1 + rng.nextInt(3), 1 + rng.nextInt(3), s);
            boolean circularOk = s.mode() == PaddingMode.ZEROS || (s.padH() <= c.h && s.padW() <= c.w);
            if (circularOk && c.ho() >= 1 && c.wo() >= 1) {
                return c;
            }
        }
    }

    /** The definition, written as directly as possible, in float64. */
    static double[] naiveConv(double[] x, double[] w, double[] b, Case c) {
        Conv2dSpec s = c.s();
        int g = s.groups();
        int cinG = c.cin() / g;
        int coutG = c.cout() / g;
        double[] y = new double[c.n() * c.cout() * c.ho() * c.wo()];
        int at = 0;
        for (int n = 0; n < c.n(); n++) {
            for (int o = 0; o < c.cout(); o++) {
                for (int i = 0; i < c.ho(); i++) {
                    for (int j = 0; j < c.wo(); j++) {
                        double acc = b == null ? 0 : b[o];
                        for (int ci = 0; ci < cinG; ci++) {
                            int ch = (o / coutG) * cinG + ci;
                            for (int p = 0; p < c.kh(); p++) {
                                for (int q = 0; q < c.kw(); q++) {
                                    int r = i * s.strideH() - s.padH() + p * s.dilationH();
                                    int col = j * s.strideW() - s.padW() + q * s.dilationW();
                                    if (s.mode() == PaddingMode.CIRCULAR) {
                                        r = Math.floorMod(r, c.h());
                                        col = Math.floorMod(col, c.w());
                                    } else if (r < 0 || r >= c.h() || col < 0 || col >= c.w()) {
                                        continue;
                                    }
                                    acc += w[((o * cinG + ci) * c.kh() + p) * c.kw() + q]
                                            * x[((n * c.cin() + ch) * c.h() + r) * c.w() + col];
                                }
                            }
                        }
                        y[at++] = acc;
                    }
                }
            }
        }
        return y;
    }

    static double dot(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        assertEquals(x.length, y.length);
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }

    static void assertRelClose(double expected, double actual, double rel) {
        assertTrue(Math.abs(expected - actual) <= rel * Math.max(1, Math.abs(expected)),
                () -> "expected " + expected + " got " + actual);
    }

    @Test
    void reusedPaddedCopiesLeaveNoStaleValues() {
        Rng rng = new Rng(41);
        // a large convolution full of NaN leaves NaN in this thread's buffer of padded planes ...
        Tensor nan = Tensor.full(DType.FLOAT32, Double.NaN, 2, 8, 30, 30);
        Tensor w8 = Tensor.randn(rng, 8, 8, 3, 3);
        assertTrue(Double.isNaN(Conv.conv2d(nan, w8, null, Conv2dSpec.of(1, 1)).sum().item()));
        // ... which smaller padded convolutions, and both adjoints, must not see: float64 (lowered) is the reference
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 2, 8, 9, 7);
        Tensor w = Tensor.randn(rng, DType.FLOAT64, 8, 8, 3, 3);
        for (int pad : new int[] {1, 2}) {
            Conv2dSpec sp = Conv2dSpec.of(1, pad);
            Tensor y = Conv.conv2d(x, w, null, sp);
            Tensor gy = Tensor.randn(rng, DType.FLOAT64, y.shape());
            Tensor x32 = x.to(DType.FLOAT32);
            Tensor w32 = w.to(DType.FLOAT32);
            Tensor gy32 = gy.to(DType.FLOAT32);
            assertTrue(Conv.conv2d(nan, w8, null, sp).isContiguous());
            assertTrue(Conv.conv2d(x32, w32, null, sp).to(DType.FLOAT64).allClose(y, 1e-4, 1e-4), "forward pad " + pad);
            Conv.conv2d(nan, w8, null, sp);
            assertTrue(Conv.conv2dInput(gy32, w32, 9, 7, sp).to(DType.FLOAT64)
                    .allClose(Conv.conv2dInput(gy, w, 9, 7, sp), 1e-4, 1e-4), "input adjoint pad " + pad);
            Conv.conv2d(nan, w8, null, sp);
            assertTrue(Conv.conv2dWeight(x32, gy32, 3, 3, sp).to(DType.FLOAT64)
                    .allClose(Conv.conv2dWeight(x, gy, 3, 3, sp), 1e-4, 1e-4), "weight adjoint pad " + pad);
        }
    }

    @Test
    void knownAnswers() {
        Tensor diag = Tensor.of(new double[] {1, 0, 0, -1}, 1, 1, 2, 2);
        Tensor y = Conv.conv2d(X33, diag, Tensor.of(new double[] {1}, 1), Conv2dSpec.defaults());
        assertArrayEquals(new double[] {-3, -3, -3, -3}, y.toDoubleArray());
        assertArrayEquals(new int[] {1, 1, 2, 2}, y.shape());

        Tensor ones = Tensor.ones(DType.FLOAT64, 1, 1, 3, 3);
        assertArrayEquals(new double[] {12, 21, 16, 27, 45, 33, 24, 39, 28},
                Conv.conv2d(X33, ones, null, Conv2dSpec.of(1, 1)).toDoubleArray());
        assertArrayEquals(new double[] {12, 16, 24, 28},
                Conv.conv2d(X33, ones, null, Conv2dSpec.of(2, 1)).toDoubleArray());
        // circular padding by one wraps the 3x3 kernel around the whole 3x3 image
        assertArrayEquals(new double[] {45, 45, 45, 45, 45, 45, 45, 45, 45},
                Conv.conv2d(X33, ones, null, Conv2dSpec.of(1, 1).withMode(PaddingMode.CIRCULAR)).toDoubleArray());
        // dilation 2 reads the corners
        assertArrayEquals(new double[] {20}, Conv.conv2d(X33, Tensor.ones(DType.FLOAT64, 1, 1, 2, 2), null,
                Conv2dSpec.defaults().withDilation(2)).toDoubleArray());
        // two groups: each output channel sees only its own input channel
        Tensor x2 = Tensor.of(new double[] {2, 3}, 1, 2, 1, 1);
        Tensor w2 = Tensor.of(new double[] {10, 100}, 2, 1, 1, 1);
        assertArrayEquals(new double[] {20, 300},
                Conv.conv2d(x2, w2, null, Conv2dSpec.defaults().withGroups(2)).toDoubleArray());
        // input adjoint of a 1x1 stride-2 conv places values on the even grid
        Tensor gx = Conv.conv2dInput(Tensor.of(new double[] {1, 2, 3, 4}, 1, 1, 2, 2),
                Tensor.of(new double[] {2}, 1, 1, 1, 1), 3, 4, Conv2dSpec.of(2, 0));
        assertArrayEquals(new double[] {2, 0, 4, 0, 0, 0, 0, 0, 6, 0, 8, 0}, gx.toDoubleArray());
        // weight adjoint with a 1x1 output is the input window itself
        Tensor gw = Conv.conv2dWeight(X33, Tensor.of(new double[] {2}, 1, 1, 1, 1), 3, 3, Conv2dSpec.defaults());
        assertArrayEquals(new double[] {2, 4, 6, 8, 10, 12, 14, 16, 18}, gw.toDoubleArray());
        assertEquals(4, Conv.outputSize(7, 3, 2, 1, 1));
        assertEquals(4, Conv.outputSize(8, 3, 2, 1, 1));
        assertEquals(1, Conv.outputSize(5, 3, 1, 0, 2));
    }

    @Test
    void matchesNaiveLoopsAndFloat32() {
        Rng rng = new Rng(11);
        for (int t = 0; t < 150; t++) {
            Case c = randomCase(rng);
            Tensor x = Tensor.randn(rng, DType.FLOAT64, c.n(), c.cin(), c.h(), c.w());
            Tensor w = Tensor.randn(rng, DType.FLOAT64, c.cout(), c.cin() / c.s().groups(), c.kh(), c.kw());
            Tensor b = t % 2 == 0 ? Tensor.randn(rng, DType.FLOAT64, c.cout()) : null;
            double[] expect = naiveConv(x.toDoubleArray(), w.toDoubleArray(), b == null ? null : b.toDoubleArray(), c);
            Tensor y = Conv.conv2d(x, w, b, c.s());
            assertArrayEquals(new int[] {c.n(), c.cout(), c.ho(), c.wo()}, y.shape(), c.toString());
            assertArrayEquals(expect, y.toDoubleArray(), 1e-12, c.toString());
            Tensor y32 = Conv.conv2d(x.to(DType.FLOAT32), w.to(DType.FLOAT32), b == null ? null : b.to(DType.FLOAT32),
                    c.s());
            assertEquals(DType.FLOAT32, y32.dtype());
            assertTrue(y32.allClose(y, 1e-4, 1e-4), c.toString());
            Tensor gy = Tensor.randn(rng, DType.FLOAT64, y.shape());
            assertTrue(Conv.conv2dInput(gy.to(DType.FLOAT32), w.to(DType.FLOAT32), c.h(), c.w(), c.s())
                    .allClose(Conv.conv2dInput(gy, w, c.h(), c.w(), c.s()), 1e-4, 1e-4), c.toString());
            assertTrue(Conv.conv2dWeight(x.to(DType.FLOAT32), gy.to(DType.FLOAT32), c.kh(), c.kw(), c.s())
                    .allClose(Conv.conv2dWeight(x, gy, c.kh(), c.kw(), c.s()), 1e-4, 1e-4), c.toString());
        }
    }

    @Test
    void adjointDotProducts() {
        Rng rng = new Rng(12);
        for (int t = 0; t < 150; t++) {
            Case c = randomCase(rng);
            Tensor x = Tensor.randn(rng, DType.FLOAT64, c.n(), c.cin(), c.h(), c.w());
            Tensor w = Tensor.randn(rng, DType.FLOAT64, c.cout(), c.cin() / c.s().groups(), c.kh(), c.kw());
            Tensor gy = Tensor.randn(rng, DType.FLOAT64, c.n(), c.cout(), c.ho(), c.wo());
            double lhs = dot(Conv.conv2d(x, w, null, c.s()), gy);
            assertRelClose(lhs, dot(x, Conv.conv2dInput(gy, w, c.h(), c.w(), c.s())), 1e-10);
            assertRelClose(lhs, dot(w, Conv.conv2dWeight(x, gy, c.kh(), c.kw(), c.s())), 1e-10);
        }
    }

    @Test
    void manyChannelsUseSeveralColumnTiles() {
        Rng rng = new Rng(16);
        for (PaddingMode mode : PaddingMode.values()) {
            // Cin·kh·kw = 3600 keeps the column tile at 16 of the 35 output positions
            Case c = new Case(2, 240, 4, 7, 5, 3, 5, new Conv2dSpec(1, 1, 1, 2, 1, 1, 2, mode));
            Tensor x = Tensor.randn(rng, DType.FLOAT64, c.n(), c.cin(), c.h(), c.w());
            Tensor w = Tensor.randn(rng, DType.FLOAT64, c.cout(), c.cin() / 2, c.kh(), c.kw());
            Tensor y = Conv.conv2d(x, w, null, c.s());
            assertArrayEquals(naiveConv(x.toDoubleArray(), w.toDoubleArray(), null, c), y.toDoubleArray(), 1e-11);
            Tensor gy = Tensor.randn(rng, DType.FLOAT64, y.shape());
            double lhs = dot(y, gy);
            assertRelClose(lhs, dot(x, Conv.conv2dInput(gy, w, c.h(), c.w(), c.s())), 1e-10);
            assertRelClose(lhs, dot(w, Conv.conv2dWeight(x, gy, c.kh(), c.kw(), c.s())), 1e-10);
        }
    }

    @Test
    void stridedInputsAreRead() {
        Rng rng = new Rng(13);
        Conv2dSpec s = Conv2dSpec.of(2, 1).withDilation(2);
        // non-contiguous views: a permuted tensor and a narrowed one with a non-zero offset
        Tensor xt = Tensor.randn(rng, DType.FLOAT32, 2, 9, 3, 8).permute(0, 2, 3, 1).narrow(3, 1, 7);
        Tensor w = Tensor.randn(rng, DType.FLOAT32, 4, 3, 3, 2);
        Tensor y = Conv.conv2d(xt, w, null, s);
        assertTrue(y.allClose(Conv.conv2d(xt.contiguous(), w, null, s), 0, 0));
        Tensor gy = Tensor.randn(rng, DType.FLOAT32, 2, y.size(3), y.size(2), 5).permute(0, 3, 2, 1).narrow(1, 1, 4);
        assertArrayEquals(y.shape(), gy.shape());
        assertTrue(Conv.conv2dInput(gy, w.permute(0, 1, 3, 2).contiguous().permute(0, 1, 3, 2), 8, 7, s)
                .allClose(Conv.conv2dInput(gy.contiguous(), w, 8, 7, s), 0, 0));
        assertTrue(Conv.conv2dWeight(xt, gy, 3, 2, s)
                .allClose(Conv.conv2dWeight(xt.contiguous(), gy.contiguous(), 3, 2, s), 0, 0));
    }

    /** A stride-1 case for the float32 shifted-rows path: both GEMM and narrow (few taps) forwards, awkward sizes. */
    static Case shiftedCase(Rng rng, int t) {
        int groups = 1 + rng.nextInt(2);
        int cinG = t % 3 == 0 ? 1 + rng.nextInt(2) : 4 + rng.nextInt(9);
        int coutG = 1 + rng.nextInt(t % 2 == 0 ? 20 : 70);
        Conv2dSpec s = new Conv2dSpec(1, 1, rng.nextInt(3), rng.nextInt(3), 1 + rng.nextInt(2), 1 + rng.nextInt(2),
                groups, t % 4 == 3 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS);
        int kh = 1 + rng.nextInt(3);
        int kw = 1 + rng.nextInt(3);
        int h = Math.max(s.padH(), s.dilationH() * (kh - 1) + 1) + rng.nextInt(15);
        int w = Math.max(s.padW(), s.dilationW() * (kw - 1) + 1) + rng.nextInt(40);
        return new Case(1 + rng.nextInt(3), cinG * groups, coutG * groups, h, w, kh, kw, s);
    }

    @Test
    void shiftedRowsPathMatchesNaiveLoopsOnBothThreadCounts() {
        Rng rng = new Rng(17);
        int threads = Workers.threads();
        try {
            // plus first-layer shapes: few taps (the weight adjoint in dot form) and few output channels (the forward
            // sums shifted planes)
            Case[] fixed = {new Case(2, 1, 5, 9, 11, 3, 3, Conv2dSpec.of(1, 1)),
                new Case(3, 3, 2, 6, 7, 3, 3, Conv2dSpec.of(1, 1)), new Case(2, 2, 6, 5, 20, 2, 3, Conv2dSpec.of(1, 0))};
            for (int t = 0; t < 24 + fixed.length; t++) {
                Case c = t < 24 ? shiftedCase(rng, t) : fixed[t - 24];
                Tensor x = Tensor.randn(rng, DType.FLOAT32, c.n(), c.cin(), c.h(), c.w());
                Tensor w = Tensor.randn(rng, DType.FLOAT32, c.cout(), c.cin() / c.s().groups(), c.kh(), c.kw());
                Tensor b = Tensor.randn(rng, DType.FLOAT32, c.cout());
                Tensor gy = Tensor.randn(rng, DType.FLOAT32, c.n(), c.cout(), c.ho(), c.wo());
                Tensor want = Tensor.of(naiveConv(x.toDoubleArray(), w.toDoubleArray(), b.toDoubleArray(), c),
                        c.n(), c.cout(), c.ho(), c.wo());
                Tensor[] first = null;
                for (int th : new int[] {1, 2}) {
                    Workers.setThreads(th);
                    Tensor[] got = {Conv.conv2d(x, w, b, c.s()), Conv.conv2dInput(gy, w, c.h(), c.w(), c.s()),
                            Conv.conv2dWeight(x, gy, c.kh(), c.kw(), c.s())};
                    assertTrue(got[0].allClose(want.to(DType.FLOAT32), 1e-4, 1e-4), c + " threads " + th);
                    // the adjoints against the lowering path in float64 (itself checked against naive loops)
                    Tensor x64 = x.to(DType.FLOAT64);
                    Tensor w64 = w.to(DType.FLOAT64);
                    Tensor gy64 = gy.to(DType.FLOAT64);
                    assertTrue(got[1].allClose(Conv.conv2dInput(gy64, w64, c.h(), c.w(), c.s()).to(DType.FLOAT32),
                            1e-4, 1e-4), c + " input adjoint, threads " + th);
                    assertTrue(got[2].allClose(Conv.conv2dWeight(x64, gy64, c.kh(), c.kw(), c.s())
                            .to(DType.FLOAT32), 1e-3, 1e-4), c + " weight adjoint, threads " + th);
                    if (first == null) {
                        first = got;
                    } else {
                        for (int i = 0; i < 3; i++) {
                            assertArrayEquals(first[i].toFloatArray(), got[i].toFloatArray(), c + " op " + i);
                        }
                    }
                }
            }
        } finally {
            Workers.setThreads(threads);
        }
    }

    @Test
    void shiftedRowsPathReadsOffsetViews() {
        boolean saved = Conv.shiftedPath();
        assertEquals(Backend.vectorized(), saved, "the shifted-rows path is on exactly with the Vector API kernels");
        Rng rng = new Rng(18);
        Conv2dSpec s = Conv2dSpec.of(1, 1);
        // a narrowed batch has a non-zero offset and stays contiguous
        Tensor x = Tensor.randn(rng, DType.FLOAT32, 3, 5, 9, 11).narrow(0, 1, 2);
        Tensor w = Tensor.randn(rng, DType.FLOAT32, 7, 5, 3, 3);
        Tensor gy = Tensor.randn(rng, DType.FLOAT32, 3, 7, 9, 11).narrow(0, 2, 1).expand(2, 7, 9, 11);
        try {
            // forced on, so that the plain-Java kernels (which default to the lowering) run the path too
            Conv.setShiftedPath(true);
            Tensor y = Conv.conv2d(x, w, null, s);
            Tensor gx = Conv.conv2dInput(gy, w, 9, 11, s);
            Tensor gw = Conv.conv2dWeight(x, gy, 3, 3, s);
            Conv.setShiftedPath(false);
            assertTrue(y.allClose(Conv.conv2d(x.contiguous(), w, null, s), 1e-5, 1e-5));
            assertTrue(gx.allClose(Conv.conv2dInput(gy.contiguous(), w, 9, 11, s), 1e-5, 1e-5));
            assertTrue(gw.allClose(Conv.conv2dWeight(x.contiguous(), gy.contiguous(), 3, 3, s), 1e-4, 1e-5));
        } finally {
            Conv.setShiftedPath(saved);
        }
    }

    @Test
    void winogradMatchesFloat64SumsAndDoesNotDependOnTheThreadCount() {
        boolean shifted = Conv.shiftedPath();
        boolean winograd = Conv.winogradPath();
        int threads = Workers.threads();
        Rng rng = new Rng(19);
        // n, cin, cout, h, w, padding: ragged 2×2 blocks (odd sizes), ragged row panels (cout, or for the weight
        // adjoint cin, not a multiple of the tile's rows), blocks of patches that span images (in the weight adjoint
        // several blocks per image and several images per partial sum), and paddings 0–2 (the input adjoint's own
        // padding 2–0)
        int[][] cases = {{1, 8, 8, 6, 6, 1}, {2, 13, 11, 7, 9, 1}, {3, 8, 64, 28, 28, 1}, {2, 9, 10, 5, 4, 0},
            {1, 16, 8, 6, 7, 2}, {4, 32, 20, 14, 14, 1}, {19, 10, 9, 29, 27, 1}};
        try {
            Conv.setShiftedPath(true); // so that the plain-Java kernels run the path too
            for (int[] c : cases) {
                Conv2dSpec s = Conv2dSpec.of(1, c[5]);
                // a narrowed batch: a view with an offset
                Tensor x = Tensor.randn(rng, DType.FLOAT32, c[0] + 1, c[1], c[3], c[4]).narrow(0, 1, c[0]);
                Tensor w = Tensor.randn(rng, DType.FLOAT32, c[2], c[1], 3, 3);
                Tensor b = Tensor.randn(rng, DType.FLOAT32, c[2]);
                Tensor gy = Tensor.randn(rng, DType.FLOAT32, c[0], c[2], c[3] + 2 * c[5] - 2, c[4] + 2 * c[5] - 2);
                Conv.setWinogradPath(true);
                Tensor[] first = null;
                for (int th = 1; th <= 3; th++) {
                    Workers.setThreads(th);
                    Tensor[] got = {Conv.conv2d(x, w, b, s), Conv.conv2dInput(gy, w, c[3], c[4], s),
                        Conv.conv2dWeight(x, gy, 3, 3, s)};
                    if (first == null) {
                        first = got;
                    } else {
                        for (int i = 0; i < 3; i++) {
                            assertArrayEquals(first[i].toFloatArray(), got[i].toFloatArray(), "threads " + th);
                        }
                    }
                }
                String at = java.util.Arrays.toString(c);
                Tensor y64 = Conv.conv2d(x.to(DType.FLOAT64), w.to(DType.FLOAT64), b.to(DType.FLOAT64), s);
                Tensor gx64 = Conv.conv2dInput(gy.to(DType.FLOAT64), w.to(DType.FLOAT64), c[3], c[4], s);
                assertTrue(first[0].to(DType.FLOAT64).allClose(y64, 1e-4, 1e-4), "forward " + at);
                assertTrue(first[1].to(DType.FLOAT64).allClose(gx64, 1e-4, 1e-4), "input adjoint " + at);
                Tensor gw64 = Conv.conv2dWeight(x.to(DType.FLOAT64), gy.to(DType.FLOAT64), 3, 3, s);
                assertTrue(first[2].to(DType.FLOAT64).allClose(gw64, 1e-4, 1e-4), "weight adjoint " + at);
                // the direct sums round differently: equal bits would mean the Winograd path did not run
                Conv.setWinogradPath(false);
                assertFalse(java.util.Arrays.equals(first[0].toFloatArray(), Conv.conv2d(x, w, b, s).toFloatArray()),
                        "forward " + at + " did not run by Winograd");
                assertFalse(java.util.Arrays.equals(first[1].toFloatArray(),
                        Conv.conv2dInput(gy, w, c[3], c[4], s).toFloatArray()), "input adjoint " + at);
                assertFalse(java.util.Arrays.equals(first[2].toFloatArray(),
                        Conv.conv2dWeight(x, gy, 3, 3, s).toFloatArray()), "weight adjoint " + at);
            }
        } finally {
            Conv.setShiftedPath(shifted);
            Conv.setWinogradPath(winograd);
            Workers.setThreads(threads);
        }
    }

    @Test
    void circularEqualsPaddingThenValidConvolution() {
        Rng rng = new Rng(14);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 2, 4, 5, 6);
        Tensor w = Tensor.randn(rng, DType.FLOAT64, 6, 2, 3, 2);
        Conv2dSpec circ = new Conv2dSpec(2, 1, 2, 1, 1, 2, 2, PaddingMode.CIRCULAR);
        Conv2dSpec valid = new Conv2dSpec(2, 1, 0, 0, 1, 2, 2, PaddingMode.ZEROS);
        int[] pads = {1, 1, 2, 2};
        Tensor xp = Spatial.pad(x, pads, PaddingMode.CIRCULAR);
        Tensor y = Conv.conv2d(x, w, null, circ);
        assertTrue(y.allClose(Conv.conv2d(xp, w, null, valid), 1e-12, 1e-12));
        Tensor gy = Tensor.randn(rng, DType.FLOAT64, y.shape());
        Tensor folded = Spatial.padAdjoint(Conv.conv2dInput(gy, w, 9, 8, valid), pads, PaddingMode.CIRCULAR);
        assertTrue(Conv.conv2dInput(gy, w, 5, 6, circ).allClose(folded, 1e-12, 1e-12));
    }

    @Test
    void backwardEqualsBothAdjointsBitForBit() {
        Rng rng = new Rng(16);
        // few input channels (one pass over gy), also with groups, dilation, circular padding and a 1x1 kernel;
        // then a wide layer and float64, which run the two adjoints
        Object[][] cases = {
            {new int[] {5, 1, 12, 11}, new int[] {16, 1, 3, 3}, Conv2dSpec.of(1, 1), DType.FLOAT32},
            {new int[] {3, 2, 9, 10}, new int[] {6, 1, 3, 2}, Conv2dSpec.of(1, 1).withGroups(2).withDilation(2),
                DType.FLOAT32},
            {new int[] {3, 3, 7, 8}, new int[] {5, 3, 3, 3}, Conv2dSpec.of(1, 1).withMode(PaddingMode.CIRCULAR),
                DType.FLOAT32},
            {new int[] {2, 3, 6, 6}, new int[] {4, 3, 1, 1}, Conv2dSpec.of(1, 0), DType.FLOAT32},
            {new int[] {2, 8, 6, 6}, new int[] {4, 8, 3, 3}, Conv2dSpec.of(1, 1), DType.FLOAT32},
            {new int[] {2, 1, 6, 6}, new int[] {4, 1, 3, 3}, Conv2dSpec.of(1, 1), DType.FLOAT64}};
        int before = Workers.threads();
        try {
            for (Object[] c : cases) {
                Tensor x = Tensor.randn(rng, (DType) c[3], (int[]) c[0]);
                Tensor w = Tensor.randn(rng, (DType) c[3], (int[]) c[1]);
                Conv2dSpec s = (Conv2dSpec) c[2];
                Tensor gy = Tensor.randn(rng, (DType) c[3], Conv.conv2d(x, w, null, s).shape());
                for (int threads : new int[] {1, 2, 3}) {
                    Workers.setThreads(threads);
                    Tensor[] b = Conv.conv2dBackward(x, gy, w, s);
                    String what = Shapes.str(x.shape()) + " " + threads + " threads";
                    assertArrayEquals(Conv.conv2dInput(gy, w, x.size(2), x.size(3), s).toDoubleArray(),
                            b[0].toDoubleArray(), what);
                    assertArrayEquals(Conv.conv2dWeight(x, gy, w.size(2), w.size(3), s).toDoubleArray(),
                            b[1].toDoubleArray(), what);
                }
            }
        } finally {
            Workers.setThreads(before);
        }
        Tensor x = Tensor.randn(rng, 2, 1, 6, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv.conv2dBackward(x,
                Tensor.randn(rng, 2, 4, 5, 6), Tensor.randn(rng, 4, 1, 3, 3), Conv2dSpec.of(1, 1)));
        assertTrue(e.getMessage().startsWith("conv2dBackward:"), e.getMessage());
    }

    @Test
    void weightAdjointDoesNotDependOnThreadCount() {
        Rng rng = new Rng(15);
        Tensor x = Tensor.randn(rng, 19, 3, 10, 10);
        Tensor gy = Tensor.randn(rng, 19, 8, 10, 10);
        Conv2dSpec s = Conv2dSpec.of(1, 1);
        int before = Workers.threads();
        try {
            Workers.setThreads(1);
            Tensor one = Conv.conv2dWeight(x, gy, 3, 3, s);
            Workers.setThreads(3);
            assertArrayEquals(one.toFloatArray(), Conv.conv2dWeight(x, gy, 3, 3, s).toFloatArray());
        } finally {
            Workers.setThreads(before);
        }
    }

    @Test
    void badInputsNameTheOpAndShapes() {
        Tensor x = Tensor.zeros(2, 3, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conv.conv2d(x, Tensor.zeros(4, 5, 3, 3), null, Conv2dSpec.defaults()));
        assertEquals("conv2d: input channels differ: input [2, 3, 8, 8] has 3, weight [4, 5, 3, 3] expects 5",
                e.getMessage());
        assertMessage("conv2d: groups 2", () -> Conv.conv2d(x, Tensor.zeros(4, 1, 3, 3), null,
                Conv2dSpec.defaults().withGroups(2)));
        assertMessage("conv2d: input must have 4 dims, got [3, 8, 8]",
                () -> Conv.conv2d(Tensor.zeros(3, 8, 8), Tensor.zeros(4, 3, 3, 3), null, Conv2dSpec.defaults()));
        assertMessage("conv2d: kernel extent 9", () -> Conv.conv2d(x, Tensor.zeros(4, 3, 5, 5), null,
                Conv2dSpec.defaults().withDilation(2)));
        assertMessage("conv2d: bias must be", () -> Conv.conv2d(x, Tensor.zeros(4, 3, 3, 3), Tensor.zeros(3),
                Conv2dSpec.defaults()));
        assertMessage("conv2d: dtypes differ", () -> Conv.conv2d(x, Tensor.zeros(DType.FLOAT64, 4, 3, 3, 3), null,
                Conv2dSpec.defaults()));
        assertMessage("conv2d: circular padding (9, 9)", () -> Conv.conv2d(x, Tensor.zeros(4, 3, 3, 3), null,
                Conv2dSpec.of(1, 9).withMode(PaddingMode.CIRCULAR)));
        assertMessage("conv2dInput: gradient [2, 4, 5, 6] does not match the output shape [2, 4, 6, 6]",
                () -> Conv.conv2dInput(Tensor.zeros(2, 4, 5, 6), Tensor.zeros(4, 3, 3, 3), 8, 8, Conv2dSpec.defaults()));
        assertMessage("conv2dWeight: gradient [3, 4, 6, 6] does not match the output shape [2, 4, 6, 6]",
                () -> Conv.conv2dWeight(x, Tensor.zeros(3, 4, 6, 6), 3, 3, Conv2dSpec.defaults()));
        assertMessage("Conv2dSpec: need stride >= 1", () -> Conv2dSpec.of(0, 1));
        assertMessage("Conv2dSpec: need stride >= 1", () -> Conv2dSpec.defaults().withPadding(-1));
        assertMessage("outputSize: kernel extent 5", () -> Conv.outputSize(2, 3, 1, 1, 2));
    }

    @Test
    void specFactories() {
        Conv2dSpec s = Conv2dSpec.of(2, 1).withDilation(3).withGroups(4).withMode(PaddingMode.CIRCULAR);
        assertEquals(new Conv2dSpec(2, 2, 1, 1, 3, 3, 4, PaddingMode.CIRCULAR), s);
        assertEquals(new Conv2dSpec(1, 1, 0, 0, 1, 1, 1, PaddingMode.ZEROS), Conv2dSpec.defaults());
    }

    static void assertMessage(String prefix, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(prefix), () -> "message: " + e.getMessage());
    }
}
