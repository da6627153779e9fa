package dev.jacobi.cli.reproduce;

import dev.jacobi.cli.run.Outputs;
import dev.jacobi.cli.run.Runs;
import dev.jacobi.cli.spec.ModelFile;
import dev.jacobi.cli.spec.ModelSpec;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.io.AtomicFiles;
import dev.jacobi.datasets.Dataset;
import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.datasets.Synthetic;
import dev.jacobi.nn.Layer;
import dev.jacobi.regularizers.roll.Roll;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * ROLL (Lee et al. 2019): the exact ℓ2 margins {@code ε̂₂(x) = min_j |z_j|/‖∇ₓz_j‖₂} of the linear regions around test
 * points, vanilla against ROLL-trained ReLU MLPs on MNIST, and a picture of the linear regions on 2-D moons.
 */
final class ReproRoll implements Reproduction {
    private static final double[] PERCENTILES = {0, 0.25, 0.5, 0.75, 1.0};

    @Override
    public String name() {
        return "roll";
    }

    @Override
    public String paper() {
        return "Lee, Alvarez-Melis, Jaakkola, \"Towards Robust, Locally Linear Deep Networks\", ICLR 2019";
    }

    @Override
    public String claim() {
        return "on MNIST (FC 784-300x4-10) the median l2 margin of the linear region grows from about 6e-4 (vanilla) to"
                + " 9.2e-3 with ROLL (C = 0.25) at equal accuracy (98%); on 2-D toy data the linear regions grow"
                + " around the data.";
    }

    /**
     * The sizes of a run. The full mode keeps the authors' setup (Lee et al.'s {@code fc_margin.py} and
     * {@code gamma100_fc.sh}: MNIST with 5,000 training images held out for validation, FC 784-300x4-10, SGD with
     * Nesterov momentum 0.5 at lr 0.01, batch 64, best epoch by validation loss, inputs standardised with
     * (0.1307, 0.3081), λ = 2, C = 0.25) and scales one thing, the epochs: 2 instead of 20, because the exact penalty
     * costs up to 0.4 GFLOP per image and step at width 300 (less when fewer neurons are active), so 20 epochs of
     * 55,000 images would take hours per model on 2 cores. The validation set and the test points whose margins are
     * measured are smaller too (the penalty is evaluated on the validation set after every epoch); test accuracy uses
     * the whole test set.
     */
    private record Sizes(int toyEpochs, int grid, int nTrain, int nVal, int width, int epochs, int nTest) {
        static Sizes of(boolean quick) {
            return quick ? new Sizes(400, 120, 7500, 500, 100, 2, 200) : new Sizes(1500, 240, 55000, 1000, 300, 2,
                    2000);
        }
    }

    private static final int TOY_POINTS = 200;
    private static final int MNIST_BATCH = 64;

    @Override
    public List<Runs.Unit> units(boolean quick, int seeds) {
        Sizes z = Sizes.of(quick);
        List<Runs.Unit> units = new ArrayList<>();
        for (int seed = 0; seed < seeds; seed++) {
            int s = seed;
            for (boolean roll : new boolean[] {false, true}) {
                String which = roll ? "roll" : "vanilla";
                units.add(new Runs.Unit("toy-" + which + "-seed" + s, "toy-" + which, Repro.map("data",
                        "moons 200, noise 0.1", "model", "mlp 2-32x4-2", "epochs", z.toyEpochs(), "lambda",
                        roll ? TOY_LAMBDA : 0, "c", roll ? TOY_C : 0, "seed", s),
                        Repro.steps(TOY_POINTS, TOY_POINTS, z.toyEpochs()), dir -> toy(roll, z, dir, s)));
            }
            for (boolean roll : new boolean[] {false, true}) {
                String which = roll ? "roll" : "vanilla";
                units.add(new Runs.Unit("mnist-" + which + "-seed" + s, "mnist-" + which, Repro.map("data",
                        quick ? "bundled mnist (8,000 + 2,000)" : "mnist (60,000 + 10,000)", "train", z.nTrain(),
                        "validation", z.nVal(), "test_for_margins", z.nTest(), "inputs",
                        "standardised (0.1307, 0.3081)", "model", "mlp 784-" + z.width() + "x4-10", "optimizer",
                        "sgd lr 0.01, nesterov momentum 0.5", "batch", MNIST_BATCH, "epochs", z.epochs(),
                        "selection", "best epoch by validation loss", "lambda", roll ? MNIST_LAMBDA : 0, "c",
                        roll ? MNIST_C : 0, "seed", s), Repro.steps(z.nTrain(), MNIST_BATCH, z.epochs()),
                        dir -> mnist(roll, z, s, quick)));
            }
        }
        return units;
    }

