package dev.jacobi.cli.spec;

import dev.jacobi.core.Rng;
import dev.jacobi.core.io.Safetensors;
import dev.jacobi.nn.Layer;
import dev.jacobi.train.Architecture;
import dev.jacobi.train.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model file: written by the CLI (the state dict in safetensors, PyTorch names, with the architecture spec and the
 * data set in its metadata), or saved from Java with {@link ModelFiles#save} (the state dict with the
 * {@link dev.jacobi.train.Architecture} JSON, and the input shape if given). {@code eval} and {@code inspect} rebuild
 * either; the CLI's files carry the architecture JSON too, so Java rebuilds them with {@link ModelFiles#loadModel}.
 *
 * @param model the model, loaded, in evaluation mode
 * @param spec  its CLI architecture, or null for a model saved from Java
 * @param input the shape of one input example, or null if the file does not say
 * @param data  the {@code --data} it was trained on, or null if the file does not say
 */
public record ModelFile(Layer model, ModelSpec spec, int[] input, String data) {
    public static void save(Path file, Layer model, ModelSpec spec, String data) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(spec.toMetadata());
        meta.put("jacobi.data", data);
        String architecture = Architecture.describeOrNull(model);
        if (architecture != null) {
            meta.put(ModelFiles.ARCHITECTURE, architecture);
        }
        Safetensors.write(file, model.stateDict(), meta);
    }

    public static ModelFile load(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        String data = c.metadata().get("jacobi.data");
        if (!c.metadata().containsKey("jacobi.model") && c.metadata().containsKey(ModelFiles.ARCHITECTURE)) {
            return new ModelFile(ModelFiles.loadModel(file), null, ModelFiles.inputShape(file), data);
        }
        if (!c.metadata().containsKey("jacobi.model")) {
            throw new IOException(file + ": neither written by 'jacobi train' nor saved from Java with"
                    + " ModelFiles.save of a model Architecture describes (its metadata has neither jacobi.model nor "
                    + ModelFiles.ARCHITECTURE + ")");
        }
        ModelSpec spec = ModelSpec.fromMetadata(c.metadata());
        Layer m = spec.build(new Rng(0));
        m.loadStateDict(c.tensors(), true);
        m.eval();
        return new ModelFile(m, spec, spec.input(), data == null ? "bundled" : data);
    }

    /** The architecture in one line: the CLI spec, or the layers of a model saved from Java. */
    public String describe() {
        return spec != null ? spec.toString() : "saved from Java: " + model.toString().replace("\n", " ");
    }
}
