package dev.jacobi.core;

import static dev.jacobi.core.ConvTest.assertMessage;
import static dev.jacobi.core.ConvTest.assertRelClose;
import static dev.jacobi.core.ConvTest.dot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SpatialTest {
    @Test
    void padKnownAnswers() {
        Tensor v = Tensor.of(new float[] {1, 2, 3}, 3);
        assertArrayEquals(new double[] {0, 0, 1, 2, 3, 0}, Spatial.pad(v, new int[] {2, 1}, PaddingMode.ZEROS)
                .toDoubleArray());
        assertArrayEquals(new double[] {2, 3, 1, 2, 3, 1}, Spatial.pad(v, new int[] {2, 1}, PaddingMode.CIRCULAR)
                .toDoubleArray());
        Tensor m = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 1, 2, 3);
        Tensor p = Spatial.pad(m, new int[] {1, 1, 1, 1}, PaddingMode.CIRCULAR);
        assertArrayEquals(new int[] {1, 4, 5}, p.shape());
        assertArrayEquals(new double[] {6, 4, 5, 6, 4, 3, 1, 2, 3, 1, 6, 4, 5, 6, 4, 3, 1, 2, 3, 1}, p.toDoubleArray());
        // two pads touch only the last dim of a 2-D tensor
        Tensor r = Spatial.pad(m.reshape(2, 3), new int[] {0, 1}, PaddingMode.ZEROS);
        assertArrayEquals(new double[] {1, 2, 3, 0, 4, 5, 6, 0}, r.toDoubleArray());
        // the adjoint of circular padding folds the border back
        Tensor g = Tensor.ones(DType.FLOAT64, 6);
        assertArrayEquals(new double[] {2, 2, 2}, Spatial.padAdjoint(g, new int[] {2, 1}, PaddingMode.CIRCULAR)
                .toDoubleArray());
        assertArrayEquals(new double[] {1, 1, 1}, Spatial.padAdjoint(g, new int[] {2, 1}, PaddingMode.ZEROS)
                .toDoubleArray());
    }

    @Test
    void padAdjointDotProducts() {
        Rng rng = new Rng(31);
        for (int t = 0; t < 60; t++) {
            int h = 1 + rng.nextInt(5);
            int w = 1 + rng.nextInt(5);
            PaddingMode mode = t % 2 == 0 ? PaddingMode.ZEROS : PaddingMode.CIRCULAR;
            int[] pads = t % 3 == 0 ? new int[] {rng.nextInt(w + 1), rng.nextInt(w + 1)}
                    : new int[] {rng.nextInt(w + 1), rng.nextInt(w + 1), rng.nextInt(h + 1), rng.nextInt(h + 1)};
            Tensor x = Tensor.randn(rng, DType.FLOAT64, 2, 3, h, w).transpose(0, 1); // strided input
            Tensor y = Spatial.pad(x, pads, mode);
            Tensor g = Tensor.randn(rng, DType.FLOAT64, y.shape());
            Tensor back = Spatial.padAdjoint(g, pads, mode);
            assertArrayEquals(x.shape(), back.shape());
            assertRelClose(dot(y, g), dot(x, back), 1e-10);
            assertTrue(Spatial.pad(x.to(DType.FLOAT32), pads, mode).allClose(y, 1e-6, 0));
            if (mode == PaddingMode.ZEROS) {
                assertTrue(Spatial.padAdjoint(y, pads, mode).allClose(x, 0, 0)); // crop undoes padding
            }
        }
    }

    @Test
    void pixelShuffleKnownAnswersAndInverse() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 4, 1, 1);
        assertArrayEquals(new double[] {1, 2, 3, 4}, Spatial.pixelShuffle(x, 2).toDoubleArray());
        assertArrayEquals(new int[] {1, 1, 2, 2}, Spatial.pixelShuffle(x, 2).shape());
        Rng rng = new Rng(32);
        for (DType dt : DType.values()) {
            Tensor a = Tensor.randn(rng, dt, 2, 18, 2, 3);
            Tensor s = Spatial.pixelShuffle(a, 3);
            assertArrayEquals(new int[] {2, 2, 6, 9}, s.shape());
            for (int c = 0; c < 2; c++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        assertTrue(s.get(1, c, 3 + i, 6 + j) == a.get(1, c * 9 + i * 3 + j, 1, 2));
                    }
                }
            }
            assertTrue(Spatial.pixelUnshuffle(s, 3).allClose(a, 0, 0));
            Tensor b = Tensor.randn(rng, dt, 3, 2, 4, 6);
            assertTrue(Spatial.pixelShuffle(Spatial.pixelUnshuffle(b, 2), 2).allClose(b, 0, 0));
            Tensor u = Spatial.pixelUnshuffle(b, 2);
            Tensor gu = Tensor.randn(rng, dt, u.shape());
            assertRelClose(dot(u, gu), dot(b, Spatial.pixelShuffle(gu, 2)), 1e-6);
        }
    }

    @Test
    void badInputs() {
        Tensor x = Tensor.zeros(1, 1, 2, 3);
        assertMessage("pad: bad pads [4, 0, 0, 0] for CIRCULAR padding of shape [1, 1, 2, 3]",
                () -> Spatial.pad(x, new int[] {4, 0, 0, 0}, PaddingMode.CIRCULAR));
        assertMessage("pad: need 2 or 4 pads", () -> Spatial.pad(x, new int[] {1, 1, 1}, PaddingMode.ZEROS));
        assertMessage("pad: bad pads [-1, 0]", () -> Spatial.pad(x, new int[] {-1, 0}, PaddingMode.ZEROS));
        assertMessage("padAdjoint: bad pads [2, 2]", () -> Spatial.padAdjoint(x, new int[] {2, 2}, PaddingMode.ZEROS));
        assertMessage("pixelShuffle: channels 3 of [1, 3, 2, 2] are not divisible by r^2 = 4",
                () -> Spatial.pixelShuffle(Tensor.zeros(1, 3, 2, 2), 2));
        assertMessage("pixelUnshuffle: spatial size (2, 3)", () -> Spatial.pixelUnshuffle(x, 2));
        assertMessage("pixelShuffle: need a tensor with at least 3 dims", () -> Spatial.pixelShuffle(x, 0));
    }
}
