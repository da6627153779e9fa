package dev.jacobi.cli.spec;

import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves {@code --data}: {@code bundled} (the MNIST subset shipped in the jar, 8,000/2,000), {@code mnist},
 * {@code fashion} and {@code cifar10} (read from the first folder of the data path that holds their files:
 * {@code $JACOBI_DATA}, {@code ./data}, {@code ~/.jacobi/data}, each also with a sub-folder of the set's name), or a
 * directory holding one of them. A set that is found but malformed is an error naming the file and the field; a set
 * that is found nowhere is an error naming every place looked in. Nothing falls back to another set.
 */
public final class Data {
    static final List<String> NAMES = List.of("bundled", "mnist", "fashion", "cifar10", "<dir>");

    private Data() {
    }

    /** A reader of one format from a directory. */
    @FunctionalInterface
    private interface Reader {
        Split read(Path dir) throws IOException;
    }

    private static Reader reader(String name) {
        return switch (name) {
            case "mnist" -> Datasets::mnist;
            case "fashion" -> Datasets::fashionMnist;
            default -> Datasets::cifar10;
        };
    }

    public static Split load(String name) throws IOException {
        return load(name, searchPath());
    }

    /** {@link #load(String)} with the data path given. */
    public static Split load(String name, List<Path> searchPath) throws IOException {
        switch (name) {
            case "bundled":
                return Datasets.bundledMnistSplit();
            case "mnist":
            case "fashion":
            case "cifar10": {
                List<Path> looked = new ArrayList<>();
                for (Path root : searchPath) {
                    for (Path dir : List.of(root, root.resolve(name.equals("fashion") ? "fashion-mnist" : name))) {
                        if (!Files.isDirectory(dir)) {
                            continue;
                        }
                        looked.add(dir);
                        try {
                            return reader(name).read(dir);
                        } catch (NoSuchFileException notHere) {
                            // none of this set's files in this folder: look in the next
                        } catch (IOException malformed) {
                            throw new IOException("--data " + name + ": " + malformed.getMessage(), malformed);
                        }
                    }
                }
                throw new IOException("--data " + name + ": no " + name + " files in " + (looked.isEmpty()
                        ? "any folder of the data path" : looked) + " (the data path is " + searchPath + "); set "
                        + Datasets.ENV + " to the folder holding them, or get them with 'jacobi download "
                        + (name.equals("fashion") ? "fashion-mnist" : name) + " --dir data'"
                        + (name.equals("mnist") ? "; --data bundled is the 10,000-image subset shipped in the jar" : ""));
            }
            default: {
                Path dir = Path.of(name);
                if (!Files.isDirectory(dir)) {
                    throw new IllegalArgumentException("--data '" + name + "': not one of " + String.join(", ", NAMES)
                            + " and not a directory");
                }
                List<String> missing = new ArrayList<>();
                for (String kind : List.of("mnist", "fashion", "cifar10")) {
                    try {
                        return reader(kind).read(dir);
                    } catch (NoSuchFileException notThisKind) {
                        missing.add(notThisKind.getMessage());
                    } catch (IOException malformed) {
                        throw new IOException("--data " + name + ": " + malformed.getMessage(), malformed);
                    }
                }
                throw new IOException("--data " + name + ": found no MNIST, Fashion-MNIST or CIFAR-10 files ("
                        + String.join("; ", missing) + ")");
            }
        }
    }

    /** The folders searched for named sets, in order: {@code $JACOBI_DATA}, {@code ./data}, {@code ~/.jacobi/data}. */
    static List<Path> searchPath() {
        List<Path> path = new ArrayList<>();
        String env = System.getenv(Datasets.ENV);
        if (env != null && !env.isEmpty()) {
            path.add(Path.of(env));
        }
        path.add(Path.of("data"));
        path.add(Path.of(System.getProperty("user.home"), ".jacobi", "data"));
        return path;
    }
}
