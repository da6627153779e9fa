package dev.jacobi.bench.cli;

import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.io.AtomicFiles;
import dev.jacobi.datasets.Dataset;
import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.datasets.Synthetic;
import dev.jacobi.nn.Module;
import dev.jacobi.regularizers.Roll;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
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
    private static final double[] PERCENTILES = {0.25, 0.5, 0.75, 1.0};

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

    @Override
    public int estimatedSeconds(boolean quick) {
        return quick ? 40 : 600;
    }

    @Override
    public Result run(boolean quick, Path outDir, PrintStream log) throws IOException {
        Map<String, Object> data = new LinkedHashMap<>();
        StringBuilder body = new StringBuilder();

        // --- 2-D toy: linear regions of vanilla and ROLL on moons
        Dataset moons = Synthetic.moons(200, 0.1, 1);
        int toyEpochs = quick ? 400 : 1500;
        log.println("roll: 2-D moons, " + toyEpochs + " full-batch steps each for vanilla and ROLL");
        Module toyVanilla = Repro.train(mlp(2, 32, 4, 2, 11), moons, toyEpochs, 200, 0.01, 1, b -> { });
        Module toyRoll = Repro.train(mlp(2, 32, 4, 2, 11), moons, toyEpochs, 200, 0.01, 1,
                b -> b.regularizer(TOY_LAMBDA, new Roll(TOY_C, Roll.Method.GRAM)));
        int grid = quick ? 120 : 240;
        int[][] patV = patterns(toyVanilla, moons, grid);
        int[][] patR = patterns(toyRoll, moons, grid);
        double[] toyMarginV = Roll.margins(toyVanilla, Repro.images(moons), 2).toDoubleArray();
        double[] toyMarginR = Roll.margins(toyRoll, Repro.images(moons), 2).toDoubleArray();
        double toyAccV = Repro.accuracy(toyVanilla, moons);
        double toyAccR = Repro.accuracy(toyRoll, moons);
        int regionsV = distinct(patV);
        int regionsR = distinct(patR);
        picture(outDir.resolve("regions.png"), moons, patV, patR, grid, regionsV, regionsR);

        body.append("## 2-D moons (200 points, MLP 2-32x4-2, ").append(toyEpochs).append(" Adam steps)\n\n")
                .append(Outputs.table(List.of("model", "train acc", "regions on the grid", "median margin",
                        "P25 margin"), List.of(
                        List.of("vanilla", Repro.pct(toyAccV), Integer.toString(regionsV),
                                Repro.num(Repro.quantile(toyMarginV, 0.5)), Repro.num(Repro.quantile(toyMarginV, 0.25))),
                        List.of("ROLL λ=" + TOY_LAMBDA + ", C=" + TOY_C, Repro.pct(toyAccR), Integer.toString(regionsR),
                                Repro.num(Repro.quantile(toyMarginR, 0.5)), Repro.num(Repro.quantile(toyMarginR, 0.25))))))
                .append("\n![linear regions, vanilla (left) and ROLL (right)](regions.png)\n\n")
                .append("Each colour is one activation pattern (one linear region) on a ").append(grid).append('x')
                .append(grid).append(" grid; dots are the training points.\n\n");
        data.put("toy", Repro.map("vanillaAccuracy", toyAccV, "rollAccuracy", toyAccR, "vanillaRegions", regionsV,
                "rollRegions", regionsR, "vanillaMedianMargin", Repro.quantile(toyMarginV, 0.5),
                "rollMedianMargin", Repro.quantile(toyMarginR, 0.5), "lambda", TOY_LAMBDA, "c", TOY_C));

        // --- MNIST: margin percentiles
        Split split = Datasets.bundledMnistSplit();
        int nTrain = quick ? 2000 : 8000;
        int width = quick ? 100 : 300;
        int epochs = quick ? 4 : 20;
        int nTest = quick ? 200 : 1000;
        Dataset train = nTrain < split.train().size() ? split.train().balancedSubset(nTrain, 3) : split.train();
        Dataset test = split.test().balancedSubset(nTest, 4);
        log.printf("roll: MNIST %d train, MLP 784-%dx4-10, %d epochs each%n", nTrain, width, epochs);
        Module vanilla = Repro.train(mlp(784, width, 4, 10, 21), train, epochs, 64, 1e-3, 2, b -> { });
        Module rolled = Repro.train(mlp(784, width, 4, 10, 21), train, epochs, 64, 1e-3, 2,
                b -> b.regularizer(MNIST_LAMBDA, new Roll(MNIST_C, Roll.Method.GRAM)));
        double accV = Repro.accuracy(vanilla, split.test());
        double accR = Repro.accuracy(rolled, split.test());
        double[] mV = Roll.margins(vanilla, Repro.images(test), 2).toDoubleArray();
        double[] mR = Roll.margins(rolled, Repro.images(test), 2).toDoubleArray();
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("paper vanilla (98%)", "—", new String[] {"—", "6e-4", "—", "—"}));
        rows.add(row("paper ROLL C=0.25 (98%)", "—", new String[] {"—", "9.2e-3", "—", "—"}));
        rows.add(row("ours vanilla", Repro.pct(accV), quantiles(mV)));
        rows.add(row("ours ROLL λ=" + MNIST_LAMBDA + ", C=" + MNIST_C, Repro.pct(accR), quantiles(mR)));
        double ratio = Repro.quantile(mR, 0.5) / Repro.quantile(mV, 0.5);
        body.append("## MNIST (bundled, ").append(nTrain).append(" train, ").append(nTest)
                .append(" test points for margins), MLP 784-").append(width).append("x4-10, ").append(epochs)
                .append(" epochs\n\n")
                .append(Outputs.table(List.of("model", "test acc", "P25 ε̂₂", "P50 ε̂₂", "P75 ε̂₂", "P100 ε̂₂"), rows))
                .append("\nMargins are exact l2 distances (pixel units, inputs in [0, 1]) to the boundary of each test"
                        + " point's linear region. Median ratio ROLL/vanilla: ").append(Repro.num(ratio))
                .append(" (paper: about 15).\n");
        data.put("mnist", Repro.map("train", nTrain, "width", width, "epochs", epochs, "vanillaAccuracy", accV,
                "rollAccuracy", accR, "vanillaMarginPercentiles", pcts(mV), "rollMarginPercentiles", pcts(mR),
                "percentiles", PERCENTILES, "medianRatio", ratio, "lambda", MNIST_LAMBDA, "c", MNIST_C));

        boolean bigger = ratio >= 5;
        boolean sameAcc = accR >= accV - 0.02;
        boolean toyGrows = Repro.quantile(toyMarginR, 0.5) > Repro.quantile(toyMarginV, 0.5);
        String verdict = bigger && sameAcc && toyGrows ? "yes" : ratio > 1 && (sameAcc || toyGrows) ? "partly" : "no";
        String reason = String.format(java.util.Locale.ROOT,
                "ROLL multiplies the median MNIST margin by %s (paper ~15) with test accuracy %s vs %s, and on moons "
                        + "the median margin goes %s -> %s with %d -> %d regions on the grid",
                Repro.num(ratio), Repro.pct(accR), Repro.pct(accV), Repro.num(Repro.quantile(toyMarginV, 0.5)),
                Repro.num(Repro.quantile(toyMarginR, 0.5)), regionsV, regionsR);
        return new Result(verdict, reason, body.toString(), data);
    }

    private static final double TOY_LAMBDA = 1;
    private static final double TOY_C = 1;
    private static final double MNIST_LAMBDA = 1;
    private static final double MNIST_C = 0.25;

    private static Module mlp(int in, int width, int depth, int classes, long seed) {
        return new ModelSpec("mlp", width, depth, new int[] {in}, classes).build(new Rng(seed));
    }

    private static List<String> row(String name, String acc, String[] q) {
        List<String> r = new ArrayList<>(List.of(name, acc));
        r.addAll(Arrays.asList(q));
        return r;
    }

    private static String[] quantiles(double[] m) {
        return Arrays.stream(pcts(m)).mapToObj(Repro::num).toArray(String[]::new);
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
    private static int[][] patterns(Module model, Dataset d, int grid) {
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
