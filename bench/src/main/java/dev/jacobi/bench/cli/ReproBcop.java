package dev.jacobi.bench.cli;

import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.datasets.Dataset;
import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Module;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.regularizers.BcopConv2d;
import dev.jacobi.regularizers.BjorckLinear;
import dev.jacobi.regularizers.Certify;
import dev.jacobi.regularizers.LipschitzBound;
import dev.jacobi.regularizers.MaxMin;
import dev.jacobi.regularizers.MultiMarginLoss;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Li et al.'s BCOP: a CNN of orthogonal BCOP convolutions and a Björck linear layer, trained with the multi-class
 * hinge {@code m = √2·ε_train·L} (ε_train = 1.5, L = 1), certified at ℓ2 radius ε = 1.58 from
 * {@code margin > √2·ε·L}; MaxMin against ReLU activations.
 */
final class ReproBcop implements Reproduction {
    private static final double[] EPS = {0, 0.5, 1.0, 1.58};

    @Override
    public String name() {
        return "bcop";
    }

    @Override
    public String paper() {
        return "Li, Haghighatkhah, Sajjadi, Grosse, Jacobsen, \"Preventing Gradient Attenuation in Lipschitz"
                + " Constrained Convolutional Networks\", NeurIPS 2019";
    }

    @Override
    public String claim() {
        return "an MNIST BCOP CNN certifies about 45-57% of test points at l2 radius 1.58 with about 98% clean"
                + " accuracy (200 epochs); replacing MaxMin by ReLU lowers certified accuracy.";
    }

    @Override
    public int estimatedSeconds(boolean quick) {
        return quick ? 60 : 4 * 3600;
    }

    /** BCOP(1→c, k4, s2) → act → BCOP(c→2c, k4, s2) → act → Björck linear → 10 logits. */
    static Module model(int c, boolean maxMin, Rng rng) {
        return new Sequential(new BcopConv2d(1, c, 4, 2, rng), maxMin ? new MaxMin() : new ReLU(),
                new BcopConv2d(c, 2 * c, 4, 2, rng), maxMin ? new MaxMin() : new ReLU(), new Flatten(),
                new BjorckLinear(2 * c * 49, 10, rng));
    }

    @Override
    public Result run(boolean quick, Path outDir, PrintStream log) throws IOException {
        Split split = Datasets.bundledMnistSplit();
        Dataset train = split.train();
        Dataset test = quick ? split.test().balancedSubset(500, 22) : split.test();
        int epochs = quick ? 3 : 30;
        int c = quick ? 16 : 32;
        MultiMarginLoss hinge = new MultiMarginLoss(1.5, 1);
        Tensor x = Repro.images(test);
        int[] y = test.labels();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("paper, MaxMin (200 epochs)", "≈98%", "", "", "45-57%", "1"));
        Map<String, Object> data = new LinkedHashMap<>();
        Map<String, double[][]> curves = new LinkedHashMap<>();
        double[][] cert = new double[2][];
        for (int a = 0; a < 2; a++) {
            boolean maxMin = a == 0;
            String label = maxMin ? "MaxMin" : "ReLU";
            log.printf(Locale.ROOT, "bcop: %s, %d examples, %d epochs%n", label, train.size(), epochs);
            Module net = model(c, maxMin, new Rng(4));
            Repro.train(net, train, epochs, 64, 1e-3, 4, b -> b.loss(hinge::forward));
            double lip = LipschitzBound.of(net, new int[] {1, 28, 28}).product();
            Tensor logits = Repro.noGrad(() -> net.forward(x).value());
            cert[a] = Certify.certifiedAccuracy(logits, y, lip, EPS);
            curves.put(label, new double[][] {EPS, cert[a]});
            List<String> row = new ArrayList<>(List.of("ours, " + label));
            Arrays.stream(cert[a]).mapToObj(Repro::pct).forEach(row::add);
            row.add(Repro.num(lip));
            rows.add(row);
            data.put(label, Repro.map("certifiedAccuracy", cert[a], "lipschitzBound", lip));
        }
        data.put("eps", EPS);
        data.put("epochs", epochs);
        data.put("train", train.size());
        Outputs.lineChart(outDir.resolve("certified.png"), "certified l2 accuracy, BCOP CNN on MNIST", "ε (l2)",
                "certified accuracy", curves);
        String body = "Setup: bundled MNIST (" + train.size() + " train, " + test.size() + " test), BCOP(1→" + c
                + ", 4x4, stride 2) → act → BCOP(" + c + "→" + 2 * c + ", 4x4, stride 2) → act → Björck linear"
                + " (" + 2 * c * 49 + "→10), multi-class hinge with ε_train = 1.5, Adam 1e-3, " + epochs + " epochs."
                + " Certificates use L = the LipschitzBound product (1 up to Björck convergence).\n\n"
                + Outputs.table(List.of("model", "clean", "cert ε=0.5", "cert ε=1.0", "cert ε=1.58", "L"), rows)
                + "\n![certified accuracy against ε](certified.png)\n";
        int last = EPS.length - 1;
        boolean better = cert[0][last] >= cert[1][last] + 0.01;
        boolean level = cert[0][last] >= 0.45 && cert[0][0] >= 0.95;
        String verdict = better && level ? "yes" : better || level ? "partly" : "no";
        String reason = String.format(Locale.ROOT, "MaxMin certifies %s at ε = 1.58 (clean %s) against ReLU's %s"
                        + " (clean %s); the paper's 45-57%% needs %s", Repro.pct(cert[0][last]), Repro.pct(cert[0][0]),
                Repro.pct(cert[1][last]), Repro.pct(cert[1][0]),
                level ? "no more training here" : "far more epochs and data than this run");
        return new Result(verdict, reason, body, data);
    }
}
