package dev.jacobi.datasets;

import dev.jacobi.core.Batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class DataLoaderTest {
    @Test
    void aUserTransformRunsLastOnEveryBatchAndIsSeeded() {
        float[] v = new float[8 * 2];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        Dataset d = Dataset.ofFloats(v, new int[] {2}, new int[] {0, 1, 0, 1, 0, 1, 0, 1}, 2);
        DataLoader.Transform noise = (x, rng) -> x.add(dev.jacobi.core.Tensor.randn(rng, x.shape()));
        DataLoader a = DataLoader.builder(d, 3).seed(5).normalize(new float[] {1, 1}, new float[] {2, 2}).transform(noise)
                .build();
        DataLoader b = DataLoader.builder(d, 3).seed(5).normalize(new float[] {1, 1}, new float[] {2, 2}).transform(noise)
                .build();
        DataLoader plain = DataLoader.builder(d, 3).seed(5).normalize(new float[] {1, 1}, new float[] {2, 2}).build();
        Batch x1 = a.epoch(0).iterator().next();
        Batch x2 = b.epoch(0).iterator().next();
        Batch p = plain.epoch(0).iterator().next();
        assertArrayEquals(x1.x().toDoubleArray(), x2.x().toDoubleArray(), 0, "the same seed gives the same noise");
        assertArrayEquals(p.y(), x1.y());
        assertFalse(Arrays.equals(p.x().toDoubleArray(), x1.x().toDoubleArray()), "the transform ran");
        DataLoader bad = DataLoader.builder(d, 3).transform((x, rng) -> x.narrow(0, 0, 1)).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bad.epoch(0).iterator().next());
        assertTrue(e.getMessage().contains("must keep the batch size"), e.getMessage());
    }

    /** n one-channel 2x3 images whose pixel (h, w) of sample i is i*6 + h*3 + w + 1 (so never 0). */
    private static Dataset ramp(int n) {
        float[] v = new float[n * 6];
        int[] y = new int[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 1;
        }
        for (int i = 0; i < n; i++) {
            y[i] = i % 4;
        }
        return Dataset.ofFloats(v, new int[] {1, 2, 3}, y, 4);
    }

    private static List<float[]> epoch(Iterable<Batch> batches) {
        List<float[]> out = new ArrayList<>();
        for (Batch b : batches) {
            out.add(b.x().toFloatArray());
        }
        return out;
    }

    private static int sampleId(float[] x, int j) {
        return (int) (x[j * 6] - 1) / 6;
    }

    @Test
    void eachEpochIsAPermutationInBatchesWithMatchingLabels() {
        Dataset d = ramp(10);
        DataLoader loader = DataLoader.builder(d, 4).seed(1).build();
        assertEquals(3, loader.batchesPerEpoch());
        boolean[] seen = new boolean[10];
        int[] sizes = new int[3];
        int k = 0;
        for (Batch b : loader.epoch(0)) {
            assertEquals(b.y().length, b.x().shape()[0]);
            assertArrayEquals(new int[] {1, 2, 3}, Arrays.copyOfRange(b.x().shape(), 1, 4));
            float[] x = b.x().toFloatArray();
            for (int j = 0; j < b.y().length; j++) {
                int id = sampleId(x, j);
                assertFalse(seen[id]);
                seen[id] = true;
                assertEquals(d.label(id), b.y()[j]);
            }
            sizes[k++] = b.y().length;
        }
        assertArrayEquals(new int[] {4, 4, 2}, sizes);
        for (boolean s : seen) {
            assertTrue(s);
        }
        DataLoader dropping = DataLoader.builder(d, 4).dropLast(true).build();
        assertEquals(2, dropping.batchesPerEpoch());
        assertEquals(2, epoch(dropping.epoch(3)).size());
        DataLoader ordered = DataLoader.builder(d, 4).shuffle(false).build();
        assertEquals(0, sampleId(epoch(ordered.epoch(5)).get(0), 0));
        assertEquals(9, sampleId(epoch(ordered.epoch(5)).get(2), 1));
    }

    @Test
    void shufflingIsDeterministicGivenSeedAndEpoch() {
        Dataset d = ramp(50);
        DataLoader a = DataLoader.builder(d, 8).seed(42).randomCrop(1).horizontalFlip(true).build();
        DataLoader b = DataLoader.builder(d, 8).seed(42).randomCrop(1).horizontalFlip(true).build();
        List<float[]> a0 = epoch(a);
        List<float[]> a1 = epoch(a);
        List<float[]> b0 = epoch(b.epoch(0));
        List<float[]> b1 = epoch(b.epoch(1));
        for (int i = 0; i < a0.size(); i++) {
            assertArrayEquals(b0.get(i), a0.get(i));
            assertArrayEquals(b1.get(i), a1.get(i));
        }
        assertFalse(Arrays.equals(a0.get(0), a1.get(0)), "epochs differ");
        List<float[]> other = epoch(DataLoader.builder(d, 8).seed(43).build().epoch(0));
        List<float[]> same = epoch(DataLoader.builder(d, 8).seed(42).build().epoch(0));
        assertFalse(Arrays.equals(other.get(0), same.get(0)), "seeds differ");
    }

    @Test
    void flipMirrorsRowsAndCropShiftsWithZeroPadding() {
        Dataset d = ramp(64);
        int flipped = 0;
        for (Batch b : DataLoader.builder(d, 16).seed(3).horizontalFlip(true).build().epoch(0)) {
            float[] x = b.x().toFloatArray();
            for (int j = 0; j < b.y().length; j++) {
                int base = sampleId(x, j) * 6 + 1;
                boolean mirror = x[j * 6] != base;
                flipped += mirror ? 1 : 0;
                for (int h = 0; h < 2; h++) {
                    for (int w = 0; w < 3; w++) {
                        assertEquals(base + h * 3 + (mirror ? 2 - w : w), x[j * 6 + h * 3 + w]);
                    }
                }
            }
        }
        assertTrue(flipped > 16 && flipped < 48, "about half flipped: " + flipped);

        Dataset one = ramp(1);
        boolean sawShift = false;
        for (int e = 0; e < 30; e++) {
            float[] x = epoch(DataLoader.builder(one, 1).seed(9).randomCrop(1).build().epoch(e)).get(0);
            // find the shift (dy, dx) in [-1, 1]^2 that explains the output; padded pixels must be 0
            boolean explained = false;
            for (int dy = -1; dy <= 1 && !explained; dy++) {
                for (int dx = -1; dx <= 1 && !explained; dx++) {
                    boolean ok = true;
                    for (int h = 0; h < 2; h++) {
                        for (int w = 0; w < 3; w++) {
                            int sh = h + dy, sw = w + dx;
                            float want = sh >= 0 && sh < 2 && sw >= 0 && sw < 3 ? sh * 3 + sw + 1 : 0;
                            ok &= x[h * 3 + w] == want;
                        }
                    }
                    explained = ok;
                    sawShift |= ok && (dy != 0 || dx != 0);
                }
            }
            assertTrue(explained, Arrays.toString(x));
        }
        assertTrue(sawShift);
    }

    @Test
    void normalisesPerChannel() {
        float[] v = {0.5f, 0.5f, 1f, 0f, 0.2f, 0.4f, 0.6f, 0.8f};
        Dataset d = Dataset.ofFloats(v, new int[] {2, 2}, new int[] {0, 1}, 2);
        DataLoader l = DataLoader.builder(d, 2).shuffle(false)
                .normalize(new float[] {0.5f, 0.25f}, new float[] {0.5f, 2f}).build();
        float[] x = l.epoch(0).iterator().next().x().toFloatArray();
        for (int i = 0; i < 8; i++) {
            int ch = (i % 4) / 2;
            float want = ch == 0 ? (v[i] - 0.5f) / 0.5f : (v[i] - 0.25f) / 2f;
            assertEquals(want, x[i], 1e-6f);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DataLoader.builder(d, 2).normalize(new float[3], new float[] {1, 1, 1}));
        assertTrue(e.getMessage().contains("2 channels") && e.getMessage().contains("3 means"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> DataLoader.builder(d, 2).normalize(new float[2], new float[] {1, 0}));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(d, 2).randomCrop(2));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(d, 0));
    }

    @Test
    void bundledMnistBatchesAreNchwFloat32InUnitRange() {
        Dataset m = Datasets.bundledMnistSplit().train();
        DataLoader l = DataLoader.builder(m, 128).seed(5).dropLast(true).build();
        assertEquals(62, l.batchesPerEpoch());
        Batch b = l.epoch(0).iterator().next();
        assertArrayEquals(new int[] {128, 1, 28, 28}, b.x().shape());
        assertEquals(dev.jacobi.core.DType.FLOAT32, b.x().dtype());
        assertTrue(b.x().min().item() >= 0 && b.x().max().item() <= 1 && b.x().max().item() > 0.99);
    }
}