    @Override
    public List<Claim> claims(boolean quick) {
        return List.of(
                new Claim("margin-ratio", "ROLL (λ = " + MNIST_LAMBDA + ", C = " + MNIST_C + ") multiplies the median"
                        + " l2 margin of the linear regions around MNIST test points (ROLL / vanilla)",
                        "about 15x: 9.2e-3 against 6e-4 (Lee et al. 2019, MNIST table, as quoted in issue #22 and"
                                + " METHODS.md 6; the paper's table could not be read offline to confirm them)", 7.5,
                        Double.POSITIVE_INFINITY, s -> Runs.nums(s.get("mnist-roll"), "marginPercentiles")[2]
                                / Runs.nums(s.get("mnist-vanilla"), "marginPercentiles")[2]),
                new Claim("accuracy-kept", "test accuracy of ROLL minus vanilla, at that margin",
                        "0 points: 98% both (same table)", -0.01, Double.POSITIVE_INFINITY,
                        s -> s.num("mnist-roll", "accuracy") - s.num("mnist-vanilla", "accuracy")),
                new Claim("toy-regions-grow", "on the 2-D moons, the median margin of ROLL over vanilla",
                        "the linear regions grow around the data (Lee et al. 2019, 2-D figure)", 2,
                        Double.POSITIVE_INFINITY, s -> s.num("toy-roll", "medianMargin")
                                / s.num("toy-vanilla", "medianMargin")));
    }

    /** One model on the moons, saved for the picture, with its accuracy and margins. */
    private static Map<String, Object> toy(boolean roll, Sizes z, Path dir, int seed) throws IOException {
        Dataset moons = Synthetic.moons(TOY_POINTS, 0.1, 1);
        ModelSpec spec = new ModelSpec("mlp", 32, 4, new int[] {2}, 2);
        Layer m = Repro.train(spec.build(new Rng(11 + 100L * seed)), moons, z.toyEpochs(), TOY_POINTS, 0.01, 1 + seed,
                b -> {
                    if (roll) {
                        b.regularizer(TOY_LAMBDA, new Roll(TOY_C, Roll.Method.GRAM));
                    }
                });
        ModelFile.save(dir.resolve("model.safetensors"), m, spec, "moons");
        double[] margins = Roll.margins(m, Repro.images(moons), 2).toDoubleArray();
        return Repro.map("accuracy", Repro.accuracy(m, moons), "medianMargin", Repro.quantile(margins, 0.5),
                "p25Margin", Repro.quantile(margins, 0.25));
    }

    /**
     * One MLP on standardised MNIST, as the authors train it: a seeded split of the training images into validation
     * and training parts, SGD with Nesterov momentum, the epoch with the lowest validation loss (cross-entropy plus
     * λ times the penalty) kept. Test accuracy on the whole test set; the margins of the first test points,
     * converted to pixel units (× 0.3081), and how many distinct activation patterns they fall in.
     */
    private static Map<String, Object> mnist(boolean roll, Sizes z, int seed, boolean quick) throws IOException {
        Split split = Repro.mnist(quick);
        int[] order = new int[split.train().size()];
        Arrays.setAll(order, i -> i);
        new Rng(1000 + seed).shuffle(order);
        Dataset val = Repro.standardise(split.train().subset(Arrays.copyOfRange(order, 0, z.nVal())), MEAN, STD);
        // the authors hold out 5,000 images; the training part starts after them whatever the validation size
        int from = quick ? z.nVal() : 5000;
        Dataset train = Repro.standardise(split.train().subset(Arrays.copyOfRange(order, from, from + z.nTrain())),
                MEAN, STD);
        Dataset test = Repro.standardise(split.test(), MEAN, STD);
        Roll penalty = new Roll(MNIST_C, Roll.Method.GRAM);
        Repro.Recipe recipe = Repro.Recipe.sgd(z.epochs(), MNIST_BATCH, 0.01, 0.5, true, 0);
        recipe = roll ? recipe.validation(val, m -> MNIST_LAMBDA * meanPenalty(penalty, m, val))
                : recipe.validation(val);
        Repro.Trained t = Repro.fit(mlp(784, z.width(), 4, 10, 21 + 100L * seed), train, recipe, 2 + seed, b -> {
            if (roll) {
                b.regularizer(MNIST_LAMBDA, penalty);
            }
        });
        Layer m = t.model();
        int[] first = new int[z.nTest()];
        Arrays.setAll(first, i -> i);
        Tensor xs = test.images(first);
        double[] margins = Roll.margins(m, xs, 2).toDoubleArray();
        for (int i = 0; i < margins.length; i++) {
            margins[i] *= STD;
        }
        Set<Integer> patterns = new HashSet<>();
        for (int i = 0; i < first.length; i++) {
            patterns.add(Arrays.hashCode(Roll.activationPattern(m, xs.narrow(0, i, 1))));
        }
        return Repro.map("accuracy", Repro.accuracy(m, test), "marginPercentiles", pcts(margins), "patterns",
                patterns.size(), "bestEpoch", t.bestEpoch(), "validationLoss", t.validationLoss());
    }

