package dev.jacobi.cli;

import dev.jacobi.cli.spec.ModelFile;
import dev.jacobi.regularizers.spectral.LipschitzBound;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jacobi inspect}: the per-layer spectral table and the network's Lipschitz upper bound. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print the per-layer spectral table of a model file (reshaped σ, operator σ, the four-bound, the "
                + "exact circular σ) and the product bound.",
        footer = {"%nExample:", "  jacobi inspect --model jacobi-out/train/model.safetensors"})
final class InspectCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "a model file written by 'jacobi train' or by"
            + " ModelFiles.save in Java")
    Path model;
    @Option(names = "--input", split = ",", description = "the shape of one input, e.g. 1,28,28 (default: the one"
            + " the file records)")
    int[] input;

    @Override
    public Integer call() throws Exception {
        ModelFile mf = ModelFile.load(model);
        int[] shape = input != null ? input : mf.input();
        if (shape == null) {
            throw new IllegalArgumentException(model + " does not record its input shape: pass --input, e.g. --input"
                    + " 1,28,28 (or save it with ModelFiles.save(model, path, inputShape))");
        }
        System.out.println(mf.describe());
        System.out.println(mf.model());
        System.out.println(LipschitzBound.of(mf.model(), shape));
        return 0;
    }
}
