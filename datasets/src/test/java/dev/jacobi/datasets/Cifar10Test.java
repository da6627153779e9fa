package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10Test {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsRecordLayout() throws IOException {
        byte[] px = IdxTest.randomBytes(2 * 3072, 5);
        Path f = dir.resolve("b.bin");
        Cifar10.write(f, px, new int[] {7, 3});
        byte[] raw = Files.readAllBytes(f);
        assertEquals(2 * 3073, raw.length);
        assertEquals(7, raw[0]);
        assertEquals(3, raw[3073]);
        assertEquals(px[3072], raw[3074]);

        Dataset d = Cifar10.read(f, f);
        assertEquals(4, d.size());
        assertArrayEquals(new int[] {7, 3, 7, 3}, d.labels());
        assertArrayEquals(new int[] {3, 32, 32}, d.sampleShape());
        Tensor x = d.images(new int[] {1});
        // CHW: channel 1 (green) row 2 col 5 of image 1 is byte 1024 + 2*32 + 5 of its image
        assertEquals((px[3072 + 1024 + 69] & 0xFF) / 255.0, x.get(0, 1, 2, 5), 1e-6);
    }

    @Test
    void badSizeAndLabelAreNamed() throws IOException {
        Path f = dir.resolve("short.bin");
        Files.write(f, new byte[3073 + 100]);
        IOException e = assertThrows(IOException.class, () -> Cifar10.read(f));
        assertTrue(e.getMessage().contains("short.bin") && e.getMessage().contains("file size")
                && e.getMessage().contains("3173"), e.getMessage());
        byte[] rec = new byte[2 * 3073];
        rec[3073] = 10;
        Path g = dir.resolve("label.bin");
        Files.write(g, rec);
        e = assertThrows(IOException.class, () -> Cifar10.read(g));
        assertTrue(e.getMessage().contains("label.bin") && e.getMessage().contains("label of record 1")
                && e.getMessage().contains("10 outside"), e.getMessage());
        Files.write(g, new byte[0]);
        assertThrows(IOException.class, () -> Cifar10.read(g));
    }

    @Test
    void namedSetReadsStandardFilesUnderSubdirectory() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("cifar-10-batches-bin"));
        for (int i = 1; i <= 5; i++) {
            Cifar10.write(sub.resolve("data_batch_" + i + ".bin"), new byte[3072], new int[] {i});
        }
        Cifar10.write(sub.resolve("test_batch.bin"), new byte[2 * 3072], new int[] {0, 9});
        Split s = Datasets.cifar10(dir);
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, s.train().labels());
        assertArrayEquals(new int[] {0, 9}, s.test().labels());
        Files.delete(sub.resolve("data_batch_3.bin"));
        IOException e = assertThrows(IOException.class, () -> Datasets.cifar10(dir));
        assertTrue(e.getMessage().contains("data_batch_3.bin"), e.getMessage());
    }
}
