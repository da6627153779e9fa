package dev.jacobi.core.io;

import dev.jacobi.core.DType;
import dev.jacobi.core.Shapes;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * NumPy {@code .npy} files: reads format versions 1.0, 2.0 and 3.0, writes 1.0 (2.0 when the header needs it)
 * byte-identical to {@code numpy.save}. Float dtypes {@code f4}/{@code f8} (either byte order) keep their precision,
 * {@code f2} reads as FLOAT32, {@code b1} as FLOAT32 0/1 and integer dtypes ({@code i1 u1 i2 u2 i4 u4 i8 u8}) as exact
 * FLOAT64. Fortran-order arrays are read by transposing into row-major order.
 *
 * <p>Parsing is strict and bounded: the header is at most {@link #MAX_HEADER} bytes and must be a Python dict with
 * exactly {@code descr}, {@code fortran_order} and {@code shape}; the element count is checked against the bytes
 * present before the result is allocated. Malformed files give an {@link IOException} naming the file, the field and
 * the offending value.
 */
public final class Npy {
    /** Largest header accepted when reading, in bytes. */
    public static final int MAX_HEADER = 1 << 20;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    /** Spare header space numpy leaves so the first dim can grow in place ({@code GROWTH_AXIS_MAX_DIGITS}). */
    private static final int GROWTH_DIGITS = 21;

    private Npy() {
    }

    /**
     * An integer array read by {@link #readInts}: {@code data} in row-major order of {@code shape}.
     *
     * @param shape the array's shape
     * @param data the values, row-major
     */
    public record IntArray(int[] shape, int[] data) {
    }

    private record Header(Elem elem, ByteOrder order, boolean fortran, int[] shape, int numel, long bytes) {
    }

    /**
     * Reads a {@code .npy} file: {@code x = load(path)}.
     *
     * @param path the file
     * @return the array as a FLOAT32 tensor ({@code f2 f4 b1}) or FLOAT64 tensor ({@code f8} and integers)
     * @throws IOException if the file cannot be read or is not a valid, supported {@code .npy} file
     */
    public static Tensor read(Path path) throws IOException {
        long size = Codec.fileSize(path, path.toString());
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), Codec.CHUNK)) {
            return read(in, path.toString(), size);
        }
    }

    /**
     * Reads one {@code .npy} array from a stream, stopping right after its data: {@code x = load(in)}. The data is read
     * in bounded chunks before the result is allocated, so a forged shape fails at end of stream.
     *
     * @param in the stream, positioned at the magic string; not closed
     * @param name names the source in error messages
     * @return the array, typed as in {@link #read(Path)}
     * @throws IOException if reading fails or the content is not a valid, supported {@code .npy} array
     */
    public static Tensor read(InputStream in, String name) throws IOException {
        return read(in, name, -1);
    }

    private static Tensor read(InputStream in, String name, long fileSize) throws IOException {
        String where = "Npy.read: " + name;
        Header h = header(in, where);
        if (fileSize >= 0 && h.bytes != fileSize) {
            long data = fileSize - (h.bytes - (long) h.numel * h.elem.size);
            throw new IOException(where + ": shape " + Arrays.toString(h.shape) + " of " + h.elem + " needs "
                    + (long) h.numel * h.elem.size + " data bytes but the file has " + data
                    + (data < (long) h.numel * h.elem.size ? " (truncated data)" : " (trailing bytes)"));
        }
        int r = h.shape.length;
        boolean transpose = h.fortran && r > 1 && h.numel > 0; // (empty: nothing to reorder)
        Tensor t = Codec.read(in, h.elem, h.order, transpose ? reversed(h.shape) : h.shape, h.numel, fileSize >= 0,
                where);
        if (!transpose) {
            return t;
        }
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = r - 1 - i;
        }
        return t.permute(perm).contiguous();
    }

    /**
     * Reads an integer {@code .npy} file (e.g. labels): {@code x = load(path)} as ints. Float files are accepted when
     * every value is integral.
     *
     * @param path the file
     * @return the shape and the row-major values
     * @throws IOException if the file is invalid or a value is not an integer that fits in an int
     */
    public static IntArray readInts(Path path) throws IOException {
        Tensor t = read(path);
        double[] v = t.toDoubleArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] != Math.rint(v[i]) || v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE) {
                throw new IOException("Npy.readInts: " + path + ": element " + i + " = " + v[i]
                        + " is not an integer that fits in an int");
            }
            out[i] = (int) v[i];
        }
        return new IntArray(t.shape(), out);
    }

    /**
     * Writes {@code t} as a row-major {@code <f4} (FLOAT32) or {@code <f8} (FLOAT64) {@code .npy} file, atomically
     * via {@link AtomicFiles}: {@code save(path, t)}; the inverse of {@link #read(Path)}.
     *
     * @param path the file to create or replace
     * @param t the tensor (any strides)
     * @throws IOException if writing fails
     */
    public static void write(Path path, Tensor t) throws IOException {
        byte[] header = header(t.dtype() == DType.FLOAT32 ? "<f4" : "<f8", t.shape());
        AtomicFiles.write(path, out -> {
            out.write(header);
            Codec.write(out, t);
        });
    }

    /**
     * Writes {@code data} as a row-major {@code <i4} {@code .npy} file, atomically: {@code save(path, data)}; the
     * inverse of {@link #readInts}. With no shape, a 1-D array (a 0-d array if {@code data} has one element, as in
     * {@code Tensor.of}).
     *
     * @param path the file to create or replace
     * @param data the values, row-major
     * @param shape the array's shape
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if {@code data} does not fill {@code shape}
     */
    public static void writeInts(Path path, int[] data, int... shape) throws IOException {
        int[] s = shape.length == 0 && data.length != 1 ? new int[] {data.length} : shape.clone();
        int n = Shapes.numel(s, "Npy.writeInts");
        if (n != data.length) {
            throw new IllegalArgumentException("Npy.writeInts: " + data.length + " values do not fill shape "
                    + Shapes.str(s) + " (" + n + " elements)");
        }
        byte[] header = header("<i4", s);
        AtomicFiles.write(path, out -> {
            out.write(header);
            ByteBuffer b = ByteBuffer.allocate(Codec.CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i += Codec.CHUNK / 4) {
                int count = Math.min(n - i, Codec.CHUNK / 4);
                b.clear();
                b.asIntBuffer().put(data, i, count);
                out.write(b.array(), 0, 4 * count);
            }
        });
    }

    // ---------------------------------------------------------------- header writing

    /** The full header (magic to newline) exactly as numpy 1.24+ writes it. */
    static byte[] header(String descr, int[] shape) {
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            dict.append(i > 0 ? ", " : "").append(shape[i]);
        }
        dict.append(shape.length == 1 ? ",), }" : "), }");
        if (shape.length > 0) {
            dict.append(" ".repeat(GROWTH_DIGITS - Integer.toString(shape[0]).length()));
        }
        int hlen = dict.length() + 1;
        int pad1 = ALIGN - (10 + hlen) % ALIGN;
        int major = hlen + pad1 <= 0xffff ? 1 : 2; // as numpy: 1.0 unless the length overflows its uint16
        int prefix = major == 1 ? 10 : 12;
        int pad = ALIGN - (prefix + hlen) % ALIGN;
        dict.append(" ".repeat(pad)).append('\n');
        ByteBuffer b = ByteBuffer.allocate(prefix + dict.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) (hlen + pad));
        } else {
            b.putInt(hlen + pad);
        }
        b.put(dict.toString().getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    // ---------------------------------------------------------------- header reading

    private static Header header(InputStream in, String where) throws IOException {
        byte[] pre = in.readNBytes(8);
        if (pre.length < 8) {
            throw new IOException(where + ": truncated header: " + pre.length + " bytes, a .npy file has at least 10");
        }
        if (!Arrays.equals(pre, 0, 6, MAGIC, 0, 6)) {
            throw new IOException(where + ": magic: not a .npy file, starts with " + hex(pre, 6)
                    + " instead of \\x93NUMPY");
        }
        int major = pre[6];
        if (major < 1 || major > 3 || pre[7] != 0) {
            throw new IOException(where + ": version: unsupported format version " + (pre[6] & 0xff) + "."
                    + (pre[7] & 0xff) + " (supported: 1.0, 2.0, 3.0)");
        }
        int lenBytes = major == 1 ? 2 : 4;
        byte[] lb = in.readNBytes(lenBytes);
        if (lb.length < lenBytes) {
            throw new IOException(where + ": truncated header: the header length field is cut off");
        }
        long hlen = major == 1 ? ByteBuffer.wrap(lb).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffffL
                : ByteBuffer.wrap(lb).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        if (hlen > MAX_HEADER) {
            throw new IOException(where + ": header length: " + hlen + " bytes exceeds the limit of " + MAX_HEADER);
        }
        byte[] hb = in.readNBytes((int) hlen);
        if (hb.length < hlen) {
            throw new IOException(where + ": truncated header: declares " + hlen + " bytes, only " + hb.length
                    + " present");
        }
        String text;
        if (major == 3) {
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(hb)).toString();
            } catch (CharacterCodingException e) {
                throw new IOException(where + ": header: not valid UTF-8", e);
            }
        } else {
            text = new String(hb, StandardCharsets.ISO_8859_1);
        }
        Map<String, Object> dict = new Literal(text, where).dict();
        if (!dict.keySet().equals(Set.of("descr", "fortran_order", "shape"))) {
            throw new IOException(where + ": header: keys " + dict.keySet()
                    + " must be exactly descr, fortran_order, shape");
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new IOException(where + ": descr: " + str(dict.get("descr")) + " is not a simple dtype string");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new IOException(where + ": fortran_order: " + str(dict.get("fortran_order"))
                    + " is not True or False");
        }
        if (!(dict.get("shape") instanceof long[] dims)) {
            throw new IOException(where + ": shape: " + str(dict.get("shape")) + " is not a tuple of ints");
        }
        Elem e = elem(descr, where);
        ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        int numel = Codec.numel(dims, where, "shape");
        return new Header(e, order, fortran, Codec.shape(dims), numel,
                8 + lenBytes + hlen + (long) numel * e.size);
    }

    private static Elem elem(String descr, String where) throws IOException {
        Elem e = descr.length() != 3 ? null : switch (descr.substring(1)) {
            case "f2" -> Elem.F16;
            case "f4" -> Elem.F32;
            case "f8" -> Elem.F64;
            case "b1" -> Elem.BOOL;
            case "u1" -> Elem.U8;
            case "i1" -> Elem.I8;
            case "u2" -> Elem.U16;
            case "i2" -> Elem.I16;
            case "u4" -> Elem.U32;
            case "i4" -> Elem.I32;
            case "u8" -> Elem.U64;
            case "i8" -> Elem.I64;
            default -> null;
        };
        char o = descr.isEmpty() ? '?' : descr.charAt(0);
        if (e == null || !(o == '<' || o == '>' || o == '|' && e.size == 1)) {
            throw new IOException(where + ": descr: dtype '" + descr + "' is not supported (supported: <f2 <f4 <f8 "
                    + "|b1 |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8 and big-endian '>' variants)");
        }
        return e;
    }

    private static String str(Object v) {
        return v instanceof long[] a ? Arrays.toString(a) : v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(String.format("\\x%02x", b[i] & 0xff));
        }
        return sb.toString();
    }

    private static int[] reversed(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[a.length - 1 - i];
        }
        return r;
    }

    /** Parser for the Python literal subset of npy headers: a dict of str keys to str, bool or int-tuple values. */
    private static final class Literal extends Scanner {
        Literal(String s, String where) {
            super(s, where, "header");
        }

        Map<String, Object> dict() throws IOException {
            Map<String, Object> m = new LinkedHashMap<>();
            ws();
            expect('{');
            ws();
            while (peek() != '}') {
                String key = string();
                ws();
                expect(':');
                ws();
                Object v = value();
                if (m.put(key, v) != null) {
                    throw err("duplicate key '" + key + "'");
                }
                ws();
                if (peek() != ',') {
                    break;
                }
                i++;
                ws();
            }
            expect('}');
            ws();
            if (i != s.length()) {
                throw err("unexpected text after the dict");
            }
            return m;
        }

        private Object value() throws IOException {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (s.startsWith("True", i) || s.startsWith("False", i)) {
                i += c == 'T' ? 4 : 5;
                return c == 'T';
            }
            if (c == '(') {
                return tuple();
            }
            throw err("unsupported value");
        }

        private String string() throws IOException {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw err("expected a quoted string");
            }
            int end = s.indexOf(q, i + 1);
            if (end < 0 || s.indexOf('\\', i + 1) >= 0 && s.indexOf('\\', i + 1) < end) {
                throw err(end < 0 ? "unterminated string" : "escapes are not supported");
            }
            String v = s.substring(i + 1, end);
            i = end + 1;
            return v;
        }

        private long[] tuple() throws IOException {
            expect('(');
            ws();
            long[] out = new long[8];
            int n = 0;
            boolean comma = false;
            while (peek() != ')') {
                out = n < out.length ? out : Arrays.copyOf(out, 2 * n);
                out[n++] = integer();
                ws();
                comma = peek() == ',';
                if (!comma) {
                    break;
                }
                i++;
                ws();
            }
            expect(')');
            if (n == 1 && !comma) {
                throw err("(" + out[0] + ") is not a tuple, (" + out[0] + ",) is");
            }
            return Arrays.copyOf(out, n);
        }

        private long integer() throws IOException {
            int start = i;
            if (peek() == '-') {
                i++;
            }
            while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 128) {
                i++;
            }
            String digits = s.substring(start, i);
            if (peek() == 'L') {
                i++; // Python 2 long literal
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                i = start;
                throw err(digits.isEmpty() || digits.equals("-") ? "expected an integer" : "integer " + digits
                        + " is out of range");
            }
        }




    }
}
