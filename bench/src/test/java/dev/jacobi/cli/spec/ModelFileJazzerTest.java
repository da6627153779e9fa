package dev.jacobi.cli.spec;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.io.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Coverage-guided fuzzing (Jazzer) of the model specs in model files: the {@code jacobi.*} metadata that
 * {@code eval} and {@code inspect} rebuild a model from. Every file loads or fails with an {@link IOException} or
 * {@link IllegalArgumentException} with a message. Under {@code mvn verify} it runs its seeds only.
 */
class ModelFileJazzerTest {
    private static Path file;

    @FuzzTest(maxDuration = "10s")
    void modelSpecsFailOnlyWithAMessage(FuzzedDataProvider in) throws IOException {
        if (file == null) {
            file = Files.createTempFile("jacobi-fuzz", ".safetensors");
            file.toFile().deleteOnExit();
        }
        Map<String, String> meta = new LinkedHashMap<>();
        String[] keys = {"jacobi.model", "jacobi.width", "jacobi.depth", "jacobi.input", "jacobi.classes",
            "jacobi.data", "jacobi.architecture"};
        for (String k : keys) {
            if (in.consumeBoolean()) {
                meta.put(k, in.consumeString(k.equals("jacobi.architecture") ? 400 : 24));
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put(in.consumeString(16) + "weight", Tensor.zeros(1 + in.consumeInt(0, 3), 1 + in.consumeInt(0, 3)));
        Safetensors.write(file, tensors, meta);
        try {
            ModelFile.load(file);
        } catch (IOException | IllegalArgumentException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("an error without a message", e);
            }
        }
    }
}
