package dev.jacobi.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.io.Npy;

/**
 * Named data sets: MNIST, Fashion-MNIST and CIFAR-10 read from a directory in their standard file formats, and the
 * bundled 10k MNIST subset (no configuration, no network). Nothing here ever downloads; see {@link Downloader}.
 */
public final class Datasets {
    /** Environment variable naming the data directory for {@link #fromEnv(String)}. */
    public static final String ENV = "JACOBI_DATA";
    /** Seed of the bundled split, fixed so that every run sees the same 8,000/2,000 partition. */
    public static final long BUNDLED_SPLIT_SEED = 20240601L;
    private static final String RESOURCE = "mnist-10k-";

    private Datasets() {
    }

    /**
     * MNIST from {@code dir}: {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code
     * t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each raw or with {@code .gz}.
     *
     * @param dir the directory
     * @return train (60,000 in the official files) and test (10,000) sets of {@code [1, 28, 28]} images, 10 classes
     * @throws java.nio.file.NoSuchFileException if a file is missing (its message lists the names looked for)
     * @throws IOException if a file is malformed (the message names the file and the field)
     */
    public static Split mnist(Path dir) throws IOException {
        return idxSplit(dir, "mnist", "");
    }

    /**
     * Fashion-MNIST from {@code dir}, with a {@code fashion-} prefix ({@code fashion-train-images-idx3-ubyte.gz},
     * {@code fashion-test-images-idx3-ubyte.gz}, ...), which is looked for first, or under the standard MNIST file
     * names (see {@link #mnist(Path)}).
     *
     * @param dir the directory
     * @return train and test sets of {@code [1, 28, 28]} images, 10 classes
     * @throws IOException if a file is missing or malformed
     */
    public static Split fashionMnist(Path dir) throws IOException {
        return idxSplit(dir, "fashionMnist", "fashion-");
    }

    /**
     * A data set from a pair of NumPy files: {@code images} of shape {@code [N, ...]} (any float or integer dtype;
     * values are used as stored, so scale 0..255 pixels to [0, 1] before saving) and {@code labels} of shape
     * {@code [N]} (integers). Reads through {@link Npy}.
     *
     * @param images     the sample array, first dim = number of samples
     * @param labels     the label array
     * @param numClasses number of classes, or 0 to use the largest label + 1
     * @return the data set
     * @throws IOException if a file is malformed, the counts differ or a label is out of range
     */
    public static Dataset npy(Path images, Path labels, int numClasses) throws IOException {
        Tensor x = Npy.read(images);
        Npy.IntArray y = Npy.readInts(labels);
        if (x.dim() < 2) {
            throw new IOException(images + ": shape " + Shapes.str(x.shape()) + ": want [samples, ...] with at least 2 dims");
        }
        if (y.shape().length != 1 || y.data().length != x.size(0)) {
            throw new IOException(labels + ": shape " + Shapes.str(y.shape()) + " does not match " + x.size(0)
                    + " samples in " + images);
        }
        int classes = numClasses;
        if (classes <= 0) {
            for (int v : y.data()) {
                classes = Math.max(classes, v + 1);
            }
        }
        for (int i = 0; i < y.data().length; i++) {
            if (y.data()[i] < 0 || y.data()[i] >= classes) {
                throw new IOException(labels + ": label " + y.data()[i] + " at index " + i + " is outside [0, "
                        + classes + ")");
            }
        }
        int[] sample = java.util.Arrays.copyOfRange(x.shape(), 1, x.dim());
        return Dataset.ofFloats(x.toFloatArray(), sample, y.data(), classes);
    }

