package dev.jacobi.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.core.DType;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.io.Safetensors;
import dev.jacobi.nn.BatchNorm1d;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {
    @TempDir
    Path dir;

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(ModelFilesTest.class.getResource("/fixtures/" + name).toURI());
    }

    private static Tensor logits(Layer model, Tensor x) {
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            return model.eval().forward(x).value();
        }
    }

    private static void assertTorchLogits(String name, Layer model) throws Exception {
        Layer.LoadResult r = ModelFiles.load(model, fixture("torch_" + name + ".safetensors"), true);
        assertTrue(r.isClean(), r.toString());
        Map<String, Tensor> io = Safetensors.readTensors(fixture("torch_" + name + "_io.safetensors"));
        Tensor got = logits(model, io.get("input"));
        Tensor want = io.get("logits");
        assertArrayEquals(want.shape(), got.shape());
        assertTrue(got.allClose(want, 0, 1e-5), name + ": Jacobi " + got + " vs PyTorch " + want);
        // float64 too: the same weights give the same logits up to float32 rounding
        Tensor got64 = logits(model.to(DType.FLOAT64), io.get("input").to(DType.FLOAT64));
        assertTrue(got64.allClose(want.to(DType.FLOAT64), 0, 1e-5), name + " float64: " + got64);
    }

    @Test
    void pytorchTrainedMlpGivesTheSameLogits() throws Exception {
        Rng r = new Rng(1);
        assertTorchLogits("mlp", new Sequential(new Linear(6, 8, r), new ReLU(), new Linear(8, 3, r)));
    }

    @Test
    void pytorchTrainedCnnGivesTheSameLogits() throws Exception {
        Rng r = new Rng(1);
        assertTorchLogits("cnn", new Sequential(new Conv2d(1, 4, 3, 1, 1, r), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(64, 3, r)));
    }

    private static Sequential net(long seed) {
        Rng r = new Rng(seed);
        return new Sequential(new Linear(4, 5, r), new BatchNorm1d(5), new ReLU(), new Linear(5, 2, r));
    }

    @Test
    void saveLoadRoundTripRestoresParametersBuffersAndOutputs() throws IOException {
        Sequential a = net(1);
        // move the BatchNorm running statistics away from their initial values
        a.train().forward(Tensor.randn(new Rng(3), 8, 4));
        Path file = dir.resolve("sub/model.safetensors");
        ModelFiles.save(a, file);
        Sequential b = net(2);
        assertTrue(ModelFiles.load(b, file, true).isClean());
        Map<String, Tensor> sa = a.stateDict();
        Map<String, Tensor> sb = b.stateDict();
        assertEquals(sa.keySet(), sb.keySet());
        for (String k : sa.keySet()) {
            assertArrayEquals(sa.get(k).toDoubleArray(), sb.get(k).toDoubleArray(), 0, k);
        }
        Tensor x = Tensor.randn(new Rng(4), 3, 4);
        assertArrayEquals(logits(a, x).toFloatArray(), logits(b, x).toFloatArray(), 0f);
        assertEquals("pt", Safetensors.read(file).metadata().get("format"));
    }

    @Test
    void strictLoadOfAnotherArchitectureNamesTheFileAndKeysAndLoadsNothing() throws IOException {
        Path file = dir.resolve("m.safetensors");
        ModelFiles.save(net(1), file);
        Rng r = new Rng(5);
        Sequential other = new Sequential(new Linear(4, 6, r), new ReLU(), new Linear(6, 2, r));
        float[] before = other.parameters().get(0).value().toFloatArray();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelFiles.load(other, file, true));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("0.weight")
                && e.getMessage().contains("1.running_mean"), e.getMessage());
        assertArrayEquals(before, other.parameters().get(0).value().toFloatArray(), 0f);
        Layer.LoadResult lenient = ModelFiles.load(other, file, false);
        assertTrue(lenient.shapeMismatches().size() == 2 && lenient.unexpectedKeys().contains("1.weight"),
                lenient.toString());
    }

    @Test
    void aModelFileIsNotACheckpoint() throws IOException {
        Path file = dir.resolve("m.safetensors");
        ModelFiles.save(net(1), file);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(file));
        assertTrue(e.getMessage().contains("format") && e.getMessage().contains(file.toString()), e.getMessage());
        Files.writeString(dir.resolve("junk.safetensors"), "not safetensors");
        assertThrows(IOException.class, () -> ModelFiles.load(net(1), dir.resolve("junk.safetensors"), true));
    }
}
