package dev.jacobi.bench.cli;

import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Resolves {@code --data}: {@code bundled} (the MNIST subset shipped in the jar, 8,000/2,000), {@code mnist},
 * {@code fashion} and {@code cifar10} (read from {@code $JACOBI_DATA}, then {@code ./data}, then
 * {@code ../shared/data}; {@code mnist} falls back to the bundled subset), or a directory holding one of them.
 */
final class Data {
    static final List<String> NAMES = List.of("bundled", "mnist", "fashion", "cifar10", "<dir>");

    private Data() {
    }

    static Split load(String name) throws IOException {
        switch (name) {
            case "bundled":
                return Datasets.bundledMnistSplit();
            case "mnist":
            case "fashion":
            case "cifar10": {
                for (Path dir : searchPath()) {
                    try {
                        return switch (name) {
                            case "mnist" -> Datasets.mnist(dir);
                            case "fashion" -> Datasets.fashionMnist(dir);
                            default -> Datasets.cifar10(dir);
                        };
                    } catch (java.nio.file.NoSuchFileException e) {
                        // not in this directory; try the next
                    } catch (IOException e) {
                        if (e.getMessage() != null && e.getMessage().contains(": none of ")) {
                            continue;
                        }
                        throw e;
                    }
                }
                if (name.equals("mnist")) {
                    return Datasets.bundledMnistSplit();
                }
                throw new IOException("--data " + name + ": no " + name + " files in " + searchPath()
                        + " (set " + Datasets.ENV + " to the directory holding them)");
            }
            default: {
                Path dir = Path.of(name);
                if (!Files.isDirectory(dir)) {
                    throw new IllegalArgumentException("--data '" + name + "': not one of " + String.join(", ", NAMES)
                            + " and not a directory");
                }
                for (String kind : List.of("mnist", "fashion", "cifar10")) {
                    try {
                        return switch (kind) {
                            case "mnist" -> Datasets.mnist(dir);
                            case "fashion" -> Datasets.fashionMnist(dir);
                            default -> Datasets.cifar10(dir);
                        };
                    } catch (IOException e) {
                        if (kind.equals("cifar10")) {
                            throw new IOException("--data " + name + ": found no MNIST, Fashion-MNIST or CIFAR-10 files: "
                                    + e.getMessage());
                        }
                    }
                }
                throw new AssertionError("unreachable");
            }
        }
    }

    static List<Path> searchPath() {
        String env = System.getenv(Datasets.ENV);
        return env == null ? List.of(Path.of("data"), Path.of("..", "shared", "data"))
                : List.of(Path.of(env), Path.of("data"), Path.of("..", "shared", "data"));
    }
}
