package dev.jacobi.train;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jacobi.core.Rng;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Module;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.Adam;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing (Jazzer) of checkpoints and model files: reading, resuming and loading either work or
 * fail with an {@link IOException} or {@link IllegalArgumentException} with a message. Under {@code mvn verify} it
 * runs the seed inputs only; {@code JAZZER_FUZZ=1} fuzzes for {@code maxDuration}.
 */
class CheckpointJazzerTest {
    private static final AtomicLong RUNS = new AtomicLong();
    private static Path file;

    private static Module model() {
        Rng r = new Rng(3);
        return new Sequential(new Linear(2, 4, r), new ReLU(), new Linear(4, 3, r));
    }

    @FuzzTest(maxDuration = "10s")
    void checkpointsAndModelFilesFailOnlyWithAMessage(byte[] data) throws IOException {
        RUNS.incrementAndGet();
        if (file == null) {
            file = Files.createTempFile("jacobi-fuzz", ".safetensors");
            file.toFile().deleteOnExit();
        }
        Files.write(file, data);
        try {
            Checkpoint.read(file);
            Module m = model();
            Trainer.builder(m, new Adam(m.parameters(), 1e-3)).build().resume(file);
        } catch (IOException | IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("an error without a message", e);
            }
        }
        try {
            ModelFiles.load(model(), file, true);
        } catch (IOException | IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("an error without a message", e);
            }
        }
    }

    /** Adds {@code runs} to the executions recorded for {@code name} by earlier fuzzing runs, and returns the total. */
    static long total(String name, long runs) throws IOException {
        Path count = Path.of("..", "target", "reliability", "jazzer-" + name + ".count");
        Files.createDirectories(count.getParent());
        long before = Files.exists(count) ? Long.parseLong(Files.readString(count).trim()) : 0;
        Files.writeString(count, Long.toString(before + runs));
        return before + runs;
    }

    @AfterAll
    static void record() throws IOException {
        if (System.getenv("JAZZER_FUZZ") != null) {
            Files.createDirectories(Path.of("..", "target", "reliability"));
            Files.writeString(Path.of("..", "target", "reliability", "jazzer-checkpoint.txt"), "coverage-guided fuzzing"
                    + " (Jazzer) of checkpoints and model files|" + total("checkpoint", RUNS.get()) + " executions, each read, resumed and"
                    + " loaded|no finding: every input loaded or failed with a message\n");
        }
    }
}
