package dev.jacobi.train;

import dev.jacobi.core.io.Safetensors;
import dev.jacobi.nn.Layer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Model files: a module's {@link Layer#stateDict()} (PyTorch names such as {@code 0.weight},
 * {@code features.3.bias}) as a safetensors file, {@code file = stateDict(model)}; {@link #load} is the inverse.
 * Files written by PyTorch's {@code safetensors.torch.save_file(model.state_dict(), path)} load into the same
 * architecture built in Jacobi.
 */
public final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * Writes {@code model.stateDict()} to {@code path} atomically (the old file survives any failure), with the
     * metadata {@code format = pt} that PyTorch's safetensors writer also sets.
     *
     * @param model the model
     * @param path the file to create or replace
     * @throws IOException if writing fails
     */
    public static void save(Layer model, Path path) throws IOException {
        Safetensors.write(path, model.stateDict(), Map.of("format", "pt"));
    }

    /**
     * Loads a state dict file into {@code model}: {@code model.loadStateDict(read(path), strict)}, converting each
     * tensor to the dtype of the parameter or buffer it replaces.
     *
     * @param model the model to load into
     * @param path a safetensors file
     * @param strict whether every key must match (missing, unexpected or mis-shaped keys are then an
     *     IllegalArgumentException naming the file, and nothing is loaded)
     * @return what did not match (all empty when strict)
     * @throws IOException if the file cannot be read or is not valid safetensors
     */
    public static Layer.LoadResult load(Layer model, Path path, boolean strict) throws IOException {
        Map<String, dev.jacobi.core.Tensor> state = Safetensors.readTensors(path);
        try {
            return model.loadStateDict(state, strict);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ModelFiles.load: " + path + ": " + e.getMessage(), e);
        }
    }
}
