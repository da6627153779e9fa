package dev.jacobi.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Rng;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Synthetic;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.Adam;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety: a child JVM that trains with a checkpoint every epoch and saves its model after every epoch is killed
 * ({@code destroyForcibly}, SIGKILL) at random moments, many times. After every kill the files it had written must
 * still load, and the next run resumes from the checkpoint.
 */
class KillDuringWritesTest {
    static final int KILLS = 12;

    /** The child: trains a model with a wide first layer (a checkpoint of a few MB), saving after every epoch. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Layer m = model();
        Trainer t = Trainer.builder(m, new Adam(m.parameters(), 1e-3)).checkpoints(dir, 1)
                .listener(new TrainListener() {
                    @Override
                    public void onEpochEnd(Epoch e) {
                        try {
                            ModelFiles.save(m, dir.resolve("model.safetensors"));
                        } catch (IOException ex) {
                            throw new java.io.UncheckedIOException(ex);
                        }
                    }
                }).build();
        if (Files.exists(t.checkpointPath())) {
            t.resume(t.checkpointPath());
        }
        DataLoader data = DataLoader.builder(Synthetic.blobs(64, 3, 0.8, 5), 32).seed(3).build();
        t.fit(data::epoch, Integer.MAX_VALUE);
    }

    static Layer model() {
        Rng r = new Rng(1);
        return new Sequential(new Linear(2, 1024, r), new ReLU(), new Linear(1024, 1024, r), new ReLU(),
                new Linear(1024, 3, r));
    }

    @Test
    void killedWritersLeaveLoadableFilesAndTheRunResumes(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Random rng = new Random(7);
        int intact = 0;
        int lastEpoch = 0;
        for (int k = 0; k < KILLS; k++) {
            Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                    KillDuringWritesTest.class.getName(), dir.toString())).redirectErrorStream(true)
                    .redirectOutput(new File(dir.toFile(), "child-" + k + ".log")).start();
            // long enough for the JVM to start and write a few epochs, then at a random moment
            Thread.sleep(1500 + rng.nextInt(1500));
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Path ckpt = dir.resolve(Trainer.CHECKPOINT_FILE);
            if (Files.exists(ckpt)) {
                Checkpoint c = Checkpoint.read(ckpt);
                assertTrue(c.epoch() >= lastEpoch, "the checkpoint never goes back: " + c.epoch() + " < " + lastEpoch);
                lastEpoch = c.epoch();
                ModelFiles.load(model(), dir.resolve("model.safetensors"), true);
                intact++;
            }
        }
        assertEquals(KILLS, intact, "every kill left a loadable checkpoint and model");
        assertTrue(lastEpoch > KILLS, "the runs resumed and went on: last epoch " + lastEpoch);
        Files.createDirectories(Path.of("..", "target", "reliability"));
        Files.writeString(Path.of("..", "target", "reliability", "kill.txt"), String.format(
                "kills during checkpoint and model writes|%d kills of a child JVM (SIGKILL) at random moments|"
                        + "%d of %d left a loadable checkpoint and model; the run resumed each time (epoch %d at the"
                        + " end)%n", KILLS, intact, KILLS, lastEpoch));
    }
}
