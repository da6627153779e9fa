package dev.jacobi.datasets;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CIFAR-10 binary format: a file is a sequence of 3073-byte records, one label byte in {@code [0, 10)} then a
 * 32x32 colour image as 3072 unsigned bytes in channel-major (CHW: red plane, green plane, blue plane) order.
 */
public final class Cifar10 {
    /** Bytes of one image, {@code 3 * 32 * 32}. */
    public static final int IMAGE_BYTES = 3 * 32 * 32;
    /** Bytes of one record, label byte plus image. */
    public static final int RECORD_BYTES = IMAGE_BYTES + 1;
    /** Number of classes. */
    public static final int CLASSES = 10;
    private static final long MAX_FILE = (long) (Integer.MAX_VALUE - 8) / IMAGE_BYTES * RECORD_BYTES;

    private Cifar10() {
    }

    /**
     * Reads one or more CIFAR-10 binary files into one data set of {@code [3, 32, 32]} samples with {@code x = b /
     * 255}, the records of the files in order.
     *
     * @param files the files, e.g. {@code data_batch_1.bin} to {@code data_batch_5.bin}
     * @return the data set
     * @throws IOException if a file cannot be read, its size is not a positive multiple of 3073 or a label is not
     *                     below 10
     */
    public static Dataset read(Path... files) throws IOException {
        byte[][] parts = new byte[files.length][];
        long total = 0;
        for (int f = 0; f < files.length; f++) {
            String name = files[f].toString();
            long size = Files.size(files[f]);
            if (size > MAX_FILE) {
                throw IoUtil.fail(name, "file size", size + " bytes is more than " + MAX_FILE);
            }
            try (InputStream in = Files.newInputStream(files[f])) {
                parts[f] = IoUtil.named(name, () -> IoUtil.readAll(in, MAX_FILE, name));
            }
            checkRecords(parts[f], name);
            total += parts[f].length / RECORD_BYTES;
            if (total * IMAGE_BYTES > Integer.MAX_VALUE - 8) {
                throw IoUtil.fail(name, "record count", total + " records in all are more than fit one array");
            }
        }
        return toDataset(parts, (int) total);
    }

    /**
     * Reads CIFAR-10 records from a stream (not compressed); the caller closes {@code in}.
     *
     * @param in   the stream
     * @param name name used in error messages
     * @return the data set
     * @throws IOException if the stream cannot be read or is malformed
     */
    public static Dataset read(InputStream in, String name) throws IOException {
        byte[] all = IoUtil.named(name, () -> IoUtil.readAll(in, MAX_FILE, name));
        checkRecords(all, name);
        return toDataset(new byte[][] {all}, all.length / RECORD_BYTES);
    }

    private static void checkRecords(byte[] b, String name) throws IOException {
        if (b.length == 0 || b.length % RECORD_BYTES != 0) {
            throw IoUtil.fail(name, "file size", b.length + " bytes is not a positive multiple of the "
                    + RECORD_BYTES + "-byte record");
        }
        for (int r = 0; r < b.length / RECORD_BYTES; r++) {
            int label = b[r * RECORD_BYTES] & 0xFF;
            if (label >= CLASSES) {
                throw IoUtil.fail(name, "label of record " + r, label + " outside [0, " + CLASSES + ")");
            }
        }
    }

    private static Dataset toDataset(byte[][] parts, int n) {
        byte[] pixels = new byte[n * IMAGE_BYTES];
        int[] labels = new int[n];
        int i = 0;
        for (byte[] b : parts) {
            for (int r = 0; r < b.length / RECORD_BYTES; r++, i++) {
                labels[i] = b[r * RECORD_BYTES] & 0xFF;
                System.arraycopy(b, r * RECORD_BYTES + 1, pixels, i * IMAGE_BYTES, IMAGE_BYTES);
            }
        }
        return Dataset.ofBytes(pixels, new int[] {3, 32, 32}, labels, CLASSES);
    }

    /**
     * Writes records in the CIFAR-10 binary format; the inverse of {@link #read(Path...)}.
     *
     * @param file   the file to create or replace
     * @param pixels {@code n * 3072} bytes, image {@code i} in CHW order at {@code i * 3072}
     * @param labels {@code n} labels in {@code [0, 10)}
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, byte[] pixels, int[] labels) throws IOException {
        if (pixels.length != (long) labels.length * IMAGE_BYTES) {
            throw new IllegalArgumentException("Cifar10.write: " + pixels.length + " pixel bytes do not hold "
                    + labels.length + " images of " + IMAGE_BYTES + " bytes");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= CLASSES) {
                throw new IllegalArgumentException("Cifar10.write: label " + labels[i] + " of image " + i
                        + " outside [0, " + CLASSES + ")");
            }
        }
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (int i = 0; i < labels.length; i++) {
                out.write(labels[i]);
                out.write(pixels, i * IMAGE_BYTES, IMAGE_BYTES);
            }
        }
    }
}