    /** The mean ROLL penalty on {@code d}, in chunks (the Gram matrices of a whole set would not fit). */
    private static double meanPenalty(Roll r, Layer m, Dataset d) {
        double sum = 0;
        for (int from = 0; from < d.size(); from += 250) {
            int n = Math.min(250, d.size() - from);
            int[] idx = new int[n];
            int f = from;
            Arrays.setAll(idx, i -> f + i);
            sum += n * r.penalty(m, d.images(idx)).item();
        }
        return sum / d.size();
    }

    @Override
    public Result summarise(boolean quick, int seeds, Map<String, Map<String, Object>> results, Path runsDir,
                            Path outDir)
            throws IOException {
        Sizes z = Sizes.of(quick);
        Map<String, Object> data = new LinkedHashMap<>();
        StringBuilder body = new StringBuilder();

        // --- 2-D toy: linear regions of vanilla and ROLL on moons
        Dataset moons = Synthetic.moons(TOY_POINTS, 0.1, 1);
        // the tables and the picture show seed 0; the claims below use every seed
        Layer toyVanilla = ModelFile.load(runsDir.resolve("toy-vanilla-seed0").resolve("model.safetensors")).model();
        Layer toyRoll = ModelFile.load(runsDir.resolve("toy-roll-seed0").resolve("model.safetensors")).model();
        int grid = z.grid();
        int[][] patV = patterns(toyVanilla, moons, grid);
        int[][] patR = patterns(toyRoll, moons, grid);
        Map<String, Object> tv = results.get("toy-vanilla-seed0");
        Map<String, Object> tr = results.get("toy-roll-seed0");
        double toyAccV = Runs.num(tv, "accuracy");
        double toyAccR = Runs.num(tr, "accuracy");
        double toyMedV = Runs.num(tv, "medianMargin");
        double toyMedR = Runs.num(tr, "medianMargin");
        int regionsV = distinct(patV);
        int regionsR = distinct(patR);
        picture(outDir.resolve("regions.png"), moons, patV, patR, grid, regionsV, regionsR);

        body.append("## 2-D moons (200 points, MLP 2-32x4-2, ").append(z.toyEpochs()).append(" Adam steps)\n\n")
                .append(Outputs.table(List.of("model", "train acc", "regions on the grid", "median margin",
                        "P25 margin"), List.of(
                        List.of("vanilla", Repro.pct(toyAccV), Integer.toString(regionsV), Repro.num(toyMedV),
                                Repro.num(Runs.num(tv, "p25Margin"))),
                        List.of("ROLL λ=" + TOY_LAMBDA + ", C=" + TOY_C, Repro.pct(toyAccR), Integer.toString(regionsR),
                                Repro.num(toyMedR), Repro.num(Runs.num(tr, "p25Margin"))))))
                .append("\n![linear regions, vanilla (left) and ROLL (right)](regions.png)\n\n")
                .append("Each colour is one activation pattern (one linear region) on a ").append(grid).append('x')
                .append(grid).append(" grid; dots are the training points.\n\n");
        data.put("toy", Repro.map("vanillaAccuracy", toyAccV, "rollAccuracy", toyAccR, "vanillaRegions", regionsV,
                "rollRegions", regionsR, "vanillaMedianMargin", toyMedV, "rollMedianMargin", toyMedR,
                "lambda", TOY_LAMBDA, "c", TOY_C));

        // --- MNIST: margin percentiles, one row per model and seed
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("paper vanilla", "98%", "—", "—", new String[] {"—", "—", "6e-4", "—", "—"}));
        rows.add(row("paper ROLL λ=2, C=0.25", "98%", "—", "—", new String[] {"—", "—", "9.2e-3", "—", "—"}));
        List<Object> perSeed = new ArrayList<>();
        for (int seed = 0; seed < seeds; seed++) {
            for (String which : List.of("vanilla", "roll")) {
                Map<String, Object> r = results.get("mnist-" + which + "-seed" + seed);
                String label = (which.equals("roll") ? "ROLL λ=" + MNIST_LAMBDA + ", C=" + MNIST_C : "vanilla")
                        + ", seed " + seed;
                rows.add(row(label, Repro.pct(Runs.num(r, "accuracy")), Integer.toString((int) Runs.num(r,
                        "bestEpoch")), Integer.toString((int) Runs.num(r, "patterns")), nums(Runs.nums(r,
                        "marginPercentiles"))));
                perSeed.add(Repro.map("model", which, "seed", seed, "accuracy", Runs.num(r, "accuracy"),
                        "marginPercentiles", Runs.nums(r, "marginPercentiles"), "patterns", Runs.num(r, "patterns"),
                        "bestEpoch", Runs.num(r, "bestEpoch")));
            }
        }
        body.append("## MNIST: FC 784-").append(z.width()).append("x4-10, ").append(z.nTrain())
                .append(" training images, ").append(z.nVal()).append(" for validation, ").append(z.epochs())
                .append(" epochs; margins of the first ").append(z.nTest()).append(" test images\n\n")
                .append(quick ? "The --quick smoke test uses the bundled 10,000-image subset and a narrower MLP.\n\n"
                        : "Setup of the authors' `fc_margin.py` and `gamma100_fc.sh` (repository"
                        + " guanghelee/iclr19-robust-locally-linear-nets): official MNIST with 5,000 training images"
                        + " held out for validation (seeded split), FC 784-300x4-10 with ReLU, SGD with Nesterov"
                        + " momentum 0.5, lr 0.01, batch 64, the epoch with the lowest validation loss"
                        + " (cross-entropy + λ·ROLL) kept, inputs standardised with (0.1307, 0.3081) and the penalty"
                        + " taken on the standardised inputs, λ = 2 and C = 0.25 (the script's C = 1 run is not"
                        + " repeated). One thing is scaled to the 2-core CPU: " + z.epochs() + " epochs instead of 20"
                        + " (the exact penalty costs up to 0.4 GFLOP per image and step at width 300, so the authors'"
                        + " 20 epochs would take hours per model); the validation set (" + z.nVal() + " of the 5,000"
                        + " held out) and the test points for"
                        + " margins (" + z.nTest() + " of 10,000) are smaller for the same reason. Test accuracy is on"
                        + " all 10,000 test images.\n\n")
                .append(Outputs.table(List.of("model", "test acc", "best epoch", "activation patterns", "min ε̂₂",
                        "P25 ε̂₂", "P50 ε̂₂", "P75 ε̂₂", "max ε̂₂"), rows))
                .append("\nMargins are exact l2 distances to the boundary of each test point's linear region,"
                        + " measured on the standardised inputs and converted to pixel units (x 0.3081), as the"
                        + " authors report them. \"activation patterns\" counts the distinct patterns among the"
                        + " measured test points (the paper's #CLR).\n");
        data.put("mnist", Repro.map("train", z.nTrain(), "validation", z.nVal(), "width", z.width(), "epochs",
                z.epochs(), "percentiles", PERCENTILES, "lambda", MNIST_LAMBDA, "c", MNIST_C, "runs", perSeed));

