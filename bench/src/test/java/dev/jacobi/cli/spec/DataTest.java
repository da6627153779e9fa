package dev.jacobi.cli.spec;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.datasets.Idx;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --data DIR}: a malformed file is reported with its own error, never as "no files found". */
class DataTest {
    @TempDir
    Path root;

    /** A valid MNIST folder (4 train, 2 test images), then {@code corrupt} applied to it. */
    private Path mnist(String name, Consumer<Path> corrupt) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        Idx.write(dir.resolve("train-images-idx3-ubyte"), new int[] {4, 28, 28}, new byte[4 * 784]);
        Idx.writeLabels(dir.resolve("train-labels-idx1-ubyte"), new int[] {0, 1, 2, 3});
        Idx.write(dir.resolve("t10k-images-idx3-ubyte"), new int[] {2, 28, 28}, new byte[2 * 784]);
        Idx.writeLabels(dir.resolve("t10k-labels-idx1-ubyte"), new int[] {4, 5});
        corrupt.accept(dir);
        return dir;
    }

    private static void edit(Path file, Consumer<ByteBuffer> change) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
            change.accept(b);
            Files.write(file, b.array());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String error(Path dir) {
        IOException e = assertThrows(IOException.class, () -> Data.load(dir.toString()));
        assertFalse(e.getMessage().contains("found no"), "a malformed file is not a missing one: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void eachMalformedFileIsNamedWithItsProblem() throws IOException {
        Data.load(mnist("valid", d -> { }).toString());
        String magic = error(mnist("magic", d -> edit(d.resolve("train-images-idx3-ubyte"), b -> b.putInt(0, 0x0807))));
        assertTrue(magic.contains("train-images-idx3-ubyte") && magic.contains("magic"), magic);
        String truncated = error(mnist("truncated", d -> {
            try {
                byte[] all = Files.readAllBytes(d.resolve("train-images-idx3-ubyte"));
                Files.write(d.resolve("train-images-idx3-ubyte"), Arrays.copyOf(all, all.length - 100));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }));
        assertTrue(truncated.contains("train-images-idx3-ubyte"), truncated);
        String count = error(mnist("count", d -> edit(d.resolve("train-images-idx3-ubyte"),
                b -> b.putInt(4, Integer.MAX_VALUE))));
        assertTrue(count.contains("train-images-idx3-ubyte") && count.contains(String.valueOf(Integer.MAX_VALUE)), count);
        String fewer = error(mnist("fewer", d -> {
            try {
                Idx.writeLabels(d.resolve("train-labels-idx1-ubyte"), new int[] {0, 1, 2});
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }));
        assertTrue(fewer.contains("train-labels-idx1-ubyte") || fewer.contains("train-images-idx3-ubyte"), fewer);
        String label = error(mnist("label", d -> edit(d.resolve("train-labels-idx1-ubyte"),
                b -> b.put(8, (byte) 250))));
        assertTrue(label.contains("train-labels-idx1-ubyte") && label.contains("250"), label);
        Files.createDirectories(Path.of("..", "target", "reliability"));
        Files.writeString(Path.of("..", "target", "reliability", "data-dirs.txt"), "corrupt MNIST folders given to"
                + " --data|5 folders: bad magic number, truncated image file, forged count of 2^31-1, fewer labels"
                + " than images, a label of 250|each gives the parser's own error naming the file (and the field),"
                + " never 'no files found'\n");
    }

    @Test
    void aFolderWithoutAnyKnownFilesSaysWhatItLookedFor() throws IOException {
        Path empty = Files.createDirectories(root.resolve("empty"));
        IOException e = assertThrows(IOException.class, () -> Data.load(empty.toString()));
        assertTrue(e.getMessage().contains("found no MNIST, Fashion-MNIST or CIFAR-10 files")
                && e.getMessage().contains("train-images-idx3-ubyte") && e.getMessage().contains("data_batch_1.bin"),
                e.getMessage());
    }

    @Test
    void theOfficialSetsLoadFromTheDataPathEachAsItself() throws IOException {
        String env = System.getenv("JACOBI_DATA");
        Assumptions.assumeTrue(env != null && Files.exists(Path.of(env, "train-images-idx3-ubyte.gz"))
                && Files.exists(Path.of(env, "fashion-train-images-idx3-ubyte.gz")), "skipped: JACOBI_DATA does not"
                + " point at a folder with the official MNIST and Fashion-MNIST files");
        dev.jacobi.datasets.Split mnist = Data.load("mnist");
        dev.jacobi.datasets.Split fashion = Data.load("fashion");
        assertTrue(mnist.train().size() == 60000 && mnist.test().size() == 10000, mnist.train().size() + "");
        assertTrue(fashion.train().size() == 60000 && fashion.test().size() == 10000, fashion.train().size() + "");
        // both sets sit side by side there: Fashion-MNIST must not be read from MNIST's files
        assertFalse(Arrays.equals(Arrays.copyOf(mnist.train().labels(), 100),
                Arrays.copyOf(fashion.train().labels(), 100)));
    }

    @Test
    void mnistWithoutTheFullSetFailsInsteadOfFallingBackToTheBundledSubset() throws IOException {
        Path empty = Files.createDirectories(root.resolve("nothing-here"));
        IOException e = assertThrows(IOException.class, () -> Data.load("mnist", java.util.List.of(empty)));
        assertTrue(e.getMessage().contains("--data mnist: no mnist files in [" + empty + "]")
                && e.getMessage().contains("JACOBI_DATA") && e.getMessage().contains("--data bundled"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertEquals(8000, Data.load("bundled").train().size(),
                "the bundled subset is reached by its own name");
    }

    @Test
    void theDataPathIsTheUsersOnly() {
        // JACOBI_DATA if set, ./data and the home cache: no repository-relative folders
        java.util.List<Path> want = new java.util.ArrayList<>();
        String env = System.getenv("JACOBI_DATA");
        if (env != null && !env.isEmpty()) {
            want.add(Path.of(env));
        }
        want.add(Path.of("data"));
        want.add(Path.of(System.getProperty("user.home"), ".jacobi", "data"));
        org.junit.jupiter.api.Assertions.assertEquals(want, Data.searchPath());
    }
}
