package dev.jacobi.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Rng;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Synthetic;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.Adam;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated checkpoints and model files: reading them and resuming or loading from them either works or fails with an
 * {@link IOException} or {@link IllegalArgumentException} that has a message; never another exception.
 */
class CheckpointFuzzTest {
    static final int MUTANTS = 1500;

    private static Layer model() {
        Rng r = new Rng(3);
        return new Sequential(new Linear(2, 8, r), new ReLU(), new Linear(8, 3, r));
    }

    /** A copy of {@code b} truncated, with bytes overwritten (often in the header), or with digits changed. */
    private static byte[] mutate(byte[] b, Random r) {
        byte[] m = b.clone();
        int header = (int) Math.min(m.length, 8 + (m[0] & 0xff) + ((m[1] & 0xff) << 8));
        switch (r.nextInt(3)) {
            case 0 -> m = Arrays.copyOf(m, r.nextInt(m.length));
            case 1 -> {
                for (int k = 1 + r.nextInt(4); k > 0; k--) {
                    m[r.nextInt(r.nextBoolean() ? header : m.length)] = (byte) r.nextInt(256);
                }
            }
            default -> {
                for (int k = 0; k < 40; k++) {
                    int i = 8 + r.nextInt(Math.max(1, header - 8));
                    if (i < m.length && Character.isDigit(m[i])) {
                        m[i] = (byte) "0123456789".charAt(r.nextInt(10));
                        break;
                    }
                }
            }
        }
        return m;
    }

    @Test
    void mutatedCheckpointsAndModelFilesFailOnlyWithAMessage(@TempDir Path dir) throws IOException {
        Layer m = model();
        Trainer t = Trainer.builder(m, new Adam(m.parameters(), 1e-3)).checkpoints(dir, 1).build();
        t.fit(DataLoader.builder(Synthetic.blobs(32, 3, 0.8, 5), 16).seed(3).build()::epoch, 1);
        ModelFiles.save(m, dir.resolve("model.safetensors"));
        byte[] ckpt = Files.readAllBytes(t.checkpointPath());
        byte[] model = Files.readAllBytes(dir.resolve("model.safetensors"));
        Random r = new Random(2024);
        Path p = dir.resolve("mutant.safetensors");
        int parsed = 0;
        for (int i = 0; i < MUTANTS; i++) {
            boolean isCkpt = i % 2 == 0;
            Files.write(p, mutate(isCkpt ? ckpt : model, r));
            try {
                if (isCkpt) {
                    Checkpoint.read(p);
                    Layer fresh = model();
                    Trainer.builder(fresh, new Adam(fresh.parameters(), 1e-3)).build().resume(p);
                } else {
                    ModelFiles.load(model(), p, true);
                }
                parsed++;
            } catch (IOException | IllegalArgumentException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "an error without a message: " + e);
            }
        }
        assertTrue(parsed < MUTANTS, "most mutants are rejected: " + parsed);
        Files.createDirectories(Path.of("..", "target", "reliability"));
        Files.writeString(Path.of("..", "target", "reliability", "checkpoint.txt"), "fuzzed checkpoints and model"
                + " files|" + MUTANTS + " mutants (truncation, byte flips, header digit edits), read and then resumed"
                + " or loaded into a model|" + parsed + " loaded, every other one failed with an IOException or"
                + " IllegalArgumentException with a message; no other exception\n");
    }
}
