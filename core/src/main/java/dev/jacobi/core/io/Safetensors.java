package dev.jacobi.core.io;

import dev.jacobi.core.DType;
import dev.jacobi.core.Tensor;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Hugging Face {@code safetensors} files: an 8-byte little-endian header length {@code N}, {@code N} bytes of JSON
 * ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}}), then the
 * little-endian data buffer. F32/F64 read as FLOAT32/FLOAT64, F16/BF16 as FLOAT32, BOOL as FLOAT32 0/1 and integer
 * dtypes (I8 U8 I16 U16 I32 U32 I64 U64) as exact FLOAT64, so PyTorch state dicts load.
 *
 * <p>Reading is strict and bounded like the reference implementation: the header is at most {@link #MAX_HEADER}
 * bytes and fits the file; every entry has exactly {@code dtype}, {@code shape}, {@code data_offsets}; the byte
 * count of each shape matches its offsets; and the tensors, in offset order, tile the data buffer exactly (no gap,
 * no overlap, nothing out of range). Malformed files give an {@link IOException} naming the file, the tensor key and
 * the field.
 */
public final class Safetensors {
    /** Largest JSON header accepted, in bytes (the reference implementation's limit). */
    public static final long MAX_HEADER = 100_000_000;
    private static final String META = "__metadata__";

    private Safetensors() {
    }

    /**
     * What a file holds.
     *
     * @param tensors the tensors by name, in the order of their data in the file
     * @param metadata the free-form {@code __metadata__} string map (empty if absent)
     */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
    }

    private record Entry(String key, Elem elem, int[] shape, int numel, long begin, long end) {
    }

    /**
     * Reads all tensors and the metadata of a safetensors file: {@code (tensors, metadata) = load(path)}.
     *
     * @param path the file
     * @return the tensors in data order and the metadata
     * @throws IOException if the file cannot be read or is not a valid, supported safetensors file
     */
    public static Contents read(Path path) throws IOException {
        String where = "Safetensors.read: " + path;
        long size = Codec.fileSize(path, where);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), Codec.CHUNK)) {
            byte[] lenBytes = in.readNBytes(8);
            if (lenBytes.length < 8) {
                throw new IOException(where + ": header length: file has " + size
                        + " bytes, fewer than the 8-byte header length");
            }
            long n = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > MAX_HEADER || n > size - 8) {
                throw new IOException(where + ": header length: " + Long.toUnsignedString(n) + " bytes "
                        + (n >= 0 && n <= MAX_HEADER ? "exceeds the " + (size - 8) + " bytes after it in the file"
                                : "exceeds the limit of " + MAX_HEADER));
            }
            byte[] hb = in.readNBytes((int) n);
            if (hb.length < n) {
                throw new IOException(where + ": truncated header: declares " + n + " bytes, only " + hb.length
                        + " present");
            }
            List<Entry> entries = new ArrayList<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            parseHeader(utf8(hb, where), where, entries, metadata);
            long buffer = size - 8 - n;
            long[] culprit = misplaced(entries);
            if (culprit != null) {
                // one shifted tensor: name it, not the neighbour that sorting by offset would blame
                Entry e = entries.get((int) culprit[0]);
                long expect = culprit[1];
                throw new IOException(where + ": tensor '" + e.key + "': data_offsets [" + e.begin + ", " + e.end
                        + "] " + (e.begin < expect ? "overlap the previous tensor's data, which ends at "
                                : "leave a gap after the previous tensor's data, which ends at ") + expect
                        + " (every other tensor lies where the header's order puts it)");
            }
            entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
            long expect = 0;
            for (Entry e : entries) {
                if (e.begin != expect) {
                    throw new IOException(where + ": tensor '" + e.key + "': data_offsets [" + e.begin + ", " + e.end
                            + "] " + (e.begin < expect ? "overlap the previous tensor's data, which ends at "
                                    : "leave a gap after the previous tensor's data, which ends at ") + expect);
                }
                if (e.end > buffer) {
                    throw new IOException(where + ": tensor '" + e.key + "': data_offsets [" + e.begin + ", " + e.end
                            + "] lie outside the " + buffer + "-byte data buffer");
                }
                expect = e.end;
            }
            if (expect != buffer) {
                throw new IOException(where + ": data_offsets: the tensors cover " + expect + " bytes but the data "
                        + "buffer has " + buffer);
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                tensors.put(e.key, Codec.read(in, e.elem, ByteOrder.LITTLE_ENDIAN, e.shape, e.numel, true,
                        where + ": tensor '" + e.key + "'"));
            }
            return new Contents(tensors, metadata);
        }
    }

    /**
     * Reads the tensors of a safetensors file, dropping the metadata: {@code tensors = load(path)}.
     *
     * @param path the file
     * @return the tensors in data order
     * @throws IOException as {@link #read}
     */
    public static Map<String, Tensor> readTensors(Path path) throws IOException {
        return read(path).tensors();
    }

    /**
     * Writes {@code tensors} (F32 or F64 by dtype, row-major) and {@code metadata} as a safetensors file, atomically
     * via {@link AtomicFiles}: {@code save(path, tensors, metadata)}; the inverse of {@link #read}. As in the
     * reference implementation, F64 tensors come before F32 ones and names sort within a dtype, and the header is
     * padded with spaces to a multiple of 8 bytes. Metadata keys are written sorted; an empty map writes none.
     *
     * @param path the file to create or replace
     * @param tensors the tensors by name
     * @param metadata free-form strings, or {@code null} for none
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if a name is {@code null} or {@code "__metadata__"}, or a value is {@code null}
     */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        List<Map.Entry<String, Tensor>> list = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getKey().equals(META) || e.getValue() == null) {
                throw new IllegalArgumentException("Safetensors.write: bad entry '" + e.getKey() + "' -> "
                        + (e.getValue() == null ? "null" : "tensor") + " (names must be non-null and not " + META
                        + ", tensors non-null)");
            }
            list.add(e);
        }
        list.sort(Comparator.comparing((Map.Entry<String, Tensor> e) -> e.getValue().dtype() == DType.FLOAT32)
                .thenComparing(e -> e.getKey().getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned));
        StringBuilder h = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            h.append(Json.quote(META)).append(":{");
            for (Map.Entry<String, String> m : new TreeMap<>(metadata).entrySet()) {
                if (m.getValue() == null) {
                    throw new IllegalArgumentException("Safetensors.write: metadata '" + m.getKey() + "' is null");
                }
                h.append(h.charAt(h.length() - 1) == '{' ? "" : ",").append(Json.quote(m.getKey())).append(':')
                        .append(Json.quote(m.getValue()));
            }
            h.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : list) {
            Tensor t = e.getValue();
            long bytes = (long) t.numel() * t.dtype().bytes();
            h.append(h.length() == 1 ? "" : ",").append(Json.quote(e.getKey())).append(":{\"dtype\":\"")
                    .append(Elem.of(t.dtype())).append("\",\"shape\":[");
            int[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                h.append(i > 0 ? "," : "").append(shape[i]);
            }
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        byte[] json = h.append('}').toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        AtomicFiles.write(path, out -> {
            out.write(head.array());
            for (Map.Entry<String, Tensor> e : list) {
                Codec.write(out, e.getValue());
            }
        });
    }

    // ---------------------------------------------------------------- header parsing

    private static String utf8(byte[] b, String where) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(where + ": header: not valid UTF-8", e);
        }
    }

    /**
     * {@code {index, expected begin}} of the one entry whose offsets differ from a back-to-back layout in header
     * order while all the others match it (a single shifted offset), or null.
     */
    private static long[] misplaced(List<Entry> inHeaderOrder) {
        long[] odd = null;
        long at = 0;
        for (int i = 0; i < inHeaderOrder.size(); i++) {
            Entry e = inHeaderOrder.get(i);
            if (e.begin != at) {
                if (odd != null) {
                    return null;
                }
                odd = new long[] {i, at};
            }
            at += e.end - e.begin;
        }
        return odd;
    }

    private static void parseHeader(String text, String where, List<Entry> entries, Map<String, String> metadata)
            throws IOException {
        if (!(Json.parse(text, where + ": header") instanceof Map<?, ?> root)) {
            throw new IOException(where + ": header: not a JSON object");
        }
        for (Map.Entry<?, ?> kv : root.entrySet()) {
            String key = (String) kv.getKey();
            if (key.equals(META)) {
                if (!(kv.getValue() instanceof Map<?, ?> m)) {
                    throw new IOException(where + ": " + META + ": " + kv.getValue() + " is not an object");
                }
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getValue() instanceof String v)) {
                        throw new IOException(where + ": " + META + ": value of '" + e.getKey() + "' is "
                                + e.getValue() + ", not a string");
                    }
                    metadata.put((String) e.getKey(), v);
                }
            } else {
                entries.add(entry(key, kv.getValue(), where + ": tensor '" + key + "'"));
            }
        }
    }

    private static Entry entry(String key, Object value, String where) throws IOException {
        if (!(value instanceof Map<?, ?> m)) {
            throw new IOException(where + ": " + value + " is not an object");
        }
        if (!m.keySet().equals(Set.of("dtype", "shape", "data_offsets"))) {
            throw new IOException(where + ": fields " + m.keySet() + " must be exactly dtype, shape, data_offsets");
        }
        Elem elem = null;
        if (m.get("dtype") instanceof String name) {
            for (Elem e : Elem.values()) {
                elem = e.name().equals(name) ? e : elem;
            }
        }
        if (elem == null) {
            throw new IOException(where + ": dtype " + m.get("dtype") + " is not supported (supported: "
                    + Arrays.toString(Elem.values()) + ")");
        }
        long[] dims = longs(m.get("shape"), -1, where, "shape");
        int numel = Codec.numel(dims, where, "shape");
        long[] off = longs(m.get("data_offsets"), 2, where, "data_offsets");
        if (off[0] < 0 || off[1] < off[0]) {
            throw new IOException(where + ": data_offsets " + Arrays.toString(off)
                    + " must satisfy 0 <= begin <= end");
        }
        if ((long) numel * elem.size != off[1] - off[0]) {
            throw new IOException(where + ": data_offsets " + Arrays.toString(off) + " span " + (off[1] - off[0])
                    + " bytes but shape " + Arrays.toString(dims) + " of " + elem + " needs "
                    + (long) numel * elem.size);
        }
        return new Entry(key, elem, Codec.shape(dims), numel, off[0], off[1]);
    }

    private static long[] longs(Object v, int length, String where, String field) throws IOException {
        if (v instanceof List<?> list && (length < 0 || list.size() == length)) {
            long[] out = new long[list.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(list.get(i) instanceof Long x)) {
                    throw new IOException(where + ": " + field + " " + v + " must hold integers");
                }
                out[i] = x;
            }
            return out;
        }
        throw new IOException(where + ": " + field + " " + v + " is not a list of "
                + (length < 0 ? "integers" : length + " integers"));
    }
}
