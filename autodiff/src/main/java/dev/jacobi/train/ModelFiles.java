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

    /** Metadata key of the architecture JSON ({@link Architecture}). */
    public static final String ARCHITECTURE = "jacobi.architecture";
    /** Metadata key of the input shape of one example, e.g. {@code 1,28,28}. */
    public static final String INPUT = "jacobi.input";

    /**
     * Writes {@code model.stateDict()} to {@code path} atomically (the old file survives any failure), with the
     * metadata {@code format = pt} that PyTorch's safetensors writer also sets, and the model's architecture when
     * {@link Architecture} can describe it, so that {@link #loadModel} and {@code jacobi eval} can rebuild it.
     *
     * @param model the model
     * @param path the file to create or replace
     * @param inputShape the shape of one input example without the batch dim (e.g. {@code 1, 28, 28}), recorded for
     *     {@code jacobi inspect}; none to leave it out
     * @throws IOException if writing fails
     */
    public static void save(Layer model, Path path, int... inputShape) throws IOException {
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        meta.put("format", "pt");
        String architecture = Architecture.describeOrNull(model);
        if (architecture != null) {
            meta.put(ARCHITECTURE, architecture);
        }
        if (inputShape.length > 0) {
            meta.put(INPUT, java.util.Arrays.stream(inputShape).mapToObj(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(",")));
        }
        Safetensors.write(path, model.stateDict(), meta);
    }

    /**
     * Rebuilds the model a file describes ({@link #save} of a model {@link Architecture} covers, or {@code jacobi
     * train}) and loads its weights, in evaluation mode.
     *
     * @throws IOException naming the file when it has no architecture, the architecture is bad, or the weights do
     *     not match it
     */
    public static Layer loadModel(Path path) throws IOException {
        Safetensors.Contents c = Safetensors.read(path);
        String json = c.metadata().get(ARCHITECTURE);
        if (json == null) {
            throw new IOException(path + ": no " + ARCHITECTURE + " in the metadata, so the model cannot be rebuilt;"
                    + " build the same model in code and use ModelFiles.load(model, path, true)");
        }
        Layer model = Architecture.build(json, path.toString());
        try {
            model.loadStateDict(c.tensors(), true);
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": the weights do not match the architecture: " + e.getMessage(), e);
        }
        model.eval();
        return model;
    }

    /** The input shape {@link #save} recorded, or null. @throws IOException naming the file if it is malformed */
    public static int[] inputShape(Path path) throws IOException {
        String v = Safetensors.read(path).metadata().get(INPUT);
        if (v == null) {
            return null;
        }
        try {
            int[] shape = java.util.Arrays.stream(v.split(",")).mapToInt(f -> Integer.parseInt(f.strip())).toArray();
            for (int d : shape) {
                if (d <= 0) {
                    throw new NumberFormatException("dimension " + d);
                }
            }
            return shape;
        } catch (NumberFormatException e) {
            throw new IOException(path + ": " + INPUT + " '" + v + "' is not a list of positive integers", e);
        }
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