    /**
     * A data set from a CSV file of numbers, one sample per line: the column {@code labelColumn} (0-based; −1 for the
     * last) holds the class as a whole number, the other columns the sample's features (finite numbers), in order.
     * Fields are separated by commas (spaces around them are ignored); a first line in which no field is a number is
     * taken as a header; empty lines are skipped.
     *
     * @param file        the CSV file
     * @param labelColumn the label's column, or −1 for the last
     * @param numClasses  number of classes, or 0 to use the largest label + 1
     * @return a data set of samples of shape {@code [features]}
     * @throws IOException naming the file, the line and the field when a value is not a number, a label not a
     *                     whole number in range, or a line has another number of fields than the first
     */
    public static Dataset csv(Path file, int labelColumn, int numClasses) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not UTF-8 text", e);
        }
        List<float[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        int fields = -1;
        int label = -1;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(",", -1);
            if (fields < 0) {
                fields = parts.length;
                label = labelColumn < 0 ? fields - 1 : labelColumn;
                if (fields < 2 || label >= fields) {
                    throw new IOException(file + ": line " + (n + 1) + " has " + fields + " fields: need at least 2,"
                            + " and a label column " + labelColumn + " among them");
                }
                if (java.util.Arrays.stream(parts).noneMatch(f -> numeric(f.strip()))) {
                    continue; // a header: no field is a number
                }
            }
            if (parts.length != fields) {
                throw new IOException(file + ": line " + (n + 1) + " has " + parts.length + " fields, the first has "
                        + fields);
            }
            float[] row = new float[fields - 1];
            for (int j = 0, k = 0; j < fields; j++) {
                String f = parts[j].strip();
                double v;
                try {
                    v = Double.parseDouble(f);
                } catch (NumberFormatException e) {
                    throw new IOException(file + ": line " + (n + 1) + ", field " + (j + 1) + ": '" + f
                            + "' is not a number", e);
                }
                if (!Double.isFinite(v)) {
                    throw new IOException(file + ": line " + (n + 1) + ", field " + (j + 1) + ": '" + f
                            + "' is not a finite number");
                }
                if (j == label) {
                    if (v != Math.rint(v) || v < 0 || v > Integer.MAX_VALUE - 1) {
                        throw new IOException(file + ": line " + (n + 1) + ", field " + (j + 1) + ": label '" + f
                                + "' is not a whole number >= 0");
                    }
                    labels.add((int) v);
                } else {
                    row[k++] = (float) v;
                }
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new IOException(file + ": no samples");
        }
        int classes = numClasses > 0 ? numClasses : labels.stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        int[] y = new int[labels.size()];
        float[] x = new float[rows.size() * (fields - 1)];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.get(i);
            if (y[i] >= classes) {
                throw new IOException(file + ": label " + y[i] + " of sample " + (i + 1) + " is outside [0, "
                        + classes + ")");
            }
            System.arraycopy(rows.get(i), 0, x, i * (fields - 1), fields - 1);
        }
        return Dataset.ofFloats(x, new int[] {fields - 1}, y, classes);
    }

    private static boolean numeric(String field) {
        try {
            Double.parseDouble(field);
            return true;
        } catch (NumberFormatException e) {
            return false; // the answer: a header's field is not a number
        }
    }

    private static Split idxSplit(Path dir, String op, String prefix) throws IOException {
        return new Split(idx(dir, op, prefix, "train"), idx(dir, op, prefix, "t10k", "test"));
    }

    private static Dataset idx(Path dir, String op, String prefix, String... stems) throws IOException {
        List<String> img = new ArrayList<>();
        List<String> lab = new ArrayList<>();
        // the prefixed names first: a folder holding MNIST and Fashion-MNIST side by side (as the official
        // downloads are often kept) must not give MNIST's standard-named files for Fashion-MNIST
        for (String p : prefix.isEmpty() ? new String[] {""} : new String[] {prefix, ""}) {
            for (String s : stems) {
                for (String gz : new String[] {".gz", ""}) {
                    img.add(p + s + "-images-idx3-ubyte" + gz);
                    lab.add(p + s + "-labels-idx1-ubyte" + gz);
                }
            }
        }
        return Idx.readDataset(find(dir, op, img), find(dir, op, lab), 10);
    }

    private static Path find(Path dir, String op, List<String> names) throws IOException {
        for (String n : names) {
            Path p = dir.resolve(n);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        // a NoSuchFileException says "not here", as opposed to a file that is here but malformed
        throw new java.nio.file.NoSuchFileException(null, null, op + ": none of " + names + " found in " + dir);
    }

    /**
     * CIFAR-10 from {@code dir} or {@code dir/cifar-10-batches-bin}: {@code data_batch_1.bin} ..
     * {@code data_batch_5.bin} for train, {@code test_batch.bin} for test.
     *
     * @param dir the directory
     * @return train (50,000) and test (10,000) sets of {@code [3, 32, 32]} images, 10 classes
     * @throws IOException if a file is missing or malformed
     */
    public static Split cifar10(Path dir) throws IOException {
        Path d = Files.isDirectory(dir.resolve("cifar-10-batches-bin")) ? dir.resolve("cifar-10-batches-bin") : dir;
        Path[] train = new Path[5];
        for (int i = 0; i < 5; i++) {
            train[i] = find(d, "cifar10", List.of("data_batch_" + (i + 1) + ".bin"));
        }
        return new Split(Cifar10.read(train), Cifar10.read(find(d, "cifar10", List.of("test_batch.bin"))));
    }

    /**
     * A named set from the directory in the {@code JACOBI_DATA} environment variable, or from its sub-directory
     * named {@code name} if that exists.
     *
     * @param name {@code mnist}, {@code fashion-mnist} or {@code cifar10} (case-insensitive)
     * @return the train and test sets
     * @throws IOException if {@code JACOBI_DATA} is unset or the files are missing or malformed
     */
    public static Split fromEnv(String name) throws IOException {
        return fromDir(name, System.getenv(ENV));
    }

    /** {@link #fromEnv(String)} with the variable's value passed in (null when unset). */
    static Split fromDir(String name, String root) throws IOException {
        String key = name.toLowerCase(Locale.ROOT);
        if (!List.of("mnist", "fashion-mnist", "cifar10").contains(key)) {
            throw new IllegalArgumentException("Datasets.fromEnv: unknown data set '" + name
                    + "', expected mnist, fashion-mnist or cifar10");
        }
        if (root == null || root.isEmpty()) {
            throw new IOException("Datasets.fromEnv: " + ENV + " is not set; point it at the directory holding "
                    + name + ", or use Datasets.bundledMnist()");
        }
        Path dir = Path.of(root);
        if (Files.isDirectory(dir.resolve(key))) {
            dir = dir.resolve(key);
        }
        switch (key) {
            case "mnist":
                return mnist(dir);
            case "fashion-mnist":
                return fashionMnist(dir);
            default:
                return cifar10(dir);
        }
    }

    /** Lazily loaded bundled set, shared (it is immutable). */
    private static final class Bundled {
        static final Dataset MNIST = load();

        private static Dataset load() {
            try {
                return Idx.dataset(resource("images-idx3-ubyte.gz"), RESOURCE + "images",
                        resource("labels-idx1-ubyte.gz"), RESOURCE + "labels", 10);
            } catch (IOException e) {
                throw new UncheckedIOException("bundled MNIST resource is unreadable: " + e.getMessage(), e);
            }
        }

        private static Idx.Data resource(String suffix) throws IOException {
            String name = RESOURCE + suffix;
            try (InputStream in = Datasets.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IOException("resource " + name + " is missing from the jar");
                }
                return Idx.read(in, name);
            }
        }
    }

    /**
     * The bundled MNIST subset, 10,000 digits of {@code [1, 28, 28]} in a fixed shuffled order (so any prefix is
     * roughly class-balanced), read from the jar's resources. MNIST is by Yann LeCun, Corinna Cortes and Christopher
     * Burges, CC BY-SA 3.0 (see the NOTICE next to the resource).
     *
     * @return the data set, loaded once and shared
     */
    public static Dataset bundledMnist() {
        return Bundled.MNIST;
    }

    /**
     * The default split of the bundled MNIST subset: {@code bundledMnist().balancedSplit(200, BUNDLED_SPLIT_SEED)},
     * i.e. a test set of exactly 200 digits per class (2,000) and the other 8,000 for training.
     *
     * @return the deterministic 8,000/2,000 split
     */
    public static Split bundledMnistSplit() {
        return bundledMnist().balancedSplit(200, BUNDLED_SPLIT_SEED);
    }
}
