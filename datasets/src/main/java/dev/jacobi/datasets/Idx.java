package dev.jacobi.datasets;

import dev.jacobi.core.Shapes;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * The IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed: a big-endian header {@code 00 00 08 r} (type
 * {@code 08} = unsigned byte, {@code r} dims), then {@code r} int32 sizes, then {@code prod(sizes)} bytes in row-major
 * order. Only the unsigned-byte type is supported.
 */
public final class Idx {
    /** Largest number of dims accepted. */
    static final int MAX_DIMS = 8;

    private Idx() {
    }

    /**
     * An IDX array of unsigned bytes: element {@code (i_0, ..., i_{r-1})} is {@code data[row-major offset] & 0xFF}.
     *
     * @param dims sizes of the dims
     * @param data the elements, {@code prod(dims)} bytes
     */
    public record Data(int[] dims, byte[] data) {
    }

    /**
     * Reads an IDX file, gzip-compressed or raw (detected from its first bytes).
     *
     * @param file the file
     * @return its dims and bytes
     * @throws IOException if the file cannot be read or is malformed (wrong magic, negative or oversized dims,
     *                     truncated or trailing data); the message names the file, the field and the value
     */
    public static Data read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads an IDX stream, gzip-compressed or raw; the caller closes {@code in}.
     *
     * @param in   the stream
     * @param name name used in error messages (usually the file name)
     * @return its dims and bytes
     * @throws IOException if the stream cannot be read or is malformed
     */
    public static Data read(InputStream in, String name) throws IOException {
        return IoUtil.named(name, () -> parse(IoUtil.maybeGunzip(in), name));
    }

    private static Data parse(InputStream in, String name) throws IOException {
        byte[] magic = IoUtil.readExactly(in, 4, name, "magic number");
        if (magic[0] != 0 || magic[1] != 0) {
            throw IoUtil.fail(name, "magic number", String.format("0x%02x%02x%02x%02x does not start with 0x0000",
                    magic[0], magic[1], magic[2], magic[3]));
        }
        if (magic[2] != 0x08) {
            throw IoUtil.fail(name, "magic number", String.format("data type 0x%02x is not 0x08 (unsigned byte)",
                    magic[2]));
        }
        int rank = magic[3] & 0xFF;
        if (rank < 1 || rank > MAX_DIMS) {
            throw IoUtil.fail(name, "magic number", "number of dims " + rank + " outside [1, " + MAX_DIMS + "]");
        }
        byte[] h = IoUtil.readExactly(in, 4 * rank, name, "dims");
        int[] dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = ((h[4 * i] & 0xFF) << 24) | ((h[4 * i + 1] & 0xFF) << 16) | ((h[4 * i + 2] & 0xFF) << 8)
                    | (h[4 * i + 3] & 0xFF);
            if (dims[i] < 0) {
                throw IoUtil.fail(name, "dim " + i, "size " + Integer.toUnsignedString(dims[i]) + " exceeds 2^31-1");
            }
            count *= dims[i];
            if (count > Integer.MAX_VALUE - 8) {
                throw IoUtil.fail(name, "dims", "sizes " + Shapes.str(dims) + " declare more than 2^31 bytes");
            }
        }
        byte[] data = IoUtil.readExactly(in, (int) count, name, "data of dims " + Shapes.str(dims));
        if (in.read() >= 0) {
            throw IoUtil.fail(name, "data", "trailing bytes after the " + count + " declared by dims "
                    + Shapes.str(dims));
        }
        return new Data(dims, data);
    }

    /**
     * Writes an unsigned-byte IDX file, gzip-compressed if the file name ends with {@code .gz}; the inverse of
     * {@link #read(Path)}.
     *
     * @param file the file to create or replace
     * @param dims sizes of the dims (1 to 8 of them)
     * @param data {@code prod(dims)} bytes in row-major order
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, int[] dims, byte[] data) throws IOException {
        if (dims.length < 1 || dims.length > MAX_DIMS) {
            throw new IllegalArgumentException("Idx.write: " + dims.length + " dims, expected 1 to " + MAX_DIMS);
        }
        int n = Shapes.numel(dims, "Idx.write");
        if (n != data.length) {
            throw new IllegalArgumentException("Idx.write: dims " + Shapes.str(dims) + " hold " + n + " bytes, data has "
                    + data.length);
        }
        OutputStream raw = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        try (DataOutputStream out = new DataOutputStream(
                file.getFileName().toString().endsWith(".gz") ? new GZIPOutputStream(raw, 1 << 16) : raw)) {
            out.writeInt(0x0800 | dims.length);
            for (int s : dims) {
                out.writeInt(s);
            }
            out.write(data);
        }
    }

    /**
     * Writes labels as a 1-D IDX file ({@code dims = [n]}), gzip-compressed if the name ends with {@code .gz}.
     *
     * @param file   the file to create or replace
     * @param labels labels, each in {@code [0, 255]}
     * @throws IOException if the file cannot be written
     */
    public static void writeLabels(Path file, int[] labels) throws IOException {
        byte[] b = new byte[labels.length];
        for (int i = 0; i < b.length; i++) {
            if (labels[i] < 0 || labels[i] > 255) {
                throw new IllegalArgumentException("Idx.writeLabels: label " + labels[i] + " of item " + i
                        + " does not fit an unsigned byte");
            }
            b[i] = (byte) labels[i];
        }
        write(file, new int[] {b.length}, b);
    }

    /**
     * Reads an image file ({@code [n, H, W]} or {@code [n, C, H, W]}) and a label file ({@code [n]}) into a data set
     * with samples {@code [C, H, W]} ({@code C = 1} for 3-D files) and pixels {@code x = b / 255}.
     *
     * @param images     the image file
     * @param labels     the label file
     * @param numClasses number of classes; every label must be below it
     * @return the data set
     * @throws IOException if a file is malformed, the counts differ or a label is out of range
     */
    public static Dataset readDataset(Path images, Path labels, int numClasses) throws IOException {
        return dataset(read(images), images.toString(), read(labels), labels.toString(), numClasses);
    }

    /** Checks an image array and a label array against each other and builds the data set. */
    static Dataset dataset(Data img, String imgName, Data lab, String labName, int numClasses) throws IOException {
        int[] d = img.dims();
        if (d.length != 3 && d.length != 4) {
            throw IoUtil.fail(imgName, "dims", Shapes.str(d) + " are not [n, H, W] or [n, C, H, W]");
        }
        for (int i = 1; i < d.length; i++) {
            if (d[i] == 0) {
                throw IoUtil.fail(imgName, "dims", Shapes.str(d) + " has an empty image dim " + i);
            }
        }
        if (lab.dims().length != 1) {
            throw IoUtil.fail(labName, "dims", Shapes.str(lab.dims()) + " are not [n]");
        }
        if (lab.dims()[0] != d[0]) {
            throw IoUtil.fail(labName, "item count", lab.dims()[0] + " labels, but " + imgName + " has " + d[0]
                    + " images");
        }
        int[] y = new int[d[0]];
        for (int i = 0; i < y.length; i++) {
            y[i] = lab.data()[i] & 0xFF;
            if (y[i] >= numClasses) {
                throw IoUtil.fail(labName, "label of item " + i, y[i] + " outside [0, " + numClasses + ")");
            }
        }
        int[] sample = d.length == 3 ? new int[] {1, d[1], d[2]} : new int[] {d[1], d[2], d[3]};
        return Dataset.ofBytes(img.data(), sample, y, numClasses);
    }
}
