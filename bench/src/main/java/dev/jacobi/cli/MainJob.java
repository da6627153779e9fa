package dev.jacobi.cli;

import dev.jacobi.autodiff.Var;
import dev.jacobi.cli.reproduce.Repro;
import dev.jacobi.cli.run.Outputs;
import dev.jacobi.cli.run.Runs;
import dev.jacobi.cli.run.Tracker;
import dev.jacobi.cli.spec.ModelFile;
import dev.jacobi.cli.spec.ModelSpec;
import dev.jacobi.cli.spec.RegSpec;
import dev.jacobi.core.Tensor;
import dev.jacobi.datasets.Dataset;
import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.attacks.Attacks;
import dev.jacobi.regularizers.lipschitz.Certify;
import dev.jacobi.regularizers.spectral.LipschitzBound;
import dev.jacobi.train.TrainListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The main job of {@code ./jacobi}: three models trained with two seeds each on the bundled MNIST subset, chosen so
 * that the comparison says something: a plain CNN, the same CNN trained against PGD-ℓ2 attacks, and a network that
 * is 1-Lipschitz by construction (Björck-orthogonal layers, MaxMin, multi-class hinge loss), whose margins certify
 * robustness. They are compared on clean and PGD-ℓ2 accuracy, certified accuracy and the Lipschitz bound, each as
 * the mean over the seeds with the seeds' spread. Writes {@code report.md}, {@code results.json}, the models, two
 * plots and {@code log.jsonl} (every step's loss and penalties, every epoch's throughput).
 */
final class MainJob {
    /** ε values of the accuracy-against-ε plot; the table reports PGD at 1.0 and 1.5 and the certificate at 0.5. */
    static final double[] EPS = {0.5, 1.0, 1.5, 2.0};
    static final int SEEDS = 2;
    /** The Lipschitz model's training margin: the hinge loss asks for margin √2·ε (certifying ℓ2 radius ε). */
    static final double HINGE_EPS = 0.7;

    private MainJob() {
    }

    /**
     * One model of the comparison.
     *
     * @param name      its column
     * @param spec      the architecture
     * @param regs      what training adds (penalties, PGD training, the hinge loss)
     * @param certified whether its Lipschitz bound is small enough for a certificate to mean something
     */
    record Variant(String name, ModelSpec spec, List<RegSpec> regs, boolean certified) {
    }

    static List<Variant> variants(int[] input) {
        ModelSpec cnn = new ModelSpec("cnn", 16, 2, input, 10);
        return List.of(new Variant("plain", cnn, List.of(), false),
                new Variant("pgd-trained", cnn, List.of(RegSpec.parse("pgd=1.0,steps=3")), false),
                new Variant("lipschitz", new ModelSpec("lipschitz-mlp", 256, 2, input, 10),
                        List.of(RegSpec.parse("hinge=" + HINGE_EPS)), true));
    }

    static int run(PrintStream out, Path dir, int trainPerClassCap, int epochs, int evalExamples) throws Exception {
        Split split = Datasets.bundledMnistSplit();
        if (trainPerClassCap > 0) {
            split = new Split(split.train().balancedSubset(trainPerClassCap * 10, 1), split.test());
        }
        List<Variant> variants = variants(split.train().sampleShape());
        out.printf(Locale.ROOT, "Jacobi main job: three models on the bundled MNIST subset (%d train / %d test images),"
                + " %d epochs of Adam (lr 1e-3, batch 128), %d seeds each:%n", split.train().size(),
                split.test().size(), epochs, SEEDS);
        for (Variant v : variants) {
            out.println("  " + v.name() + ": " + v.spec() + (v.regs().isEmpty() ? "" : ", " + v.regs()));
        }
        out.println();
        Tracker t = Tracker.console("main job", dir.resolve("log.jsonl"), 0).install();
        try (Tracker.Signals ignored = t.trapSignals()) {
            return run(out, dir, split, variants, epochs, evalExamples, t);
        } finally {
            t.close();
        }
    }

