package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Tensor;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir
    Path dir;

    /** Decodes a bundled resource with plain JDK calls, independently of {@link Idx}. */
    private static byte[] resourcePayload(String name, int headerBytes) throws IOException {
        try (InputStream in = Datasets.class.getResourceAsStream(name);
             DataInputStream d = new DataInputStream(new GZIPInputStream(in))) {
            d.skipNBytes(headerBytes);
            return d.readAllBytes();
        }
    }

    @Test
    void bundledMnistHasKnownPixelsAndLabels() throws IOException {
        Dataset m = Datasets.bundledMnist();
        assertSame(m, Datasets.bundledMnist());
        assertEquals(10_000, m.size());
        assertArrayEquals(new int[] {1, 28, 28}, m.sampleShape());
        assertEquals(10, m.numClasses());
        // reference values computed outside Jacobi from the shared data files
        assertArrayEquals(new int[] {1, 9, 4, 1, 6, 6, 5, 4, 4, 5}, Arrays.copyOf(m.labels(), 10));
        assertArrayEquals(new int[] {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978}, m.classCounts());
        Tensor x = m.images(new int[] {0, 1, 9999});
        assertArrayEquals(new int[] {3, 1, 28, 28}, x.shape());
        assertEquals(244 / 255.0, x.get(0, 0, 14, 14), 1e-6);
        assertEquals(175 / 255.0, x.get(1, 0, 14, 14), 1e-6);
        assertEquals(253 / 255.0, x.get(2, 0, 14, 14), 1e-6);
        assertEquals(1.0, x.get(0, 0, 570 / 28, 570 % 28), 1e-6);
        assertEquals(10459 / 255.0, x.select(0, 0).sum().item(), 1e-2);
        assertEquals(24573 / 255.0, x.select(0, 2).sum().item(), 1e-2);
        // and every label and a whole image agree with an independent decoding of the resource
        byte[] labels = resourcePayload("mnist-10k-labels-idx1-ubyte.gz", 8);
        for (int i = 0; i < m.size(); i++) {
            assertEquals(labels[i] & 0xFF, m.label(i));
        }
        byte[] px = resourcePayload("mnist-10k-images-idx3-ubyte.gz", 16);
        float[] img = m.images(new int[] {4321}).toFloatArray();
        for (int j = 0; j < 784; j++) {
            assertEquals((px[4321 * 784 + j] & 0xFF) / 255f, img[j], 1e-7f);
        }
    }

    @Test
    void bundledResourcesMatchTheirPublishedChecksums() throws IOException {
        Path f = dir.resolve("r.gz");
        try (InputStream in = Datasets.class.getResourceAsStream("mnist-10k-images-idx3-ubyte.gz")) {
            Files.copy(in, f);
        }
        assertEquals("3e681b39466df6ba882ba4202a7f4369915511998e5d14c5e4a83b603b869b2a", Downloader.sha256(f));
        assertTrue(Datasets.class.getResource("NOTICE.md") != null, "attribution must ship with the data");
    }

    @Test
    void bundledSplitIsBalancedDeterministicAndDisjoint() {
        Split s = Datasets.bundledMnistSplit();
        assertEquals(8000, s.train().size());
        assertEquals(2000, s.test().size());
        int[] test = s.test().classCounts();
        int[] train = s.train().classCounts();
        int[] all = Datasets.bundledMnist().classCounts();
        for (int k = 0; k < 10; k++) {
            assertEquals(200, test[k]);
            assertEquals(all[k] - 200, train[k]);
        }
        Split again = Datasets.bundledMnistSplit();
        assertArrayEquals(s.test().labels(), again.test().labels());
        int[] idx = {0, 17, 1999};
        assertTrue(s.test().images(idx).allClose(again.test().images(idx), 0, 0));
    }

    /** A float set whose only feature is the sample's own index, so identity survives subsetting. */
    private static Dataset indexed(int n, int classes) {
        float[] v = new float[n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
            y[i] = (i * 7) % classes;
        }
        return Dataset.ofFloats(v, new int[] {1}, y, classes);
    }

    private static Set<Integer> ids(Dataset d) {
        Set<Integer> s = new HashSet<>();
        int[] all = new int[d.size()];
        Arrays.setAll(all, i -> i);
        for (float f : d.images(all).toFloatArray()) {
            s.add((int) f);
        }
        assertEquals(d.size(), s.size(), "no sample repeated");
        return s;
    }

    @Test
    void balancedSplitPartitionsTheSamples() {
        Dataset d = indexed(103, 4);
        Split s = d.balancedSplit(5, 9);
        Set<Integer> train = ids(s.train());
        Set<Integer> test = ids(s.test());
        assertEquals(20, test.size());
        assertArrayEquals(new int[] {5, 5, 5, 5}, s.test().classCounts());
        Set<Integer> union = new HashSet<>(train);
        union.addAll(test);
        assertEquals(103, union.size());
        train.retainAll(test);
        assertTrue(train.isEmpty());
        for (int i = 0; i < s.test().size(); i++) {
            int id = (int) s.test().images(new int[] {i}).item();
            assertEquals(d.label(id), s.test().label(i), "labels travel with their samples");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.balancedSplit(30, 1));
        assertTrue(e.getMessage().contains("balancedSplit") && e.getMessage().contains("30 requested"));
    }

    @Test
    void balancedSubsetsHaveEqualClassesAndDependOnlyOnTheSeed() {
        Dataset m = Datasets.bundledMnist();
        Dataset a = m.balancedSubset(1000, 3);
        int[] counts = a.classCounts();
        for (int c : counts) {
            assertEquals(100, c);
        }
        assertArrayEquals(new int[] {2, 2, 2, 1, 1, 1, 1, 1, 1, 1}, m.balancedSubset(13, 3).classCounts());
        Dataset d = indexed(200, 5);
        assertEquals(ids(d.balancedSubset(50, 3)), ids(d.balancedSubset(50, 3)));
        assertNotEquals(ids(d.balancedSubset(50, 3)), ids(d.balancedSubset(50, 4)));
        assertThrows(IllegalArgumentException.class, () -> d.balancedSubset(201, 0));
    }

    @Test
    void subsetIsAViewInTheGivenOrder() {
        Dataset d = indexed(10, 3);
        Dataset s = d.subset(new int[] {9, 2, 2}).subset(new int[] {2, 0});
        assertArrayEquals(new float[] {2, 9}, s.images(new int[] {0, 1}).toFloatArray());
        assertArrayEquals(new int[] {d.label(2), d.label(9)}, s.labels());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.subset(new int[] {10}));
        assertTrue(e.getMessage().contains("index 10"));
        assertThrows(IllegalArgumentException.class,
                () -> Dataset.ofBytes(new byte[5], new int[] {2}, new int[] {0, 1}, 2));
        assertThrows(IllegalArgumentException.class,
                () -> Dataset.ofFloats(new float[2], new int[] {1}, new int[] {0, 2}, 2));
    }

    private void writeIdxPair(String prefix, int n, int firstLabel) throws IOException {
        int[] y = new int[n];
        Arrays.fill(y, firstLabel);
        byte[] px = new byte[n * 4 * 4];
        px[0] = (byte) 200;
        Idx.write(dir.resolve(prefix + "-images-idx3-ubyte.gz"), new int[] {n, 4, 4}, px);
        Idx.writeLabels(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), y);
    }

    @Test
    void namedIdxSetsReadStandardAndFashionPrefixedNames() throws IOException {
        writeIdxPair("train", 3, 1);
        writeIdxPair("t10k", 2, 2);
        Split m = Datasets.mnist(dir);
        assertEquals(3, m.train().size());
        assertArrayEquals(new int[] {2, 2}, m.test().labels());
        assertEquals(200 / 255.0, m.train().images(new int[] {0}).get(0, 0, 0, 0), 1e-6);

        Path fashion = Files.createDirectories(dir.resolve("fashion-mnist"));
        Idx.write(fashion.resolve("fashion-train-images-idx3-ubyte.gz"), new int[] {1, 2, 2}, new byte[4]);
        Idx.writeLabels(fashion.resolve("fashion-train-labels-idx1-ubyte.gz"), new int[] {7});
        Idx.write(fashion.resolve("fashion-test-images-idx3-ubyte.gz"), new int[] {2, 2, 2}, new byte[8]);
        Idx.writeLabels(fashion.resolve("fashion-test-labels-idx1-ubyte.gz"), new int[] {8, 9});
        Split f = Datasets.fashionMnist(fashion);
        assertArrayEquals(new int[] {7}, f.train().labels());
        assertArrayEquals(new int[] {8, 9}, f.test().labels());
        // JACOBI_DATA pointing at the parent picks the sub-directory named after the set
        assertArrayEquals(new int[] {8, 9}, Datasets.fromDir("fashion-mnist", dir.toString()).test().labels());
        assertArrayEquals(new int[] {2, 2}, Datasets.fromDir("MNIST", dir.toString()).test().labels());

        IOException e = assertThrows(java.nio.file.NoSuchFileException.class, () -> Datasets.mnist(fashion));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
        // with MNIST and Fashion-MNIST side by side, each set reads its own files
        for (String f2 : new String[] {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "fashion-train-images-idx3-ubyte.gz", "fashion-train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz", "fashion-test-images-idx3-ubyte.gz", "fashion-test-labels-idx1-ubyte.gz"}) {
            Path from = f2.startsWith("fashion") ? fashion.resolve(f2) : dir.resolve(f2);
            Files.copy(from, Files.createDirectories(dir.resolve("both")).resolve(f2));
        }
        assertArrayEquals(new int[] {7}, Datasets.fashionMnist(dir.resolve("both")).train().labels());
        assertArrayEquals(new int[] {2, 2}, Datasets.mnist(dir.resolve("both")).test().labels());
        e = assertThrows(IOException.class, () -> Datasets.fromDir("mnist", null));
        assertTrue(e.getMessage().contains("JACOBI_DATA"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Datasets.fromDir("imagenet", dir.toString()));
        assertFalse(Files.exists(dir.resolve("cifar10")));
    }
}
