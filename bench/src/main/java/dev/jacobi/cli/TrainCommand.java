package dev.jacobi.cli;

import dev.jacobi.cli.reproduce.Repro;
import dev.jacobi.cli.run.Json;
import dev.jacobi.cli.run.Outputs;
import dev.jacobi.cli.run.Tracker;
import dev.jacobi.cli.spec.Data;
import dev.jacobi.cli.spec.ModelFile;
import dev.jacobi.cli.spec.ModelSpec;
import dev.jacobi.cli.spec.RegSpec;
import dev.jacobi.cli.spec.Regs;
import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Split;
import dev.jacobi.nn.Layer;
import dev.jacobi.optim.Adam;
import dev.jacobi.optim.AdamW;
import dev.jacobi.optim.Optimizer;
import dev.jacobi.optim.SGD;
import dev.jacobi.train.TrainListener;
import dev.jacobi.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jacobi train}: trains a model with any mix of regularizers and constraints. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a model with any mix of regularizers and constraints; saves checkpoints, the final model "
                + "(safetensors) and JSON-lines logs.",
        footer = {"%nExamples:",
                "  jacobi train --model cnn --epochs 3",
                "  jacobi train --model mlp --reg grad-l2=0.1 --reg sn-clip=2.0,kappa=2 --out runs/gl2",
                "  jacobi train --data fashion --model cnn --reg hessian=0.05,k=5,sub=32",
                "  jacobi train --out runs/gl2 --resume          continue from runs/gl2/checkpoint.safetensors"})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "bundled", description = "bundled, mnist, fashion, cifar10 or a directory (default: ${DEFAULT-VALUE})")
    String data;
    @Option(names = "--model", defaultValue = "cnn", description = "mlp, cnn, lipschitz-mlp or lipschitz-cnn (default: ${DEFAULT-VALUE})")
    String model;
    @Option(names = "--width", description = "hidden width (mlp) or first conv channels (cnn); default 256 / 32")
    Integer width;
    @Option(names = "--depth", description = "hidden layers (mlp) or conv blocks (cnn); default 2")
    Integer depth;
    @Option(names = "--reg", description = "NAME=λ[,key=value...], repeatable")
    List<String> regs = new ArrayList<>();
    @Option(names = "--epochs", defaultValue = "3", description = "default: ${DEFAULT-VALUE}")
    int epochs;
    @Option(names = "--batch", defaultValue = "128", description = "default: ${DEFAULT-VALUE}")
    int batch;
    @Option(names = "--lr", description = "learning rate (default 1e-3 for adam/adamw, 0.01 for sgd)")
    Double lr;
    @Option(names = "--optimizer", defaultValue = "adam", description = "sgd, adam or adamw (default: ${DEFAULT-VALUE})")
    String optimizer;
    @Option(names = "--seed", defaultValue = "0", description = "default: ${DEFAULT-VALUE}")
    long seed;
    @Option(names = "--threads", description = "kernel threads (default: all cores)")
    Integer threads;
    @Option(names = "--out", defaultValue = "jacobi-out/train", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;
    @Option(names = "--resume", description = "resume from OUT/checkpoint.safetensors")
    boolean resume;
    @Option(names = "--max-minutes", paramLabel = "N", description = "stop cleanly after N minutes, saving the model"
            + " as it is (default: no limit); the last finished epoch's checkpoint allows --resume")
    double maxMinutes;

    @Override
    public Integer call() throws Exception {
        check();
        Tracker t = Tracker.console("train", out.resolve("log.jsonl"), maxMinutes).install();
        try (Tracker.Signals ignored = t.trapSignals()) {
            Run run = execute(t);
            if (run.stopped() != null) {
                System.out.printf("partial: %s after %d of %d epochs; test accuracy %.2f%% of the model as it is,"
                                + " saved to %s; %s holds the last finished epoch (--resume continues from it)%n",
                        run.stopped(), run.epochsDone(), epochs, 100 * run.testAccuracy(),
                        out.resolve("model.safetensors"), out.resolve(Trainer.CHECKPOINT_FILE));
                t.say(t.finishLine());
                return t.exitCode();
            }
            System.out.printf("test accuracy %.2f%%; model saved to %s%n", 100 * run.testAccuracy(),
                    out.resolve("model.safetensors"));
            t.say(t.finishLine());
            return 0;
        } finally {
            t.close();
        }
    }

    /** Checks the options that need no data, so that a bad one fails before anything is loaded. */
    void check() {
        for (String r : regs) {
            Regs.check(RegSpec.parse(r));
        }
        if (epochs < 1 || batch < 1) {
            throw new IllegalArgumentException("--epochs and --batch must be positive, got " + epochs + " and " + batch);
        }
        if (width != null && width < 1 || depth != null && depth < 1) {
            throw new IllegalArgumentException("--width and --depth must be positive, got " + width + " and " + depth);
        }
        if (lr != null && !(lr > 0 && Double.isFinite(lr))) {
            throw new IllegalArgumentException("--lr must be a positive finite number, got " + lr);
        }
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be positive, got " + threads);
        }
        if (!(maxMinutes >= 0) || Double.isInfinite(maxMinutes)) {
            throw new IllegalArgumentException("--max-minutes must be >= 0 (0: no limit), got " + maxMinutes);
        }
        if (!OPTIMIZERS.contains(optimizer)) {
            optimizer(optimizer, null, lr); // its error names the choices
        }
    }

    /**
     * Trains as the options say (after {@link #check}) under {@code t} and saves {@code OUT/model.safetensors}: the
     * whole of {@code jacobi train} but its printing, which a sweep's task runs as well.
     */
    Run execute(Tracker t) throws Exception {
        List<RegSpec> specs = new ArrayList<>();
        for (String r : regs) {
            specs.add(RegSpec.parse(r));
        }
        if (threads != null) {
            Parallel.setThreads(threads);
        }
        Split split = Data.load(data);
        if (split.train().size() == 0 || split.test().size() == 0) {
            throw new IllegalArgumentException("--data " + data + ": the " + (split.train().size() == 0 ? "training"
                    : "test") + " set is empty");
        }
        ModelSpec d = ModelSpec.defaults(model, split.train().sampleShape(), split.train().numClasses());
        ModelSpec spec = new ModelSpec(model, width == null ? d.width() : width, depth == null ? d.depth() : depth,
                d.input(), d.classes());
        long need = spec.trainingBytes(batch);
        long heap = Runtime.getRuntime().maxMemory();
        if (need > heap) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "%s with --batch %d needs about"
                    + " %.1f GB to train, more than this JVM's heap of %.1f GB; use a smaller --width, --depth or"
                    + " --batch, or a larger heap (JACOBI_JAVA_OPTS=-Xmx...)", spec, batch, need / 1e9, heap / 1e9));
        }
        Run run = train(spec, split, specs, optimizer, lr, epochs, batch, seed, out, resume, t, "train");
        ModelFile.save(out.resolve("model.safetensors"), run.model(), spec, data);
        return run;
    }

    /**
     * The outcome of {@link #train}.
     *
     * @param stopped    why training stopped early ({@code --max-minutes} or a signal), or null
     * @param epochsDone the epochs finished, counting those before a resume
     */
    record Run(Layer model, List<TrainListener.Epoch> epochs, double testAccuracy, String stopped, int epochsDone) {
    }

    /** The names {@code --optimizer} accepts. */
    static final List<String> OPTIMIZERS = List.of("sgd", "adam", "adamw");

    /** The optimizer {@code name} (one of {@link #OPTIMIZERS}) over {@code m}'s parameters. */
    static Optimizer optimizer(String name, Layer m, Double lr) {
        return switch (name) {
            case "sgd" -> new SGD(m.parameters(), lr == null ? 0.01 : lr, 0.9, 0, 0, false);
            case "adam" -> new Adam(m.parameters(), lr == null ? 1e-3 : lr);
            case "adamw" -> new AdamW(m.parameters(), lr == null ? 1e-3 : lr, 0.9, 0.999, 1e-8, 0.01);
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; choose one of "
                    + String.join(", ", OPTIMIZERS));
        };
    }

    /**
     * Trains {@code spec} on {@code split.train()} with checkpoints in {@code out}; the tracker shows the progress,
     * logs the epochs, estimates the time from the first steps and stops the run at its budget or on a signal.
     */
    static Run train(ModelSpec spec, Split split, List<RegSpec> regs, String opt, Double lr, int epochs, int batch,
                     long seed, Path out, boolean resume, Tracker t, String label) throws Exception {
        Files.createDirectories(out);
        Layer m = spec.build(new Rng(seed));
        Trainer.Builder b = Trainer.builder(m, optimizer(opt, m, lr)).rng(new Rng(seed + 1)).checkpoints(out, 1);
        for (RegSpec r : regs) {
            Regs.apply(r, b, spec.input(), seed);
        }
        DataLoader loader = DataLoader.builder(split.train(), batch).seed(seed).shuffle(true).build();
        int perEpoch = loader.batchesPerEpoch();
        Trainer trainer = b.listener(t.listener(label, epochs, perEpoch)).stopWhen(t::shouldStop).build();
        Path ckpt = out.resolve(Trainer.CHECKPOINT_FILE);
        // everything but --epochs decides the run: a resume must continue exactly the same one
        Map<String, Object> settings = Repro.map("model", spec.toString(), "data", split.train().size() + " training"
                + " examples of shape " + java.util.Arrays.toString(spec.input()), "regularizers", regs.toString(),
                "optimizer", opt, "lr", lr == null ? "default" : lr.toString(), "batch", batch, "seed", seed);
        Path settingsFile = out.resolve("settings.json");
        if (resume) {
            if (!Files.exists(ckpt)) {
                throw new IllegalArgumentException("--resume: no checkpoint at " + ckpt);
            }
            if (Files.exists(settingsFile)) {
                Object was = Json.parse(Files.readString(settingsFile), settingsFile.toString());
                List<String> differ = new ArrayList<>();
                for (Map.Entry<String, Object> e : settings.entrySet()) {
                    Object before = was instanceof Map<?, ?> w ? w.get(e.getKey()) : null;
                    if (!Json.line(e.getValue()).equals(Json.line(before))) {
                        differ.add(e.getKey() + " " + Json.line(before) + ", not " + Json.line(e.getValue()));
                    }
                }
                if (!differ.isEmpty()) {
                    throw new IllegalArgumentException("--resume: " + out + " was trained with " + String.join("; ",
                            differ) + "; a resume continues the same run exactly, so only --epochs may change");
                }
            }
            trainer.resume(ckpt);
            t.say("resumed from " + ckpt + " after epoch " + trainer.epoch());
        } else {
            Outputs.json(settingsFile, settings);
        }
        // a caller that planned this run as one of several units (the main job) has begun it already
        boolean own = t.unit().isEmpty();
        if (own) {
            long steps = (long) Math.max(0, epochs - trainer.epoch()) * perEpoch;
            t.plan(label, label, steps);
            t.begin(label, label, steps);
        }
        List<TrainListener.Epoch> hist = trainer.fit(loader::epoch, epochs);
        String stopped = trainer.stopped() ? t.stopReason() : null;
        if (own && stopped == null) {
            t.end();
        }
        double acc = Trainer.evaluate(m, DataLoader.builder(split.test(), 500).shuffle(false).build()).accuracy();
        return new Run(m, hist, acc, stopped, trainer.epoch());
    }
}
