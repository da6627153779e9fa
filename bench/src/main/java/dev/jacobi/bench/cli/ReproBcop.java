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

    /** BCOP(1→c, k4, s2) → act → BCOP(c→2c, k4, s2) → act → Björck linear → 10 logits. */
    static Module model(int c, boolean maxMin, Rng rng) {
        return new Sequential(new BcopConv2d(1, c, 4, 2, rng), maxMin ? new MaxMin() : new ReLU(),
                new BcopConv2d(c, 2 * c, 4, 2, rng), maxMin ? new MaxMin() : new ReLU(), new Flatten(),
                new BjorckLinear(2 * c * 49, 10, rng));
    }

    private static final int BATCH = 64;

    private static int epochs(boolean quick) {
        return quick ? 3 : 30;
    }

    private static int width(boolean quick) {
        return quick ? 16 : 32;
    }

    private static Dataset test(boolean quick, Split split) {
        return quick ? split.test().balancedSubset(500, 22) : split.test();
    }

    @Override
    public List<Runs.Unit> units(boolean quick, int seeds) {
        int n = Datasets.bundledMnistSplit().train().size();
        List<Runs.Unit> units = new ArrayList<>();
        for (int seed = 0; seed < seeds; seed++) {
            int s = seed;
            for (boolean maxMin : new boolean[] {true, false}) {
                String id = maxMin ? "maxmin" : "relu";
                units.add(new Runs.Unit(id + "-seed" + s, id, Repro.map("activation", id, "train", n, "width",
                        width(quick), "epochs", epochs(quick), "batch", BATCH, "loss", "multi-margin 1.5", "seed", s),
                        Repro.steps(n, BATCH, epochs(quick)), dir -> unit(quick, maxMin, s)));
            }
        }
        return units;
    }

    /** One activation and seed: certified accuracy over ε and the Lipschitz bound. */
    private static Map<String, Object> unit(boolean quick, boolean maxMin, int seed) throws IOException {
        Split split = Datasets.bundledMnistSplit();
        Dataset test = test(quick, split);
        Module net = model(width(quick), maxMin, new Rng(4 + 100L * seed));
        MultiMarginLoss hinge = new MultiMarginLoss(1.5, 1);
        Repro.train(net, split.train(), epochs(quick), BATCH, 1e-3, 4 + seed, b -> b.loss(hinge::forward));
        double lip = LipschitzBound.of(net, new int[] {1, 28, 28}).product();
        Tensor x = Repro.images(test);
        Tensor logits = Repro.noGrad(() -> net.forward(x).value());
        return Repro.map("certifiedAccuracy", Certify.certifiedAccuracy(logits, test.labels(), lip, EPS),
                "lipschitzBound", lip);
    }

    @Override
    public List<Claim> claims(boolean quick) {
        int last = EPS.length - 1;
        return List.of(
                new Claim("certified-1.58", "certified accuracy at ε = 1.58 of the MaxMin BCOP CNN",
                        "45.84 ± 0.90% (Small network, 5 trials; ColinQiyangLi/LConvNet); the band keeps half",
                        0.229, Double.POSITIVE_INFINITY, s -> Runs.nums(s.get("maxmin"), "certifiedAccuracy")[last]),
                new Claim("clean", "clean accuracy of the MaxMin BCOP CNN",
                        "97.54 ± 0.06% (same source); the band allows 2.5 points less", 0.95, Double.POSITIVE_INFINITY,
                        s -> Runs.nums(s.get("maxmin"), "certifiedAccuracy")[0]),
                new Claim("maxmin-beats-relu", "certified accuracy at ε = 1.58, MaxMin minus ReLU",
                        "positive: ReLU loses gradient norm and certifies less (Li et al. 2019; METHODS.md 7)", 0.01,
                        Double.POSITIVE_INFINITY, s -> Runs.nums(s.get("maxmin"), "certifiedAccuracy")[last]
                                - Runs.nums(s.get("relu"), "certifiedAccuracy")[last]));
    }

    @Override
    public Result summarise(boolean quick, int seeds, Map<String, Map<String, Object>> results, Path runsDir,
                            Path outDir)
            throws IOException {
        Split split = Datasets.bundledMnistSplit();
        Dataset train = split.train();
        Dataset test = test(quick, split);
        int epochs = epochs(quick);
        int c = width(quick);
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("paper, MaxMin (200 epochs)", "≈98%", "", "", "45-57%", "1"));
        Map<String, Object> data = new LinkedHashMap<>();
        Map<String, double[][]> curves = new LinkedHashMap<>();
        double[][] cert = new double[2][];
        for (int a = 0; a < 2; a++) {
            String label = a == 0 ? "MaxMin" : "ReLU";
            Map<String, Object> r = results.get(a == 0 ? "maxmin-seed0" : "relu-seed0");
            cert[a] = Runs.nums(r, "certifiedAccuracy");
            double lip = Runs.num(r, "lipschitzBound");
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
        return new Result(body, data);
    }
}
