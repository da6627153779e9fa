package dev.jacobi.train;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jacobi.core.Rng;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.Adam;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of checkpoints and model files: reading, resuming and loading either work or
 * fail with an {@link IOException} or {@link IllegalArgumentException} with a message. Under {@code mvn verify} it
 * runs the seed inputs only; {@code .ci/fuzz} fuzzes it ({@code JAZZER_FUZZ=1}).
 */
class CheckpointJazzerTest {
    private static Path file;

    private static Layer model() {
        Rng r = new Rng(3);
        return new Sequential(new Linear(2, 4, r), new ReLU(), new Linear(4, 3, r));
    }

    @FuzzTest(maxDuration = "10s")
    void checkpointsAndModelFilesFailOnlyWithAMessage(byte[] data) throws IOException {
        if (file == null) {
            file = Files.createTempFile("jacobi-fuzz", ".safetensors");
            file.toFile().deleteOnExit();
        }
        Files.write(file, data);
        try {
            Checkpoint.read(file);
            Layer m = model();
            Trainer.builder(m, new Adam(m.parameters(), 1e-3)).build().resume(file);
        } catch (IOException | IllegalArgumentException e) {
            withMessage(e);
        }
        try {
            ModelFiles.load(model(), file, true);
        } catch (IOException | IllegalArgumentException e) {
            withMessage(e);
        }
    }

    private static void withMessage(Exception e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("an error without a message", e);
        }
    }
}