    private static String id(Variant v, int seed) {
        return v.name() + "-seed" + seed;
    }

    private static int run(PrintStream out, Path dir, Split split, List<Variant> variants, int epochs,
                           int evalExamples, Tracker t) throws Exception {
        long steps = (long) epochs * ((split.train().size() + 127) / 128);
        for (Variant v : variants) {
            for (int seed = 0; seed < SEEDS; seed++) {
                t.plan(id(v, seed), v.name(), steps);
            }
        }
        // a few steps of each kind, timed for the estimate; they also warm the kernels up before the first epoch
        Path scratch = java.nio.file.Files.createTempDirectory("jacobi-calibration");
        for (Variant v : variants) {
            t.calibrating(v.name(), () -> {
                try {
                    TrainCommand.train(v.spec(), split, v.regs(), "adam", 1e-3, epochs, 128, 0,
                            scratch.resolve(v.name()), false, t, v.name());
                } catch (Exception e) {
                    throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
            });
        }
        Runs.deleteTree(scratch);
        double eval = evaluationSeconds(variants.get(0), split, evalExamples);
        for (Variant v : variants) {
            for (int seed = 0; seed < SEEDS; seed++) {
                t.expectExtra(id(v, seed), eval);
            }
        }
        t.printEstimate("from timing the first steps of each model and the evaluation of " + CALIBRATION_EXAMPLES
                + " examples");
        Map<String, List<Double>> stepLoss = new LinkedHashMap<>();
        t.observeSteps((label, s) -> stepLoss.computeIfAbsent(label, k -> new ArrayList<>()).add(s.loss()));
        Map<String, Map<String, Object>> runs = new LinkedHashMap<>();
        for (Variant v : variants) {
            for (int seed = 0; seed < SEEDS; seed++) {
                String id = id(v, seed);
                out.println("== " + v.name() + ", seed " + seed);
                t.begin(id, v.name(), steps);
                TrainCommand.Run run = TrainCommand.train(v.spec(), split, v.regs(), "adam", 1e-3, epochs, 128, seed,
                        dir.resolve(id), false, t, id);
                if (run.stopped() != null) {
                    out.println("main job: " + run.stopped() + "; nothing is reported");
                    return t.exitCode();
                }
                ModelFile.save(dir.resolve(id + ".safetensors"), run.model(), v.spec(), "bundled");
                Map<String, Object> r = evaluate(run.model(), v, split.test(), evalExamples, t::say);
                List<TrainListener.Epoch> ep = run.epochs();
                r.put("train_loss", ep.stream().map(TrainListener.Epoch::meanLoss).toList());
                r.put("examples_per_second", ep.stream().map(TrainListener.Epoch::examplesPerSecond).toList());
                runs.put(id, r);
                t.end();
                out.println();
            }
        }
        Map<String, Object> results = summarise(variants, runs, epochs);
        String table = table(variants, results);
        out.println(table);
        String speed = speed(runs);
        out.println(speed);
        double secs = t.elapsedSeconds();
        results.put("runs", runs);
        results.put("seconds", secs);
        Outputs.json(dir.resolve("results.json"), results);
        plots(dir, variants, results, stepLoss);
        Outputs.text(dir.resolve("report.md"), "# Jacobi main job\n\n" + story(variants, results) + "\n\n" + table
                + "\n" + FOOTNOTE + "\n\n" + setup(split, epochs, evalExamples) + "\n\n" + speed + "\n\n"
                + "![accuracy against epsilon](accuracy-vs-eps.png)\n\n![training loss](training-loss.png)\n\n"
                + String.format(Locale.ROOT, "Finished in %.0f s. Models: MODEL-seedK.safetensors (inspect them with"
                + " `./jacobi inspect --model FILE`, evaluate them further with `./jacobi eval --model FILE`).%n",
                secs));
        out.println(t.finishLine());
        out.println("Report: " + dir.resolve("report.md"));
        return 0;
    }

    static final String FOOTNOTE = "\nn/a: a certificate from the product of per-layer bounds needs a Lipschitz"
            + " constant near 1; the CNNs' bounds (last row) are far larger, so the radius they certify is a small"
            + " fraction of 0.5 and the row would read 0 by construction.";

    /**
     * Clean accuracy on the whole test set; PGD-ℓ2 accuracy (20 steps, random start) and, for a Lipschitz model,
     * certified accuracy at every ε on the first {@code n} test images; the Lipschitz upper bound.
     */
    static Map<String, Object> evaluate(Layer m, Variant v, Dataset test, int n, java.util.function.Consumer<String>
            progress) {
        long t0 = System.nanoTime();
        m.eval();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("clean_accuracy", Repro.accuracy(m, test));
        int[] idx = new int[Math.min(n, test.size())];
        Arrays.setAll(idx, i -> i);
        Tensor x = test.images(idx);
        int[] y = test.subset(idx).labels();
        for (double e : EPS) {
            r.put("pgd_l2_accuracy@" + e, Repro.pgdAccuracy(m, x, y, e, 20, 1));
        }
        double lip = LipschitzBound.of(m, v.spec().input()).product();
        r.put("lipschitz_upper_bound", lip);
        if (v.certified()) {
            Tensor logits = Repro.noGrad(() -> m.forward(Var.of(x)).value());
            double[] cert = Certify.certifiedAccuracy(logits, y, lip, EPS);
            for (int i = 0; i < EPS.length; i++) {
                r.put("certified_l2_accuracy@" + EPS[i], cert[i]);
            }
        }
        progress.accept(String.format(Locale.ROOT, "eval: clean accuracy on %d images, PGD-l2 at %d radii%s on %d in"
                        + " %.1f s", test.size(), EPS.length, v.certified() ? " and the certificate" : "", idx.length,
                (System.nanoTime() - t0) / 1e9));
        return r;
    }

    static final int CALIBRATION_EXAMPLES = 16;

    /** The evaluation's time for one model, from evaluating an untrained CNN on a few examples. */
    private static double evaluationSeconds(Variant v, Split split, int examples) {
        long t0 = System.nanoTime();
        Layer m = v.spec().build(new dev.jacobi.core.Rng(1));
        int[] first = new int[CALIBRATION_EXAMPLES];
        Arrays.setAll(first, i -> i);
        evaluate(m, v, split.test().subset(first), CALIBRATION_EXAMPLES, line -> { });
        double secs = (System.nanoTime() - t0) / 1e9;
        return secs * examples / CALIBRATION_EXAMPLES + secs * split.test().size() / CALIBRATION_EXAMPLES / 50;
    }

    /** The table's rows: label, results key, and whether the value is a fraction. */
    static final String[][] ROWS = {
        {"clean test accuracy (all test images)", "clean_accuracy", "%"},
        {"PGD-l2 accuracy, eps = 1.0", "pgd_l2_accuracy@1.0", "%"},
        {"PGD-l2 accuracy, eps = 1.5", "pgd_l2_accuracy@1.5", "%"},
        {"certified accuracy, eps = 0.5", "certified_l2_accuracy@0.5", "%"},
        {"network Lipschitz upper bound", "lipschitz_upper_bound", "g"},
    };

    /** Per model and metric (every number a run measured): the mean over the seeds, the spread (half the range) and the values. */
    static Map<String, Object> summarise(List<Variant> variants, Map<String, Map<String, Object>> runs, int epochs) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("epochs", epochs);
        out.put("seeds", SEEDS);
        Map<String, Object> models = new LinkedHashMap<>();
        for (Variant v : variants) {
            Map<String, Object> rows = new LinkedHashMap<>();
            for (Map.Entry<String, Object> metric : runs.get(id(v, 0)).entrySet()) {
                if (!(metric.getValue() instanceof Double)) {
                    continue;
                }
                double[] vals = new double[SEEDS];
                for (int s = 0; s < SEEDS; s++) {
                    vals[s] = ((Number) runs.get(id(v, s)).get(metric.getKey())).doubleValue();
                }
                double lo = Arrays.stream(vals).min().orElseThrow();
                double hi = Arrays.stream(vals).max().orElseThrow();
                rows.put(metric.getKey(), Repro.map("mean", Repro.mean(vals), "spread", (hi - lo) / 2, "values",
                        vals));
            }
            models.put(v.name(), Repro.map("model", v.spec().toString(), "training", v.regs().toString(), "metrics",
                    rows));
        }
        out.put("models", models);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> metric(Map<String, Object> results, String model, String key) {
        Map<String, Object> m = (Map<String, Object>) ((Map<String, Object>) results.get("models")).get(model);
        return (Map<String, Object>) ((Map<String, Object>) m.get("metrics")).get(key);
    }

    private static double mean(Map<String, Object> results, String model, String key) {
        return (double) metric(results, model, key).get("mean");
    }

    private static double spread(Map<String, Object> results, String model, String key) {
        return (double) metric(results, model, key).get("spread");
    }

    static String table(List<Variant> variants, Map<String, Object> results) {
        List<String> header = new ArrayList<>(List.of("metric (mean ± spread of " + SEEDS + " seeds)"));
        variants.forEach(v -> header.add(v.name()));
        List<List<String>> body = new ArrayList<>();
        for (String[] row : ROWS) {
            List<String> cells = new ArrayList<>(List.of(row[0]));
            for (Variant v : variants) {
                Map<String, Object> m = metric(results, v.name(), row[1]);
                if (m == null) {
                    cells.add("n/a");
                } else if (row[2].equals("%")) {
                    cells.add(String.format(Locale.ROOT, "%.1f ± %.1f%%", 100 * (double) m.get("mean"),
                            100 * (double) m.get("spread")));
                } else {
                    cells.add(String.format(Locale.ROOT, "%.3g ± %.2g", (double) m.get("mean"),
                            (double) m.get("spread")));
                }
            }
            body.add(cells);
        }
        return Outputs.table(header, body);
    }

    /** Whether {@code a − b} is larger than the two seed spreads together. */
    private static String beyond(double diff, double spreadA, double spreadB) {
        return Math.abs(diff) > spreadA + spreadB ? "larger than the seed spread" : "within the seed spread";
    }

    /** The report's opening: what was trained, what the regulariser bought, what the certificate proves. */
    static String story(List<Variant> variants, Map<String, Object> r) {
        String pgd15 = "pgd_l2_accuracy@1.5";
        double gain = mean(r, "pgd-trained", pgd15) - mean(r, "plain", pgd15);
        double clean = mean(r, "pgd-trained", "clean_accuracy") - mean(r, "plain", "clean_accuracy");
        double cert = mean(r, "lipschitz", "certified_l2_accuracy@0.5");
        return String.format(Locale.ROOT, "Three networks were trained on the bundled MNIST subset, %d seeds each: a"
                        + " plain CNN, the same CNN trained against PGD-l2 attacks of radius 1.0, and a 1-Lipschitz"
                        + " MLP (Björck-orthogonal layers, MaxMin, hinge loss). PGD training raised the accuracy under"
                        + " a PGD-l2 attack of radius 1.5 by %+.1f points (%.1f%% → %.1f%%, %s) and changed clean"
                        + " accuracy by %+.1f points (%s). The Lipschitz network's certificate proves that %.1f%% of the"
                        + " test images it was checked on keep their label under every l2 perturbation of size 0.5"
                        + " (clean accuracy %.1f%%), where the CNNs' Lipschitz bounds (about %.0f) prove nothing.",
                SEEDS, 100 * gain, 100 * mean(r, "plain", pgd15), 100 * mean(r, "pgd-trained", pgd15),
                beyond(gain, spread(r, "plain", pgd15), spread(r, "pgd-trained", pgd15)), 100 * clean,
                beyond(clean, spread(r, "plain", "clean_accuracy"), spread(r, "pgd-trained", "clean_accuracy")),
                100 * cert, 100 * mean(r, "lipschitz", "clean_accuracy"),
                mean(r, "plain", "lipschitz_upper_bound"));
    }

    private static String setup(Split split, int epochs, int evalExamples) {
        return String.format(Locale.ROOT, "Setup: %d training and %d test images of the bundled MNIST subset, %d"
                + " epochs of Adam (lr 1e-3, batch 128), seeds 0 and 1. The CNN is %s; PGD training replaces each"
                + " batch by its PGD-l2 adversary (radius 1.0, 3 steps). The Lipschitz network is 784-256-256-10 with"
                + " Björck-orthogonalised weights and MaxMin, trained with the multi-class hinge loss of margin √2·%.1f"
                + " (Li et al. 2019). PGD-l2 runs 20 steps with a random start on the first %d test images; the"
                + " certificate (margin > √2·ε·L) uses the same images. The spread is half the range over the seeds;"
                + " a difference counts only where it exceeds both models' spreads together.", split.train().size(),
                split.test().size(), epochs, new ModelSpec("cnn", 16, 2, split.train().sampleShape(), 10), HINGE_EPS,
                evalExamples);
    }

    /** Epoch 1's throughput against the last epoch's, per run: the JIT warm-up a user sees. */
    @SuppressWarnings("unchecked")
    static String speed(Map<String, Map<String, Object>> runs) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : runs.entrySet()) {
            List<Double> eps = (List<Double>) e.getValue().get("examples_per_second");
            double ratio = eps.get(0) / eps.get(eps.size() - 1);
            e.getValue().put("epoch1_over_last_epoch_throughput", ratio);
            parts.add(String.format(Locale.ROOT, "%s %.0f%%", e.getKey(), 100 * ratio));
        }
        return "Epoch 1's throughput as a share of the last epoch's: " + String.join(", ", parts) + ".";
    }

    private static void plots(Path dir, List<Variant> variants, Map<String, Object> r,
                              Map<String, List<Double>> stepLoss) throws java.io.IOException {
        Map<String, double[][]> acc = new LinkedHashMap<>();
        for (Variant v : variants) {
            double[] xs = new double[EPS.length + 1];
            double[] ys = new double[EPS.length + 1];
            ys[0] = mean(r, v.name(), "clean_accuracy");
            for (int i = 0; i < EPS.length; i++) {
                xs[i + 1] = EPS[i];
                ys[i + 1] = mean(r, v.name(), "pgd_l2_accuracy@" + EPS[i]);
            }
            acc.put(v.name() + " (PGD)", new double[][] {xs, ys});
            if (v.certified()) {
                double[] cy = ys.clone();
                for (int i = 0; i < EPS.length; i++) {
                    cy[i + 1] = mean(r, v.name(), "certified_l2_accuracy@" + EPS[i]);
                }
                acc.put(v.name() + " (certified)", new double[][] {xs, cy});
            }
        }
        Outputs.lineChart(dir.resolve("accuracy-vs-eps.png"), "Accuracy against the l2 radius (mean of " + SEEDS
                + " seeds)", "epsilon (l2)", "accuracy", acc);
        Map<String, double[][]> loss = new LinkedHashMap<>();
        for (Variant v : variants) {
            List<Double> l = stepLoss.get(id(v, 0));
            if (l != null) {
                double[] xs = new double[l.size()];
                Arrays.setAll(xs, i -> i + 1);
                loss.put(v.name() + " (seed 0)", new double[][] {xs, l.stream().mapToDouble(Double::doubleValue)
                        .toArray()});
            }
        }
        Outputs.lineChart(dir.resolve("training-loss.png"), "Training loss per step (no model here has a penalty"
                + " term)", "step", "loss", loss);
    }
}
