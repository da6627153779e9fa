package dev.jacobi.bench.cli;

import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.train.TrainListener;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The main job of {@code ./jacobi}: a small CNN trained twice on the bundled MNIST subset, plain and regularised
 * (grad-ℓ2 plus spectral clipping), then compared on clean and PGD-ℓ2 accuracy, certified accuracy from the Lipschitz
 * bound, the bound itself, ROLL margins and the top input-Hessian eigenvalue. Writes {@code report.md},
 * {@code results.json}, both models and two plots to the output directory.
 */
final class MainJob {
    /** ε values of the accuracy-against-ε plot; the table reports 1.0 and 1.5 (PGD) and 0.5 (certified). */
    static final double[] EPS = {0.5, 1.0, 1.5, 2.0};

    private MainJob() {
    }

    /** One variant of the comparison. */
    record Variant(String name, List<RegSpec> regs) {
    }

    static int run(PrintStream out, Path dir, int trainPerClassCap, int epochs, int evalExamples) throws Exception {
        Split split = Datasets.bundledMnistSplit();
        if (trainPerClassCap > 0) {
            split = new Split(split.train().balancedSubset(trainPerClassCap * 10, 1), split.test());
        }
        ModelSpec spec = new ModelSpec("cnn", 16, 2, split.train().sampleShape(), 10);
        List<Variant> variants = List.of(new Variant("plain", List.of()),
                new Variant("regularised", List.of(RegSpec.parse("grad-l2=0.1"), RegSpec.parse("sn-clip=2.0,kappa=2"))));
        out.printf("Jacobi main job: %s on the bundled MNIST subset (%d train / %d test images), %d epochs, Adam 1e-3%n",
                spec, split.train().size(), split.test().size(), epochs);
        out.println("Two runs: plain, and regularised with " + variants.get(1).regs() + "\n");
        Tracker t = Tracker.console("main job", dir.resolve("log.jsonl"), 0).install();
        try (Tracker.Signals ignored = t.trapSignals()) {
            return run(out, dir, split, spec, variants, epochs, evalExamples, t);
        } finally {
            t.close();
        }
    }

    private static int run(PrintStream out, Path dir, Split split, ModelSpec spec, List<Variant> variants, int epochs,
                           int evalExamples, Tracker t) throws Exception {
        long steps = (long) epochs * ((split.train().size() + 127) / 128);
        for (Variant v : variants) {
            t.plan(v.name(), v.name(), steps);
        }
        Path scratch = java.nio.file.Files.createTempDirectory("jacobi-calibration");
        for (Variant v : variants) {
            t.calibrating(v.name(), () -> {
                try {
                    TrainCommand.train(spec, split, v.regs(), "adam", 1e-3, epochs, 128, 0, scratch.resolve(v.name()),
                            false, t, v.name());
                } catch (Exception e) {
                    throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
            });
        }
        Runs.deleteTree(scratch);
        double eval = evaluationSeconds(spec, split, evalExamples);
        for (Variant v : variants) {
            t.expectExtra(v.name(), eval);
        }
        t.printEstimate("from timing the first steps of both runs and the evaluation of " + CALIBRATION_EXAMPLES
                + " examples");
        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, double[][]> lossCurves = new LinkedHashMap<>();
        Map<String, double[][]> accCurves = new LinkedHashMap<>();
        Map<String, double[][]> epsCurves = new LinkedHashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Variant v : variants) {
            out.println("== " + v.name());
            t.begin(v.name(), v.name(), steps);
            TrainCommand.Run run = TrainCommand.train(spec, split, v.regs(), "adam", 1e-3, epochs, 128, 0,
                    dir.resolve(v.name()), false, t, v.name());
            if (run.stopped() != null) {
                out.println("main job: " + run.stopped() + "; nothing is reported");
                return t.exitCode();
            }
            ModelFile.save(dir.resolve(v.name() + ".safetensors"), run.model(), spec, "bundled");
            run.model().eval();
            Map<String, Object> r = EvalCommand.evaluate(new ModelFile(run.model(), spec, "bundled"), split.test(), EPS,
                    new double[0], 20, evalExamples, t::say);
            r.put("test_accuracy_full", run.testAccuracy());
            r.put("regularizers", v.regs().toString());
            List<Double> losses = new ArrayList<>();
            List<Double> accs = new ArrayList<>();
            for (TrainListener.Epoch e : run.epochs()) {
                losses.add(e.meanLoss());
                accs.add(e.trainAccuracy());
            }
            r.put("train_loss", losses);
            r.put("train_accuracy", accs);
            results.put(v.name(), r);
            rows.add(r);
            double[] ep = new double[losses.size()];
            for (int i = 0; i < ep.length; i++) {
                ep[i] = i + 1;
            }
            lossCurves.put(v.name(), new double[][] {ep, losses.stream().mapToDouble(Double::doubleValue).toArray()});
            accCurves.put(v.name(), new double[][] {ep, accs.stream().mapToDouble(Double::doubleValue).toArray()});
            double[] xs = new double[EPS.length + 1];
            double[] ys = new double[EPS.length + 1];
            ys[0] = (double) r.get("clean_accuracy");
            for (int i = 0; i < EPS.length; i++) {
                xs[i + 1] = EPS[i];
                ys[i + 1] = (double) r.get("pgd_l2_accuracy@" + EPS[i]);
            }
            epsCurves.put(v.name(), new double[][] {xs, ys});
            t.end();
            out.println();
        }
        String table = table(rows);
        out.println(table);
        // the whole job, the timing of its first steps included, as the tracker's last line says
        double secs = t.elapsedSeconds();
        results.put("seconds", secs);
        Outputs.json(dir.resolve("results.json"), results);
        Outputs.lineChart(dir.resolve("training-loss.png"), "Training loss", "epoch", "mean loss", lossCurves);
        Outputs.lineChart(dir.resolve("accuracy-vs-eps.png"), "Accuracy under PGD-l2 (" + evalExamples
                + " test images, 20 steps)", "epsilon (l2)", "accuracy", epsCurves);
        Outputs.text(dir.resolve("report.md"), "# Jacobi main job\n\n" + spec + " on the bundled MNIST subset ("
                + split.train().size() + " train, " + split.test().size() + " test images), " + epochs
                + " epochs of Adam (lr 1e-3, batch 128), trained plain and with " + variants.get(1).regs() + ".\n"
                + "Robustness figures use the first " + evalExamples + " test images; PGD-l2 runs 20 steps with a random "
                + "start. The exact linear-region margin of a max-pool CNN on MNIST is 0: pooling windows over the constant "
                + "background hold equal values, so every input lies on a region boundary; the ReLU-pattern margin "
                + "leaves those ties out. Certified accuracy uses the product of per-layer bounds, which is far too "
                + "loose for an unconstrained CNN to certify anything at eps = 0.5 (see `jacobi reproduce bcop` for "
                + "networks that are 1-Lipschitz by construction).\n\n" + table + "\n![training loss](training-loss.png)\n\n![accuracy against epsilon]"
                + "(accuracy-vs-eps.png)\n\nFinished in " + String.format("%.0f", secs) + " s. Models: plain.safetensors, "
                + "regularised.safetensors (inspect them with `./jacobi inspect --model FILE`).\n");
        out.println(t.finishLine());
        out.println("Report: " + dir.resolve("report.md"));
        return 0;
    }

