package dev.jacobi.datasets;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The official distribution files of MNIST, Fashion-MNIST and CIFAR-10 with their SHA-256 sums, and
 * {@link #download(String, Path)}, which fetches them on request only. MNIST comes from the mirror that PyTorch and
 * TensorFlow use (the original {@code yann.lecun.com/exdb/mnist/} no longer serves the files); Fashion-MNIST from
 * Zalando's site; CIFAR-10 from Alex Krizhevsky's page at the University of Toronto (its archive is unpacked into
 * {@code cifar-10-batches-bin/}).
 */
public final class Official {
    /** One file: where it lives and what its SHA-256 must be. */
    public record File(URI url, String sha256) {
    }

    private static final String MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/";
    private static final String FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /** The files of each named set. */
    public static final Map<String, List<File>> FILES = new LinkedHashMap<>();

    static {
        FILES.put("mnist", List.of(
                file(MNIST + "train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
                file(MNIST + "train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
                file(MNIST + "t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
                file(MNIST + "t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6")));
        FILES.put("fashion-mnist", List.of(
                file(FASHION + "train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
                file(FASHION + "train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
                file(FASHION + "t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
                file(FASHION + "t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5")));
        FILES.put("cifar10", List.of(
                file("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                        "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd")));
    }

    private Official() {
    }

    private static File file(String url, String sha) {
        return new File(URI.create(url), sha);
    }

    /**
     * Downloads the named set ({@code mnist}, {@code fashion-mnist} or {@code cifar10}) into {@code dir}, verifying
     * every file's SHA-256, so that {@link Datasets#mnist(Path)} and friends can read it. Files already there with
     * the right checksum are not fetched again.
     *
     * @param name the set
     * @param dir  the directory to fill
     * @return {@code dir}
     * @throws IOException if a transfer or a checksum fails (no file is left under its final name then)
     */
    public static Path download(String name, Path dir) throws IOException {
        return download(name, dir, null);
    }

    /** As {@link #download(String, Path)}, with every URL's scheme, host and directory replaced by {@code base}. */
    static Path download(String name, Path dir, URI base) throws IOException {
        List<File> files = FILES.get(name);
        if (files == null) {
            throw new IllegalArgumentException("Official.download: unknown set '" + name + "'; choose one of "
                    + String.join(", ", FILES.keySet()));
        }
        Downloader d = new Downloader(dir);
        for (File f : files) {
            String path = f.url().getPath();
            URI url = base == null ? f.url() : base.resolve(path.substring(path.lastIndexOf('/') + 1));
            Path got = d.fetch(url, f.sha256());
            if (got.getFileName().toString().endsWith(".tar.gz")) {
                untar(got, dir);
            }
        }
        return dir;
    }

    /**
     * Unpacks the regular files of a gzipped ustar archive into {@code dir}, each written atomically. Names that are
     * absolute or climb out of {@code dir} are refused, and every header field is bounds-checked.
     */
    static void untar(Path archive, Path dir) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(Files.newInputStream(archive)))) {
            byte[] header = new byte[512];
            while (true) {
                if (in.readNBytes(header, 0, 512) < 512) {
                    throw new IOException(archive + ": truncated tar header");
                }
                if (allZero(header)) {
                    return;
                }
                String name = cstring(header, 0, 100);
                String prefix = cstring(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                long size = octal(header, 124, 12, archive, name);
                char type = (char) header[156];
                Path target = root.resolve(name).normalize();
                if (name.isEmpty() || name.startsWith("/") || !target.startsWith(root)) {
                    throw new IOException(archive + ": entry '" + name + "' would leave " + root);
                }
                long padded = (size + 511) / 512 * 512;
                if (type == '0' || type == 0) {
                    Files.createDirectories(target.getParent());
                    long[] left = {size};
                    dev.jacobi.core.io.AtomicFiles.write(target, out -> {
                        byte[] buf = new byte[1 << 16];
                        while (left[0] > 0) {
                            int n = in.read(buf, 0, (int) Math.min(buf.length, left[0]));
                            if (n < 0) {
                                throw new IOException(archive + ": entry '" + target.getFileName() + "' truncated");
                            }
                            out.write(buf, 0, n);
                            left[0] -= n;
                        }
                    });
                    skip(in, padded - size, archive);
                } else {
                    skip(in, padded, archive);
                }
            }
        }
    }

    private static void skip(InputStream in, long n, Path archive) throws IOException {
        try {
            in.skipNBytes(n);
        } catch (java.io.EOFException e) {
            throw new IOException(archive + ": truncated tar entry");
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cstring(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int off, int len, Path archive, String name) throws IOException {
        long v = 0;
        boolean digits = false;
        for (int i = off; i < off + len && b[i] != 0 && b[i] != ' '; i++) {
            if (b[i] < '0' || b[i] > '7') {
                throw new IOException(archive + ": entry '" + name + "': bad size field");
            }
            v = v * 8 + (b[i] - '0');
            digits = true;
            if (v > (1L << 40)) {
                throw new IOException(archive + ": entry '" + name + "': size " + v + " is implausibly large");
            }
        }
        if (!digits) {
            throw new IOException(archive + ": entry '" + name + "': empty size field");
        }
        return v;
    }
}
