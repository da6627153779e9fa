package dev.jacobi.train;

import dev.jacobi.core.Tensor;
import dev.jacobi.core.io.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A training checkpoint, everything needed to resume exactly: the model's state dict, the optimizer's state dict,
 * the next epoch to run, the global optimizer step, and free-form string state (random generator states, the
 * scheduler's epoch). On disk it is one safetensors file: tensors {@code model.<name>} and {@code optim.<key>},
 * metadata {@code format = jacobi-checkpoint-1}, {@code epoch}, {@code step} and the extra entries.
 *
 * @param model the model's {@code stateDict()}
 * @param optimizer the optimizer's {@code stateDict()}
 * @param epoch the number of completed epochs (the next epoch to run, zero-based)
 * @param step the number of optimizer steps taken so far
 * @param extra further state as strings, e.g. {@code rng.trainer}
 */
public record Checkpoint(Map<String, Tensor> model, Map<String, Tensor> optimizer, int epoch, long step,
        Map<String, String> extra) {
    /** The {@code format} metadata value of checkpoint files. */
    public static final String FORMAT = "jacobi-checkpoint-1";
    private static final String MODEL = "model.";
    private static final String OPTIM = "optim.";

    /** Copies the maps and checks the counters are non-negative. */
    public Checkpoint {
        if (epoch < 0 || step < 0) {
            throw new IllegalArgumentException("Checkpoint: epoch and step must be >= 0, got epoch " + epoch
                    + ", step " + step);
        }
        model = Map.copyOf(model);
        optimizer = Map.copyOf(optimizer);
        extra = Map.copyOf(extra);
        for (String k : extra.keySet()) {
            if (k.equals("format") || k.equals("epoch") || k.equals("step")) {
                throw new IllegalArgumentException("Checkpoint: extra key '" + k + "' is reserved");
            }
        }
    }

    /**
     * Writes the checkpoint to {@code path} atomically: a crash or error leaves the previous file intact.
     *
     * @param path the file to create or replace
     * @throws IOException if writing fails
     */
    public void write(Path path) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.forEach((k, v) -> tensors.put(MODEL + k, v));
        optimizer.forEach((k, v) -> tensors.put(OPTIM + k, v));
        Map<String, String> meta = new TreeMap<>(extra);
        meta.put("format", FORMAT);
        meta.put("epoch", Integer.toString(epoch));
        meta.put("step", Long.toString(step));
        Safetensors.write(path, tensors, meta);
    }

    /**
     * Reads a checkpoint written by {@link #write}.
     *
     * @param path the file
     * @return the checkpoint
     * @throws IOException if the file cannot be read, is not safetensors, or is not a Jacobi checkpoint
     */
    public static Checkpoint read(Path path) throws IOException {
        Safetensors.Contents c = Safetensors.read(path);
        Map<String, String> meta = new TreeMap<>(c.metadata());
        if (!FORMAT.equals(meta.get("format"))) {
            throw new IOException("Checkpoint.read: " + path + ": metadata format is '" + meta.get("format")
                    + "', expected '" + FORMAT + "' (a plain model file loads with ModelFiles.load)");
        }
        Map<String, Tensor> model = new LinkedHashMap<>();
        Map<String, Tensor> optim = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
            String k = e.getKey();
            if (k.startsWith(MODEL)) {
                model.put(k.substring(MODEL.length()), e.getValue());
            } else if (k.startsWith(OPTIM)) {
                optim.put(k.substring(OPTIM.length()), e.getValue());
            } else {
                throw new IOException("Checkpoint.read: " + path + ": tensor '" + k
                        + "' has neither the 'model.' nor the 'optim.' prefix");
            }
        }
        int epoch;
        long step;
        try {
            epoch = Integer.parseInt(meta.remove("epoch"));
            step = Long.parseLong(meta.remove("step"));
        } catch (NumberFormatException e) {
            throw new IOException("Checkpoint.read: " + path + ": bad epoch/step metadata: " + c.metadata(), e);
        }
        meta.remove("format");
        try {
            return new Checkpoint(model, optim, epoch, step, meta);
        } catch (IllegalArgumentException e) {
            throw new IOException("Checkpoint.read: " + path + ": " + e.getMessage(), e);
        }
    }
}
