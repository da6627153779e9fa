package dev.jacobi.bench.cli;

import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Split;
import dev.jacobi.nn.Module;
import dev.jacobi.optim.Adam;
import dev.jacobi.optim.AdamW;
import dev.jacobi.optim.Optimizer;
import dev.jacobi.optim.SGD;
import dev.jacobi.train.TrainListener;
import dev.jacobi.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

    @Override
    public Integer call() throws Exception {
        List<RegSpec> specs = new ArrayList<>();
        for (String r : regs) {
            RegSpec s = RegSpec.parse(r);
            if (!Regs.HELP.containsKey(s.name())) {
                throw new IllegalArgumentException("unknown regularizer '" + s.name() + "'; choose one of " + Regs.names());
            }
            specs.add(s);
        }
        if (epochs < 1 || batch < 1) {
            throw new IllegalArgumentException("--epochs and --batch must be positive, got " + epochs + " and " + batch);
        }
        if (threads != null) {
            Parallel.setThreads(threads);
        }
        Split split = Data.load(data);
        ModelSpec d = ModelSpec.defaults(model, split.train().sampleShape(), split.train().numClasses());
        ModelSpec spec = new ModelSpec(model, width == null ? d.width() : width, depth == null ? d.depth() : depth,
                d.input(), d.classes());
        Run run = train(spec, split, specs, optimizer, lr, epochs, batch, seed, out, resume, System.out);
        ModelFile.save(out.resolve("model.safetensors"), run.model(), spec, data);
        System.out.printf("test accuracy %.2f%%; model saved to %s%n", 100 * run.testAccuracy(),
                out.resolve("model.safetensors"));
        return 0;
    }

    /** The outcome of {@link #train}. */
    record Run(Module model, List<TrainListener.Epoch> epochs, double testAccuracy) {
    }

    static Optimizer optimizer(String name, Module m, Double lr) {
        return switch (name) {
            case "sgd" -> new SGD(m.parameters(), lr == null ? 0.01 : lr, 0.9, 0, 0, false);
            case "adam" -> new Adam(m.parameters(), lr == null ? 1e-3 : lr);
            case "adamw" -> new AdamW(m.parameters(), lr == null ? 1e-3 : lr, 0.9, 0.999, 1e-8, 0.01);
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; choose one of sgd, adam, adamw");
        };
    }

    /** Trains {@code spec} on {@code split.train()} with a progress bar and a JSON-lines log in {@code out}. */
    static Run train(ModelSpec spec, Split split, List<RegSpec> regs, String opt, Double lr, int epochs, int batch,
                     long seed, Path out, boolean resume, java.io.PrintStream console) throws Exception {
        Files.createDirectories(out);
        Module m = spec.build(new Rng(seed));
        Trainer.Builder b = Trainer.builder(m, optimizer(opt, m, lr)).rng(new Rng(seed + 1)).checkpoints(out, 1);
        for (RegSpec r : regs) {
            Regs.apply(r, b, spec.input(), seed);
        }
        DataLoader loader = DataLoader.builder(split.train(), batch).seed(seed).shuffle(true).build();
        int perEpoch = loader.batchesPerEpoch();
        List<Map<String, Object>> log = new ArrayList<>();
        Path logFile = out.resolve("log.jsonl");
        b.listener(new TrainListener() {
            Progress bar;
            double lossSum;
            int seen;
            int steps;

            @Override
            public void onStep(Step s) {
                if (bar == null) {
                    bar = new Progress(console, "epoch " + (s.epoch() + 1) + "/" + epochs, perEpoch);
                    lossSum = 0;
                    seen = 0;
                    steps = 0;
                }
                lossSum += s.loss();
                seen += s.batchSize();
                steps++;
                bar.update(steps, seen, lossSum / steps, Double.NaN);
            }

            @Override
            public void onEpochEnd(Epoch e) {
                if (bar != null) {
                    bar.finish(seen, e.meanLoss(), e.trainAccuracy());
                }
                bar = null;
                Map<String, Object> rec = new LinkedHashMap<>();
                rec.put("epoch", e.epoch() + 1);
                rec.put("steps", e.steps());
                rec.put("loss", e.meanLoss());
                rec.put("train_accuracy", e.trainAccuracy());
                rec.put("examples_per_second", e.examplesPerSecond());
                rec.put("seconds", e.elapsedSeconds());
                rec.put("lr", e.lr());
                log.add(rec);
                try {
                    StringBuilder sb = new StringBuilder();
                    for (Map<String, Object> r : log) {
                        sb.append(Json.write(r).replaceAll("\\s*\\n\\s*", " ")).append('\n');
                    }
                    Outputs.text(logFile, sb.toString());
                } catch (java.io.IOException ex) {
                    throw new java.io.UncheckedIOException(ex);
                }
            }
        });
        Trainer trainer = b.build();
        Path ckpt = out.resolve(Trainer.CHECKPOINT_FILE);
        if (resume) {
            if (!Files.exists(ckpt)) {
                throw new IllegalArgumentException("--resume: no checkpoint at " + ckpt);
            }
            trainer.resume(ckpt);
            console.println("resumed from " + ckpt + " after epoch " + trainer.epoch());
        }
        List<TrainListener.Epoch> hist = trainer.fit(loader::epoch, epochs);
        double acc = Trainer.evaluate(m, DataLoader.builder(split.test(), 500).shuffle(false).build()).accuracy();
        return new Run(m, hist, acc);
    }
}