    static final int CALIBRATION_EXAMPLES = 16;

    /**
     * The evaluation's time for one model, from timing it on {@value #CALIBRATION_EXAMPLES} examples of an untrained
     * one: the attacks scale with the examples, the second-order statistics with the first 64 of them.
     */
    private static double evaluationSeconds(ModelSpec spec, Split split, int examples) {
        List<Long> marks = new ArrayList<>();
        marks.add(System.nanoTime());
        EvalCommand.evaluate(new ModelFile(spec.build(new dev.jacobi.core.Rng(1)), spec, "bundled"), split.test(), EPS,
                new double[0], 20, CALIBRATION_EXAMPLES, line -> marks.add(System.nanoTime()));
        double attacks = (marks.get(marks.size() - 2) - marks.get(0)) / 1e9;
        double stats = (marks.get(marks.size() - 1) - marks.get(marks.size() - 2)) / 1e9;
        return attacks * examples / CALIBRATION_EXAMPLES
                + stats * Math.min(examples, EvalCommand.STAT_EXAMPLES) / CALIBRATION_EXAMPLES;
    }

    private static String table(List<Map<String, Object>> rows) {
        List<String> header = List.of("metric", "plain", "regularised");
        String[][] metrics = {
            {"clean test accuracy (all test images)", "test_accuracy_full", "%"},
            {"PGD-l2 accuracy, eps = 1.0", "pgd_l2_accuracy@1.0", "%"},
            {"PGD-l2 accuracy, eps = 1.5", "pgd_l2_accuracy@1.5", "%"},
            {"certified accuracy, eps = 0.5 (Lipschitz bound)", "certified_l2_accuracy@0.5", "%"},
            {"network Lipschitz upper bound", "lipschitz_upper_bound", "g"},
            {"median ROLL l2 margin (exact linear region)", "roll_l2_margin_p50", "g"},
            {"median l2 margin of the ReLU pattern (max-pool ties excluded)", "relu_pattern_l2_margin_median", "g"},
            {"top input-Hessian eigenvalue magnitude (mean)", "hessian_top_eig_mean", "g"},
        };
        List<List<String>> body = new ArrayList<>();
        for (String[] m : metrics) {
            List<String> row = new ArrayList<>(List.of(m[0]));
            for (Map<String, Object> r : rows) {
                Object v = r.get(m[1]);
                row.add(v instanceof Double d ? (m[2].equals("%") ? String.format("%.1f%%", 100 * d)
                        : String.format("%.4g", d)) : "n/a");
            }
            body.add(row);
        }
        return Outputs.table(header, body);
    }
}
