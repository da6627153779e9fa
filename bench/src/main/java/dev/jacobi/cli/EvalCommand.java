package dev.jacobi.cli;

import dev.jacobi.cli.run.Outputs;
import dev.jacobi.cli.run.Tracker;
import dev.jacobi.cli.spec.Data;
import dev.jacobi.cli.spec.ModelFile;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Tensor;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Dataset;
import dev.jacobi.regularizers.attacks.Attacks;
import dev.jacobi.regularizers.attacks.Robustness;
import dev.jacobi.regularizers.lipschitz.Certify;
import dev.jacobi.regularizers.roll.Roll;
import dev.jacobi.regularizers.spectral.LipschitzBound;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jacobi eval}: clean, FGSM and PGD accuracy, certified accuracy, margins and Hessian statistics. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a model file: clean, FGSM and PGD (l2 and linf) accuracy, certified accuracy from the "
                + "Lipschitz bound, ROLL margins and input-Hessian statistics on the test set.",
        footer = {"%nExamples:", "  jacobi eval --model jacobi-out/train/model.safetensors",
                "  jacobi eval --model m.safetensors --eps 0.5,1,1.5 --linf-eps 0.1,0.2 --examples 500 --json out.json"})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "a model file written by 'jacobi train'")
    Path model;
    @Option(names = "--data", description = "data to evaluate on (default: what the model was trained on)")
    String data;
    @Option(names = "--eps", split = ",", defaultValue = "0.5,1.0,1.5", description = "l2 radii (default: ${DEFAULT-VALUE})")
    double[] eps;
    @Option(names = "--linf-eps", split = ",", defaultValue = "0.1,0.2", description = "linf radii (default: ${DEFAULT-VALUE})")
    double[] linfEps;
    @Option(names = "--steps", defaultValue = "20", description = "PGD steps (default: ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--examples", defaultValue = "500", description = "test examples to use (default: ${DEFAULT-VALUE})")
    int examples;
    @Option(names = "--json", description = "also write the results as JSON to this file")
    Path json;

    @Override
    public Integer call() throws Exception {
        check();
        ModelFile mf = ModelFile.load(model);
        Dataset test = testSet(mf);
        // the events go to the log of the training run that wrote the model, beside it
        Tracker t = Tracker.console("eval", model.toAbsolutePath().getParent().resolve("log.jsonl"), 0).install();
        Map<String, Object> r;
        try {
            r = evaluate(mf, test, eps, linfEps, steps, examples, line -> {
                t.say(line);
                t.event("eval_phase", "model", model.toString(), "done", line);
            });
            t.event("eval_results", "model", model.toString(), "results", r);
            t.say(t.finishLine());
        } finally {
            t.close();
        }
        r.forEach((k, v) -> System.out.printf("%-36s %s%n", k, v instanceof Double d ? String.format("%.4g", d) : v));
        if (json != null) {
            Outputs.json(json, r);
        }
        return 0;
    }

    /**
     * Checks the options, then evaluates the model file as they say: the numbers {@code jacobi eval} prints, which a
     * sweep's task computes as well. {@code progress} gets a line per finished phase.
     */
    Map<String, Object> results(Consumer<String> progress) throws java.io.IOException {
        check();
        ModelFile mf = ModelFile.load(model);
        return evaluate(mf, testSet(mf), eps, linfEps, steps, examples, progress);
    }

    private void check() {
        if (examples < 1 || steps < 1) {
            throw new IllegalArgumentException("--examples and --steps must be positive, got " + examples + " and "
                    + steps);
        }
        for (double e : eps) {
            if (!(e >= 0) || Double.isInfinite(e)) {
                throw new IllegalArgumentException("--eps: radii must be finite and >= 0, got " + e);
            }
        }
        for (double e : linfEps) {
            if (!(e >= 0) || Double.isInfinite(e)) {
                throw new IllegalArgumentException("--linf-eps: radii must be finite and >= 0, got " + e);
            }
        }
    }

    private Dataset testSet(ModelFile mf) throws java.io.IOException {
        if (data == null && mf.data() == null) {
            throw new IllegalArgumentException(model + " does not say which data set it was trained on (a model saved"
                    + " from Java): pass --data");
        }
        return Data.load(data == null ? mf.data() : data).test();
    }

    /** The first {@code n} examples of {@code d} as one batch. */
    static Batch head(Dataset d, int n) {
        int m = Math.min(n, d.size());
        int[] idx = new int[m];
        for (int i = 0; i < m; i++) {
            idx[i] = i;
        }
        Batch b = DataLoader.builder(d.subset(idx), m).shuffle(false).build().epoch(0).iterator().next();
        return b;
    }

    /** Examples used for the Hessian, Jacobian and margin statistics. */
    static final int STAT_EXAMPLES = 64;

    /**
     * Every figure of {@code jacobi eval} on the first {@code n} test examples; {@code progress} gets one line per
     * finished phase with its time, so that a long evaluation shows where it is.
     */
    static Map<String, Object> evaluate(ModelFile mf, Dataset test, double[] eps, double[] linfEps, int steps, int n,
                                        Consumer<String> progress) {
        long[] t0 = {System.nanoTime()};
        Consumer<String> done = phase -> {
            long now = System.nanoTime();
            progress.accept(String.format(Locale.ROOT, "eval: %s done in %.1f s", phase, (now - t0[0]) / 1e9));
            t0[0] = now;
        };
        Batch b = head(test, n);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("examples", b.y().length);
        r.put("clean_accuracy", Attacks.accuracy(mf.model(), b.x(), b.y()));
        for (double e : eps) {
            Tensor adv = Attacks.pgd(mf.model(), b.x(), b.y(), Attacks.Pgd.l2(e, steps));
            r.put("pgd_l2_accuracy@" + e, Attacks.accuracy(mf.model(), adv, b.y()));
            done.accept("PGD-l2 at eps " + e + " on " + b.y().length + " examples");
        }
        for (double e : linfEps) {
            Tensor adv = Attacks.pgd(mf.model(), b.x(), b.y(), Attacks.Pgd.linf(e, steps));
            r.put("pgd_linf_accuracy@" + e, Attacks.accuracy(mf.model(), adv, b.y()));
            r.put("fgsm_linf_accuracy@" + e, Attacks.accuracy(mf.model(), Attacks.fgsm(mf.model(), b.x(), b.y(), e, 0, 1), b.y()));
            done.accept("PGD-linf and FGSM at eps " + e);
        }
        // the second-order statistics and the exact margins cost far more per example: use the first 64
        Batch s = head(test, Math.min(n, STAT_EXAMPLES));
        Robustness.Report rep = Robustness.evaluate(mf.model(), s.x(), s.y(), Attacks.Pgd.l2(1, steps), new double[0], 10);
        r.put("statistics_examples", s.y().length);
        done.accept("Hessian, Jacobian and margin statistics on " + s.y().length + " examples");
        double lip = LipschitzBound.of(mf.model(), mf.input() != null ? mf.input() : test.sampleShape()).product();
        r.put("lipschitz_upper_bound", lip);
        r.put("lipschitz_lower_bound", rep.maxJacobianNorm());
        Tensor logits = mf.model().forward(b.x()).value();
        double[] cert = Certify.certifiedAccuracy(logits, b.y(), lip, eps);
        for (int i = 0; i < eps.length; i++) {
            r.put("certified_l2_accuracy@" + eps[i], cert[i]);
        }
        r.put("hessian_top_eig_mean", rep.hessianTop()[0]);
        r.put("hessian_top_eig_median", rep.hessianTop()[1]);
        r.put("hessian_top_eig_max", rep.hessianTop()[2]);
        String noMargins = Roll.notPiecewiseLinear(mf.model());
        if (noMargins == null) {
            double[] relu = Roll.reluMargins(mf.model(), s.x(), 2).toDoubleArray();
            java.util.Arrays.sort(relu);
            r.put("relu_pattern_l2_margin_median", relu[relu.length / 2]);
            List<String> q = List.of("p10", "p50", "p90");
            for (int i = 0; i < 3; i++) {
                r.put("roll_l2_margin_" + q.get(i), rep.marginPercentiles()[i]);
            }
        } else {
            // margins exist only for piecewise-linear networks: say so instead of leaving the numbers out
            r.put("relu_pattern_l2_margin_median", "n/a: " + noMargins);
            r.put("roll_l2_margin_p50", "n/a: " + noMargins);
        }
        return r;
    }

}
