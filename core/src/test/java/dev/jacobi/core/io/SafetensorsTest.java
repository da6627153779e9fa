package dev.jacobi.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    /** A file built from the spec: 8-byte LE length, the JSON header padded to 8 bytes, then {@code data}. */
    static byte[] st(String json, byte[] data) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        int n = (j.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + n + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(j);
        while (b.position() < 8 + n) {
            b.put((byte) ' ');
        }
        return b.put(data).array();
    }

    static byte[] le(int size, long... values) {
        ByteBuffer b = ByteBuffer.allocate(size * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (size) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    Path file(byte[] bytes) throws IOException {
        return Files.write(Files.createTempFile(dir, "t", ".safetensors"), bytes);
    }

    String fails(byte[] bytes) throws IOException {
        Path p = file(bytes);
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        return e.getMessage();
    }

    static double[] values(Tensor t) {
        return NpyTest.values(t);
    }

    // ---------------------------------------------------------------- reference compatibility

    /** Byte vectors from the reference implementation's own unit tests (huggingface/safetensors, tensor.rs). */
    @Test
    void writesBytesIdenticalToTheReferenceImplementation() throws IOException {
        Path p = dir.resolve("ref.safetensors");
        Tensor t = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 1, 2, 3);
        Safetensors.write(p, Map.of("attn.0", t), null);
        byte[] expected = {64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, (byte) 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, (byte) 128, 64, 0, 0, (byte) 160, 64};
        assertArrayEquals(expected, Files.readAllBytes(p));

        Safetensors.write(p, Map.of("attn0", t.reshape(1, 1, 2, 3)), null);
        byte[] aligned = {72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
            121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
            91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
            115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
            32, 32, 0, 0, 0, 0, 0, 0, (byte) 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, (byte) 128, 64, 0, 0,
            (byte) 160, 64};
        assertArrayEquals(aligned, Files.readAllBytes(p));
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, Safetensors.readTensors(p).get("attn0").toFloatArray());

        Safetensors.write(p, Map.of(), null);
        assertArrayEquals(new byte[] {8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32}, Files.readAllBytes(p));
        Safetensors.write(p, Map.of(), Map.of("framework", "pt"));
        byte[] meta = {40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
            95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
            116, 34, 125, 125, 32, 32, 32, 32, 32};
        assertArrayEquals(meta, Files.readAllBytes(p));
        assertEquals(Map.of("framework", "pt"), Safetensors.read(p).metadata());
    }

    @Test
    void readsEveryDtypeFromAHandBuiltFile() throws IOException {
        // F16 1.0 = 0x3c00, -2.5 = 0xc100; BF16 1.0 = 0x3f80, -3.0 = 0xc040
        byte[][] parts = {
            le(8, 1L << 53, -7), le(4, -1, 123456), le(2, -2, 300), le(1, -128, 127), le(1, 0, 255),
            le(1, 1, 0), le(2, 0x3c00, 0xc100), le(2, 0x3f80, 0xc040), le(8, Double.doubleToLongBits(0.1)),
            le(4, Float.floatToIntBits(1.25f), Float.floatToIntBits(-8f)), le(2, 65535), le(4, 0xffffffffL),
            le(8, 1L << 52)};
        String[] dtypes = {"I64", "I32", "I16", "I8", "U8", "BOOL", "F16", "BF16", "F64", "F32", "U16", "U32", "U64"};
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < parts.length; i++) {
            int n = parts[i].length;
            int count = i == 8 || i >= 10 ? 1 : 2;
            json.append(",\"t").append(i).append("\":{\"dtype\":\"").append(dtypes[i]).append("\",\"shape\":[")
                    .append(count).append("],\"data_offsets\":[").append(data.size()).append(',')
                    .append(data.size() + n).append("]}");
            data.write(parts[i]);
        }
        Safetensors.Contents c = Safetensors.read(file(st(json.append('}').toString(), data.toByteArray())));
        assertEquals(Map.of("format", "pt"), c.metadata());
        Map<String, Tensor> t = c.tensors();
        assertEquals(List.of("t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11", "t12"),
                List.copyOf(t.keySet()), "data order");
        assertArrayEquals(new double[] {0x1p53, -7}, t.get("t0").toDoubleArray());
        assertEquals(DType.FLOAT64, t.get("t0").dtype());
        assertArrayEquals(new double[] {-1, 123456}, t.get("t1").toDoubleArray());
        assertArrayEquals(new double[] {-2, 300}, t.get("t2").toDoubleArray());
        assertArrayEquals(new double[] {-128, 127}, t.get("t3").toDoubleArray());
        assertArrayEquals(new double[] {0, 255}, t.get("t4").toDoubleArray());
        assertEquals(DType.FLOAT32, t.get("t5").dtype());
        assertArrayEquals(new float[] {1, 0}, t.get("t5").toFloatArray());
        assertArrayEquals(new float[] {1, -2.5f}, t.get("t6").toFloatArray());
        assertArrayEquals(new float[] {1, -3}, t.get("t7").toFloatArray());
        assertArrayEquals(new double[] {0.1}, t.get("t8").toDoubleArray());
        assertArrayEquals(new float[] {1.25f, -8}, t.get("t9").toFloatArray());
        assertArrayEquals(new double[] {65535}, t.get("t10").toDoubleArray());
        assertArrayEquals(new double[] {4294967295.0}, t.get("t11").toDoubleArray());
        assertArrayEquals(new double[] {0x1p52}, t.get("t12").toDoubleArray());
    }

    @Test
    void rejectsInt64BeyondExactDoubleRange() throws IOException {
        String msg = fails(st("{\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}",
                le(8, (1L << 53) + 1)));
        assertTrue(msg.contains("9007199254740993") && msg.contains("'n'"), msg);
        fails(st("{\"b\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]}}", le(1, 2)));
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void roundTripsBothDtypesShapesAndMetadata() throws IOException {
        Rng rng = new Rng(11);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("z.scalar", Tensor.randn(rng, DType.FLOAT64, new int[0]));
        in.put("b.empty", Tensor.zeros(3, 0));
        in.put("a.big", Tensor.randn(rng, 300, 200));
        in.put("c.f64", Tensor.randn(rng, DType.FLOAT64, 4, 5, 6));
        in.put("\u00e9t\u00e9 \"q\"\n", Tensor.randn(rng, 7).transpose(0, 0));
        in.put("d.view", Tensor.randn(rng, 5, 4).transpose(0, 1));
        Map<String, String> meta = Map.of("format", "pt", "note", "line\nbreak \"quoted\" \u00fc\u20ac");
        Path p = dir.resolve("a/b/m.safetensors");
        Safetensors.write(p, in, meta);
        Safetensors.Contents c = Safetensors.read(p);
        assertEquals(meta, c.metadata());
        assertEquals(in.keySet(), c.tensors().keySet());
        for (Map.Entry<String, Tensor> e : in.entrySet()) {
            Tensor back = c.tensors().get(e.getKey());
            assertEquals(e.getValue().dtype(), back.dtype(), e.getKey());
            assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
            assertArrayEquals(values(e.getValue()), values(back), e.getKey());
        }
        // reference ordering: FLOAT64 tensors first, then names
        assertEquals(List.of("c.f64", "z.scalar", "a.big", "b.empty", "d.view", "\u00e9t\u00e9 \"q\"\n"),
                List.copyOf(c.tensors().keySet()));
        assertEquals(0, (8 + ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong())
                % 8, "data is 8-byte aligned");
        assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(p, Map.of("__metadata__", Tensor.zeros(1)), null));
    }

    // ---------------------------------------------------------------- errors

    static final String OK = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    @Test
    void rejectsBadHeaderLengths() throws IOException {
        byte[] good = st(OK, new byte[8]);
        assertTrue(fails(new byte[5]).contains("fewer than the 8-byte"));
        for (long n : new long[] {-1, 1L << 40, 100_000_001, good.length - 7}) {
            byte[] b = good.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
            assertTrue(fails(b).contains("header length"), "N = " + n);
        }
        assertTrue(fails(java.util.Arrays.copyOf(good, 30)).contains("header length"));
        assertTrue(fails(java.util.Arrays.copyOf(good, good.length - 1)).contains("outside the 7-byte data buffer"));
        assertTrue(fails(java.util.Arrays.copyOf(good, good.length + 1)).contains("cover 8 bytes"));
    }

    @Test
    void rejectsBadEntries() throws IOException {
        String[][] cases = {
            {"{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,8]}}", "dtype F8_E4M3"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "-2"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", "must hold integers"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "needs 12"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", "data_offsets"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "begin <= end"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", "gap"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "outside the 8-byte"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "overlap"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "cover 4 bytes"},
            // b shifted past c: b is named, not c, which sorting by offset would blame
            {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[6,10]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", "tensor 'b': data_offsets [6, 10]"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", "exactly dtype"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"w\":{}}", "duplicate key"},
            {"{\"w\":[1]}", "not an object"},
            {"[1]", "not a JSON object"},
            {"{\"__metadata__\":{\"k\":1}," + OK.substring(1), "not a string"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,8]}}", ">= 2^31"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,8]}}", "more than"},
            {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}}", "out of range"},
        };
        for (String[] c : cases) {
            String msg = fails(st(c[0], new byte[8]));
            assertTrue(msg.contains(c[1]), c[0] + " -> " + msg);
        }
    }

    @Test
    void rejectsBadJson() throws IOException {
        String[] bad = {"", "{", "{\"w\":}", "{\"w\":{\"dtype\":\"F32\",}}", "{'w':1}", "{\"w\":tru}", "{\"a\":1} x",
            "{\"a\":\"\\x\"}", "{\"a\":01}", "{\"a\":[1,]}", "{\"a\":\"\u0001\"}", "[".repeat(200) + "]".repeat(200),
            "{\"a\":-}", "{\"a\":\"\\u12\"}", "{\"a\" 1}"};
        for (String json : bad) {
            String msg = fails(st(json, new byte[0]));
            assertTrue(msg.contains("JSON") || msg.contains("header"), json + " -> " + msg);
        }
        byte[] invalidUtf8 = st("{\"\u00e9\":1}", new byte[0]);
        invalidUtf8[11] = (byte) 0xff;
        assertTrue(fails(invalidUtf8).contains("UTF-8"));
    }

    @Test
    void forgedHugeShapesFailWithoutAllocating() throws IOException {
        long before = allocatedBytes();
        for (int rep = 0; rep < 50; rep++) {
            fails(st("{\"w\":{\"dtype\":\"F64\",\"shape\":[268435455],\"data_offsets\":[0,2147483640]}}",
                    new byte[64]));
            fails(st("{\"w\":{\"dtype\":\"F64\",\"shape\":[2000000000],\"data_offsets\":[0,16000000000]}}",
                    new byte[64]));
        }
        long mb = (allocatedBytes() - before) >> 20;
        assertTrue(mb < 256, "the forged shapes made the reader allocate " + mb + " MB; it must fail before allocating");
    }

    @Test
    void mutatedFilesOnlyEverThrowIOException() throws IOException {
        Path src = dir.resolve("src.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", Tensor.randn(new Rng(2), 3, 4));
        m.put("b", Tensor.randn(new Rng(3), DType.FLOAT64, 4));
        m.put("s", Tensor.scalar(1.5));
        Safetensors.write(src, m, Map.of("k", "v"));
        byte[][] seeds = {Files.readAllBytes(src), st("{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[16,20]}}", new byte[20])};
        Random r = new Random(777);
        Path p = dir.resolve("m.safetensors");
        int ok = 0;
        for (int iter = 0; iter < 2000; iter++) {
            FileMutator.overwrite(p, FileMutator.mutate(seeds[iter % 2], r, 8));
            try {
                Safetensors.read(p);
                ok++;
            } catch (IOException expected) {
                // the only allowed failure
            }
        }
        assertTrue(ok < 2000, "most mutants are rejected: " + ok);
        Files.createDirectories(Path.of("..", "target", "reliability"));
        Files.writeString(Path.of("..", "target", "reliability", "safetensors.txt"), "fuzzed safetensors files|2,000"
                + " mutants of 2 files (one written by Jacobi, one hand-built with I64 and F16)|" + ok + " parsed,"
                + " every other one was an IOException; no other exception\n");
    }

    /** Bytes this thread has allocated so far (HotSpot's ThreadMXBean). */
    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
