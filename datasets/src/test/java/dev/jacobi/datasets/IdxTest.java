package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    /** A parse step for the fuzz test. */
    interface IoRun {
        Object run() throws IOException;
    }

    @TempDir
    Path dir;

    static byte[] randomBytes(int n, long seed) {
        Rng rng = new Rng(seed);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) rng.nextInt(256);
        }
        return b;
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bo)) {
            gz.write(raw);
        }
        return bo.toByteArray();
    }

    /** Header + data built by hand (not through Idx.write). */
    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    @Test
    void writeThenReadRoundTripsRawAndGzip() throws IOException {
        int[] dims = {5, 3, 4};
        byte[] data = randomBytes(60, 1);
        for (String name : new String[] {"a-idx3-ubyte", "a-idx3-ubyte.gz"}) {
            Path f = dir.resolve(name);
            Idx.write(f, dims, data);
            Idx.Data back = Idx.read(f);
            assertArrayEquals(dims, back.dims());
            assertArrayEquals(data, back.data());
        }
        // the raw file is exactly the documented layout, the .gz one is gzip of it
        byte[] expected = idx(8, dims, data);
        assertArrayEquals(expected, Files.readAllBytes(dir.resolve("a-idx3-ubyte")));
        assertEquals(0x1f, Files.readAllBytes(dir.resolve("a-idx3-ubyte.gz"))[0] & 0xFF);
    }

    @Test
    void readDatasetScalesPixelsAndKeepsLabels() throws IOException {
        byte[] px = randomBytes(3 * 2 * 2, 2);
        int[] labels = {2, 0, 9};
        Idx.write(dir.resolve("img.gz"), new int[] {3, 2, 2}, px);
        Idx.writeLabels(dir.resolve("lab"), labels);
        Dataset d = Idx.readDataset(dir.resolve("img.gz"), dir.resolve("lab"), 10);
        assertEquals(3, d.size());
        assertArrayEquals(new int[] {1, 2, 2}, d.sampleShape());
        assertArrayEquals(labels, d.labels());
        Tensor x = d.images(new int[] {2, 0});
        assertArrayEquals(new int[] {2, 1, 2, 2}, x.shape());
        for (int j = 0; j < 4; j++) {
            assertEquals((px[8 + j] & 0xFF) / 255.0, x.get(0, 0, j / 2, j % 2), 1e-6);
            assertEquals((px[j] & 0xFF) / 255.0, x.get(1, 0, j / 2, j % 2), 1e-6);
        }
    }

    private IOException readFails(byte[] content, String name) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        return assertThrows(IOException.class, () -> Idx.read(f));
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void wrongMagicNamesFileFieldAndValue() throws IOException {
        byte[] good = idx(8, new int[] {4}, new byte[4]);
        good[0] = 0x12;
        assertMentions(readFails(good, "m1"), "m1", "magic number", "0x12");
        assertMentions(readFails(idx(0x0D, new int[] {4}, new byte[16]), "m2"), "m2", "data type 0x0d");
        assertMentions(readFails(idx(8, new int[0], new byte[0]), "m3"), "m3", "number of dims 0");
    }

    @Test
    void truncatedAndTrailingDataAreRejected() throws IOException {
        byte[] full = idx(8, new int[] {10, 10}, randomBytes(100, 3));
        assertMentions(readFails(java.util.Arrays.copyOf(full, 50), "t1"), "t1", "truncated", "100 bytes declared",
                "only 38");
        assertMentions(readFails(gzip(java.util.Arrays.copyOf(full, 50)), "t2.gz"), "t2.gz", "truncated");
        assertMentions(readFails(java.util.Arrays.copyOf(full, 6), "t3"), "t3", "dims", "truncated");
        byte[] longer = java.util.Arrays.copyOf(full, full.length + 1);
        assertMentions(readFails(longer, "t4"), "t4", "trailing bytes");
        byte[] cutGzip = gzip(full);
        assertMentions(readFails(java.util.Arrays.copyOf(cutGzip, cutGzip.length - 12), "t5.gz"), "t5.gz");
    }

    @Test
    void forgedHugeSizesFailWithoutAllocatingThem() throws IOException {
        // 2^31-1 declared bytes in a 20-byte file: must fail on the missing data, not try to allocate 2 GB
        assertMentions(readFails(idx(8, new int[] {Integer.MAX_VALUE - 9}, new byte[4]), "f1"), "f1", "truncated",
                "2147483638 bytes declared");
        assertMentions(readFails(idx(8, new int[] {65536, 65536}, new byte[4]), "f2"), "f2", "dims",
                "more than 2^31");
        assertMentions(readFails(idx(8, new int[] {-5}, new byte[4]), "f3"), "f3", "dim 0", "4294967291");
        assertMentions(readFails(gzip(idx(8, new int[] {60000, 28, 28}, new byte[1000])), "f4.gz"), "f4.gz",
                "truncated", "47040000 bytes declared", "only 1000");
    }

    @Test
    void countMismatchAndLabelRangeAreNamed() throws IOException {
        Idx.write(dir.resolve("img"), new int[] {3, 2, 2}, new byte[12]);
        Idx.writeLabels(dir.resolve("two"), new int[] {1, 2});
        Idx.writeLabels(dir.resolve("big"), new int[] {1, 12, 3});
        IOException e = assertThrows(IOException.class,
                () -> Idx.readDataset(dir.resolve("img"), dir.resolve("two"), 10));
        assertMentions(e, "two", "item count", "2 labels", "3 images");
        e = assertThrows(IOException.class, () -> Idx.readDataset(dir.resolve("img"), dir.resolve("big"), 10));
        assertMentions(e, "big", "label of item 1", "12 outside [0, 10)");
        e = assertThrows(IOException.class, () -> Idx.readDataset(dir.resolve("two"), dir.resolve("two"), 10));
        assertMentions(e, "two", "dims", "[2]");
    }

    @Test
    void writerRejectsInconsistentArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Idx.write(dir.resolve("x"), new int[] {2, 3}, new byte[5]));
        assertMentions(e, "Idx.write", "[2, 3]", "6 bytes", "5");
        assertThrows(IllegalArgumentException.class, () -> Idx.writeLabels(dir.resolve("x"), new int[] {256}));
    }
}
