package dev.jacobi.cli.spec;

import dev.jacobi.core.Rng;
import dev.jacobi.core.io.Safetensors;
import dev.jacobi.nn.Layer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model file written by the CLI: the state dict in safetensors (PyTorch names) with the architecture and the data
 * set in its metadata, so {@code eval} and {@code inspect} can rebuild it.
 *
 * @param model the module, loaded
 * @param spec  its architecture
 * @param data  the {@code --data} it was trained on
 */
public record ModelFile(Layer model, ModelSpec spec, String data) {
    public static void save(Path file, Layer model, ModelSpec spec, String data) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(spec.toMetadata());
        meta.put("jacobi.data", data);
        Safetensors.write(file, model.stateDict(), meta);
    }

    public static ModelFile load(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        ModelSpec spec = ModelSpec.fromMetadata(c.metadata());
        Layer m = spec.build(new Rng(0));
        m.loadStateDict(c.tensors(), true);
        m.eval();
        return new ModelFile(m, spec, c.metadata().getOrDefault("jacobi.data", "bundled"));
    }
}
