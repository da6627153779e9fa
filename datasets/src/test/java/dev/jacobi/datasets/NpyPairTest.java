package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Tensor;
import dev.jacobi.core.io.Npy;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyPairTest {
    @Test
    void roundTripThroughTheNpyWriters(@TempDir Path dir) throws IOException {
        float[] values = new float[4 * 2 * 3];
        for (int i = 0; i < values.length; i++) {
            values[i] = i / 10f;
        }
        Npy.write(dir.resolve("x.npy"), Tensor.of(values, 4, 2, 3));
        Npy.writeInts(dir.resolve("y.npy"), new int[] {0, 2, 1, 2}, 4);
        Dataset d = Datasets.npy(dir.resolve("x.npy"), dir.resolve("y.npy"), 0);
        assertEquals(4, d.size());
        assertEquals(3, d.numClasses());
        assertArrayEquals(new int[] {2, 3}, d.sampleShape());
        assertArrayEquals(new int[] {0, 2, 1, 2}, d.labels());
        Tensor batch = d.images(new int[] {2});
        assertArrayEquals(java.util.Arrays.copyOfRange(values, 12, 18), batch.toFloatArray());
    }

    @Test
    void mismatchedFilesNameTheProblem(@TempDir Path dir) throws IOException {
        Npy.write(dir.resolve("x.npy"), Tensor.zeros(3, 2));
        Npy.writeInts(dir.resolve("y.npy"), new int[] {0, 1}, 2);
        IOException e = assertThrows(IOException.class, () -> Datasets.npy(dir.resolve("x.npy"), dir.resolve("y.npy"), 2));
        assertTrue(e.getMessage().contains("does not match 3 samples"), e.getMessage());
        Npy.writeInts(dir.resolve("y.npy"), new int[] {0, 1, 5}, 3);
        e = assertThrows(IOException.class, () -> Datasets.npy(dir.resolve("x.npy"), dir.resolve("y.npy"), 2));
        assertTrue(e.getMessage().contains("label 5 at index 2 is outside [0, 2)"), e.getMessage());
    }
}