        return new Result(body.toString(), data);
    }

    private static final double TOY_LAMBDA = 1;
    private static final double TOY_C = 1;
    private static final double MNIST_LAMBDA = 2;
    private static final double MEAN = 0.1307;
    private static final double STD = 0.3081;
    private static final double MNIST_C = 0.25;

    private static Layer mlp(int in, int width, int depth, int classes, long seed) {
        return new ModelSpec("mlp", width, depth, new int[] {in}, classes).build(new Rng(seed));
    }

    private static List<String> row(String name, String acc, String epoch, String patterns, String[] q) {
        List<String> r = new ArrayList<>(List.of(name, acc, epoch, patterns));
        r.addAll(Arrays.asList(q));
        return r;
    }

    private static String[] nums(double[] v) {
        return Arrays.stream(v).mapToObj(Repro::num).toArray(String[]::new);
    }

    private static double[] pcts(double[] m) {
        return Arrays.stream(PERCENTILES).map(q -> Repro.quantile(m, q)).toArray();
    }

    /** Bounds {@code [x0, x1, y0, y1]} of the picture: the data's box with a margin of 0.5. */
    private static double[] box(Dataset d) {
        double[] x = Repro.images(d).toDoubleArray();
        double[] b = {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE};
        for (int i = 0; i < x.length; i += 2) {
            b[0] = Math.min(b[0], x[i]);
            b[1] = Math.max(b[1], x[i]);
            b[2] = Math.min(b[2], x[i + 1]);
            b[3] = Math.max(b[3], x[i + 1]);
        }
        return new double[] {b[0] - 0.5, b[1] + 0.5, b[2] - 0.5, b[3] + 0.5};
    }

    /** The hash of the activation pattern at every grid point, row {@code r} from the top. */
    private static int[][] patterns(Layer model, Dataset d, int grid) {
        double[] b = box(d);
        int[][] out = new int[grid][grid];
        for (int r = 0; r < grid; r++) {
            for (int c = 0; c < grid; c++) {
                double x = b[0] + (c + 0.5) * (b[1] - b[0]) / grid;
                double y = b[3] - (r + 0.5) * (b[3] - b[2]) / grid;
                out[r][c] = Arrays.hashCode(Roll.activationPattern(model, Tensor.of(new float[] {(float) x, (float) y},
                        1, 2)));
            }
        }
        return out;
    }

    private static int distinct(int[][] pat) {
        Set<Integer> s = new HashSet<>();
        for (int[] row : pat) {
            for (int h : row) {
                s.add(h);
            }
        }
        return s.size();
    }

    /** Vanilla (left) and ROLL (right) regions side by side, with the data points on top. */
    private static void picture(Path file, Dataset d, int[][] left, int[][] right, int grid, int nLeft, int nRight)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        int scale = Math.max(1, 360 / grid);
        int side = grid * scale;
        int top = 28;
        BufferedImage img = new BufferedImage(2 * side + 10, side + top, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        double[] b = box(d);
        double[] x = Repro.images(d).toDoubleArray();
        int[][][] panels = {left, right};
        String[] titles = {"vanilla: " + nLeft + " regions", "ROLL: " + nRight + " regions"};
        for (int p = 0; p < 2; p++) {
            int x0 = p * (side + 10);
            for (int r = 0; r < grid; r++) {
                for (int c = 0; c < grid; c++) {
                    g.setColor(colour(panels[p][r][c]));
                    g.fillRect(x0 + c * scale, top + r * scale, scale, scale);
                }
            }
            for (int i = 0; i < d.size(); i++) {
                int px = x0 + (int) ((x[2 * i] - b[0]) / (b[1] - b[0]) * side);
                int py = top + (int) ((b[3] - x[2 * i + 1]) / (b[3] - b[2]) * side);
                g.setColor(d.label(i) == 0 ? Color.BLACK : Color.WHITE);
                g.fillOval(px - 3, py - 3, 6, 6);
                g.setColor(Color.DARK_GRAY);
                g.drawOval(px - 3, py - 3, 6, 6);
            }
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(titles[p], x0 + 8, 20);
        }
        g.dispose();
        AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
    }

    /** A pastel colour from a pattern hash. */
    private static Color colour(int hash) {
        int h = hash * 0x9E3779B9;
        h ^= h >>> 15;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        float hue = (h & 0xFFFF) / 65536f;
        float sat = 0.35f + ((h >>> 16) & 0xFF) / 255f * 0.4f;
        float bri = 0.75f + ((h >>> 24) & 0x7F) / 127f * 0.25f;
        return Color.getHSBColor(hue, sat, bri);
    }
}
