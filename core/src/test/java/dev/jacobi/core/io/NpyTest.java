package dev.jacobi.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/io/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A v1.0 file with the given header dict text (padded like numpy) followed by {@code data}. */
    static byte[] npy(String dict, byte[] data) {
        int hlen = dict.length() + 1;
        int pad = 64 - (10 + hlen) % 64;
        ByteBuffer b = ByteBuffer.allocate(10 + hlen + pad + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) (hlen + pad));
        b.put((dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    Path file(byte[] bytes) throws IOException {
        return Files.write(Files.createTempFile(dir, "t", ".npy"), bytes);
    }

    IOException fails(byte[] bytes) throws IOException {
        Path p = file(bytes);
        IOException e = assertThrows(IOException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(bytes), "stream"));
        return e;
    }

    // ---------------------------------------------------------------- numpy fixtures

    @Test
    void readsNumpyFixtures() throws IOException {
        Tensor f4 = Npy.read(fixture("f4_2x3.npy"));
        assertEquals(DType.FLOAT32, f4.dtype());
        assertArrayEquals(new int[] {2, 3}, f4.shape());
        assertArrayEquals(new float[] {1.5f, -2.25f, 3f, 4f, 1e-8f, -0f}, f4.toFloatArray());

        Tensor f8 = Npy.read(fixture("f8_3.npy"));
        assertEquals(DType.FLOAT64, f8.dtype());
        assertArrayEquals(new double[] {Math.PI, -Math.E, 1e300}, f8.toDoubleArray());

        Tensor s = Npy.read(fixture("f8_scalar.npy"));
        assertEquals(0, s.dim());
        assertEquals(2.5, s.item());

        Tensor empty = Npy.read(fixture("f4_empty_2x0.npy"));
        assertArrayEquals(new int[] {2, 0}, empty.shape());

        Tensor be = Npy.read(fixture("f4_be_2x2.npy"));
        assertArrayEquals(new float[] {1, 2, 3, 4.5f}, be.toFloatArray());

        Tensor fortran = Npy.read(fixture("f8_fortran_2x3.npy"));
        assertArrayEquals(new int[] {2, 3}, fortran.shape());
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, fortran.toDoubleArray());

        assertArrayEquals(new float[] {1, 2, 3, 4}, Npy.read(fixture("f4_v2_2x2.npy")).toFloatArray());
        assertArrayEquals(new float[] {7, 8, 9}, Npy.read(fixture("f4_v3_3.npy")).toFloatArray());
    }

    @Test
    void readsIntegersExactlyAsFloat64() throws IOException {
        Tensor i8 = Npy.read(fixture("i8_4.npy"));
        assertEquals(DType.FLOAT64, i8.dtype());
        assertArrayEquals(new double[] {0, -1, 0x1p53, -0x1p53}, i8.toDoubleArray());
        assertArrayEquals(new double[] {0, 1, 127, 128, 255}, Npy.read(fixture("u1_5.npy")).toDoubleArray());
        IOException e = assertThrows(IOException.class, () -> Npy.read(fixture("i8_big.npy")));
        assertTrue(e.getMessage().contains("9007199254740993"), e.getMessage());
    }

    @Test
    void readsOtherIntegerAndHalfDtypes() throws IOException {
        byte[] le = {1, 0, (byte) 0xff, (byte) 0xff};
        assertArrayEquals(new double[] {1, -1}, Npy.read(file(npy(
                "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", le))).toDoubleArray());
        assertArrayEquals(new double[] {1, 65535}, Npy.read(file(npy(
                "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", le))).toDoubleArray());
        assertArrayEquals(new double[] {256, 65535}, Npy.read(file(npy(
                "{'descr': '>u2', 'fortran_order': False, 'shape': (2,), }", le))).toDoubleArray());
        assertArrayEquals(new double[] {4294967295.0}, Npy.read(file(npy(
                "{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }", new byte[] {-1, -1, -1, -1})))
                .toDoubleArray());
        // float16: 1.0 = 0x3c00, -2.0 = 0xc000, smallest subnormal 0x0001 = 2^-24
        assertArrayEquals(new float[] {1f, -2f, 0x1p-24f}, Npy.read(file(npy(
                "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }",
                new byte[] {0, 0x3c, 0, (byte) 0xc0, 1, 0}))).toFloatArray());
    }

    @Test
    void writesBytesIdenticalToNumpy() throws IOException {
        Path p = dir.resolve("a.npy");
        Npy.write(p, Tensor.of(new float[] {1.5f, -2.25f, 3f, 4f, 1e-8f, -0f}, 2, 3));
        assertArrayEquals(Files.readAllBytes(fixture("f4_2x3.npy")), Files.readAllBytes(p));
        Npy.write(p, Tensor.of(new double[] {Math.PI, -Math.E, 1e300}, 3));
        assertArrayEquals(Files.readAllBytes(fixture("f8_3.npy")), Files.readAllBytes(p));
        Npy.write(p, Tensor.scalar(DType.FLOAT64, 2.5));
        assertArrayEquals(Files.readAllBytes(fixture("f8_scalar.npy")), Files.readAllBytes(p));
        Npy.write(p, Tensor.zeros(2, 0));
        assertArrayEquals(Files.readAllBytes(fixture("f4_empty_2x0.npy")), Files.readAllBytes(p));
        Npy.writeInts(p, new int[] {3, 1, 4, 1, 5, 9});
        assertArrayEquals(Files.readAllBytes(fixture("i4_labels.npy")), Files.readAllBytes(p));
    }

    // ---------------------------------------------------------------- round trips

    /** The values of {@code t} (core's toDoubleArray does not yet handle multi-dim empty tensors). */
    static double[] values(Tensor t) {
        return t.numel() == 0 ? new double[0] : t.toDoubleArray();
    }

    @Test
    void roundTripsBothDtypesAndShapes() throws IOException {
        Rng rng = new Rng(7);
        int[][] shapes = {{}, {0}, {3, 0, 2}, {5}, {2, 3}, {2, 3, 4}, {257, 129}};
        Path p = dir.resolve("sub/dir/x.npy");
        for (DType dt : DType.values()) {
            for (int[] shape : shapes) {
                Tensor t = Tensor.randn(rng, dt, shape);
                Npy.write(p, t);
                Tensor back = Npy.read(p);
                assertEquals(dt, back.dtype());
                assertArrayEquals(shape, back.shape());
                assertArrayEquals(values(t), values(back), Arrays.toString(shape));
                try (InputStream in = Files.newInputStream(p)) {
                    assertArrayEquals(values(t), values(Npy.read(in, "s")));
                }
            }
        }
    }

    @Test
    void writesViewsInRowMajorOrder() throws IOException {
        Tensor t = Tensor.randn(new Rng(3), 3, 4).transpose(0, 1).narrow(0, 1, 2);
        Path p = dir.resolve("v.npy");
        Npy.write(p, t);
        assertArrayEquals(t.toFloatArray(), Npy.read(p).toFloatArray());
        assertArrayEquals(new int[] {2, 3}, Npy.read(p).shape());
    }

    @Test
    void streamReadStopsAfterTheArray() throws IOException {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        Npy.write(a, Tensor.of(new float[] {1, 2}));
        Npy.write(b, Tensor.of(new double[] {3, 4, 5}));
        try (InputStream in = new SequenceInputStream(Files.newInputStream(a), Files.newInputStream(b))) {
            assertArrayEquals(new float[] {1, 2}, Npy.read(in, "seq").toFloatArray());
            assertArrayEquals(new double[] {3, 4, 5}, Npy.read(in, "seq").toDoubleArray());
        }
    }

    @Test
    void hugeHeaderSwitchesToVersion2() throws IOException {
        int[] shape = new int[22000];
        Arrays.fill(shape, 1);
        Path p = dir.resolve("v2.npy");
        Npy.write(p, Tensor.of(new float[] {42}, shape));
        byte[] bytes = Files.readAllBytes(p);
        assertEquals(2, bytes[6]);
        assertEquals(0, (bytes.length - 4) % 64, "data starts 64-byte aligned");
        Tensor back = Npy.read(p);
        assertEquals(22000, back.dim());
        // around the switch, every v1 header's uint16 length field must hold the real length (no wrap-around)
        int v1 = 0;
        for (int rank = 21700; rank < 21900; rank++) {
            int[] s = new int[rank];
            Arrays.fill(s, 1);
            byte[] h = Npy.header("<f4", s);
            ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
            long len = h[6] == 1 ? b.getShort(8) & 0xffff : b.getInt(8);
            assertEquals(h.length - (h[6] == 1 ? 10 : 12), len, "rank " + rank);
            v1 += h[6] == 1 ? 1 : 0;
        }
        assertTrue(v1 > 0 && v1 < 200, "the switch to 2.0 happens in the scanned range");
        assertEquals(42, back.toFloatArray()[0]);
    }

    @Test
    void intsRoundTripAndValidation() throws IOException {
        Path p = dir.resolve("labels.npy");
        Npy.writeInts(p, new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE, 5, 6}, 2, 3);
        Npy.IntArray a = Npy.readInts(p);
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE, 5, 6}, a.data());
        assertArrayEquals(new int[] {3, 1, 4, 1, 5, 9}, Npy.readInts(fixture("i4_labels.npy")).data());
        assertArrayEquals(new int[] {0, 1, 127, 128, 255}, Npy.readInts(fixture("u1_5.npy")).data());

        Npy.write(p, Tensor.of(new float[] {1, -2, 3}));
        assertArrayEquals(new int[] {1, -2, 3}, Npy.readInts(p).data());
        Npy.write(p, Tensor.of(new float[] {1, 2.5f}));
        IOException e = assertThrows(IOException.class, () -> Npy.readInts(p));
        assertTrue(e.getMessage().contains("2.5"), e.getMessage());
        Npy.write(p, Tensor.of(new double[] {3e9}));
        assertThrows(IOException.class, () -> Npy.readInts(p));

        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Npy.writeInts(p, new int[5], 2, 3));
        assertTrue(bad.getMessage().contains("Npy.writeInts") && bad.getMessage().contains("[2, 3]"));
        assertThrows(IllegalArgumentException.class, () -> Npy.writeInts(p, new int[0], -1, 0));
    }

    // ---------------------------------------------------------------- errors

    static final String F4 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";

    @Test
    void rejectsBadMagicVersionAndTruncation() throws IOException {
        byte[] good = npy(F4, new byte[8]);
        byte[] magic = good.clone();
        magic[1] = 'X';
        assertTrue(fails(magic).getMessage().contains("magic"));
        byte[] version = good.clone();
        version[6] = 4;
        assertTrue(fails(version).getMessage().contains("version 4.0"));
        assertTrue(fails(Arrays.copyOf(good, 5)).getMessage().contains("truncated header"));
        assertTrue(fails(Arrays.copyOf(good, 40)).getMessage().contains("truncated header"));
        assertTrue(fails(Arrays.copyOf(good, good.length - 1)).getMessage().contains("truncated data"));
        Path trailing = file(Arrays.copyOf(good, good.length + 3));
        assertTrue(assertThrows(IOException.class, () -> Npy.read(trailing)).getMessage().contains("trailing"));
        byte[] longHeader = good.clone();
        longHeader[6] = 2;
        ByteBuffer.wrap(longHeader, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(0x7fffffff);
        assertTrue(fails(longHeader).getMessage().contains("exceeds the limit"));
    }

    @Test
    void rejectsBadHeaderFields() throws IOException {
        String[][] cases = {
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "-3"},
            {"{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", "<c8"},
            {"{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }", "|f4"},
            {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", "unsupported value"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': True, }", "keys"},
            {"{'descr': '<f4', 'fortran_order': False, }", "keys"},
            {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "duplicate"},
            {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", "unsupported value"},
            {"{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,), }", "fortran_order"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", "not a tuple"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", "out of range"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", "expected '}'"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", "after the dict"},
        };
        for (String[] c : cases) {
            String msg = fails(npy(c[0], new byte[8])).getMessage();
            assertTrue(msg.contains(c[1]), c[0] + " -> " + msg);
        }
    }

    @Test
    void forgedHugeShapeFailsWithoutAllocating() throws IOException {
        String[] shapes = {"(2000000000,)", "(100000, 100000, 100000)", "(3000000000,)", "(65536, 32768)"};
        long before = allocatedBytes();
        for (String shape : shapes) {
            byte[] bytes = npy("{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }", new byte[64]);
            // a stream with no size: the reader must hit end of stream rather than allocate 16 GB up front
            for (int rep = 0; rep < 20; rep++) {
                fails(bytes);
            }
        }
        long mb = (allocatedBytes() - before) >> 20;
        assertTrue(mb < 256, "the forged shapes made the reader allocate " + mb + " MB; it must fail before allocating");
    }

    @Test
    void mutatedFilesOnlyEverThrowIOException() throws IOException {
        Path a = dir.resolve("a.npy");
        Npy.write(a, Tensor.randn(new Rng(1), 3, 5));
        byte[] f4 = Files.readAllBytes(a);
        byte[][] seeds = {f4, Files.readAllBytes(fixture("i8_4.npy")), Files.readAllBytes(fixture("f8_fortran_2x3.npy")),
            Files.readAllBytes(fixture("f4_v3_3.npy")), Files.readAllBytes(fixture("f8_scalar.npy"))};
        Random r = new Random(12345);
        Path p = dir.resolve("m.npy");
        int ok = 0;
        for (int iter = 0; iter < 2000; iter++) {
            byte[] b = FileMutator.mutate(seeds[iter % seeds.length], r, 10);
            FileMutator.overwrite(p, b);
            for (int mode = 0; mode < 2; mode++) {
                try {
                    if (mode == 0) {
                        Npy.read(p);
                    } else {
                        Npy.read(new ByteArrayInputStream(b), "m");
                    }
                    ok++;
                } catch (IOException expected) {
                    // the only allowed failure
                }
            }
        }
        assertTrue(ok > 0 && ok < 4000, "some mutants parse, most do not: " + ok);
        Files.createDirectories(Path.of("..", "target", "reliability"));
        Files.writeString(Path.of("..", "target", "reliability", "npy.txt"), "fuzzed .npy files|2,000 mutants of 5"
                + " NumPy files (truncation, byte flips, header digit edits, insertions), each read from a file and"
                + " a stream|" + ok + " of 4,000 reads parsed, every other one was an IOException; no other"
                + " exception\n");
    }

    /** Bytes this thread has allocated so far (HotSpot's ThreadMXBean). */
    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
