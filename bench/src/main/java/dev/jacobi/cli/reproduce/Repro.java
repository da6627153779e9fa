package dev.jacobi.cli.reproduce;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.cli.run.Runs;
import dev.jacobi.cli.run.Tracker;
import dev.jacobi.cli.spec.Data;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Dataset;
import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.optim.Adam;
import dev.jacobi.optim.LRScheduler;
import dev.jacobi.optim.Optimizer;
import dev.jacobi.optim.SGD;
import dev.jacobi.regularizers.attacks.Attacks;
import dev.jacobi.train.TrainListener;
import dev.jacobi.train.Trainer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** Helpers shared by the reproductions: training, evaluation, statistics and number formatting. */
public final class Repro {
    private Repro() {
    }

    /**
     * Trains {@code model} with Adam at {@code lr} for {@code epochs} epochs, {@code extra} adding terms to the builder.
     * Under a {@link Tracker} (a unit of {@code reproduce}) the steps are timed and shown, and the run stops when the
     * tracker says so, with {@link Tracker.Stopped}.
     */
    static Layer train(Layer model, Dataset data, int epochs, int batch, double lr, long seed,
            Consumer<Trainer.Builder> extra) throws IOException {
        return fit(model, data, Recipe.adam(epochs, batch, lr), seed, extra).model();
    }

    /**
     * How a reproduction trains: the optimizer (made from the model's parameters), its per-epoch learning-rate
     * schedule (or none), the epochs, the batch size and, optionally, a validation set on which the best epoch is
     * chosen: the weights of the epoch with the lowest validation cross-entropy are kept, as in Lee et al.'s code.
     */
    record Recipe(int epochs, int batch, Function<List<Parameter>, Optimizer> optimizer,
                  Function<Optimizer, LRScheduler> schedule, Dataset validation,
                  ToDoubleFunction<Layer> validationPenalty) {
        /** Adam at {@code lr}, constant. */
        static Recipe adam(int epochs, int batch, double lr) {
            return new Recipe(epochs, batch, p -> new Adam(p, lr), null, null, null);
        }

        /** SGD at {@code lr} with {@code momentum} (Nesterov or not) and L2 {@code weightDecay}, constant. */
        static Recipe sgd(int epochs, int batch, double lr, double momentum, boolean nesterov, double weightDecay) {
            return new Recipe(epochs, batch, p -> new SGD(p, lr, momentum, 0, weightDecay, nesterov), null, null,
                    null);
        }

        /** This recipe with a learning-rate schedule, stepped once per epoch. */
        Recipe schedule(Function<Optimizer, LRScheduler> s) {
            return new Recipe(epochs, batch, optimizer, s, validation, validationPenalty);
        }

        /** This recipe keeping the weights of the epoch with the lowest cross-entropy on {@code val}. */
        Recipe validation(Dataset val) {
            return new Recipe(epochs, batch, optimizer, schedule, val, null);
        }

        /**
         * This recipe keeping the weights of the epoch with the lowest cross-entropy plus {@code penalty} (of the
         * model, on {@code val}, e.g. {@code λ·R}) on {@code val}, as Lee et al.'s code selects ROLL models.
         */
        Recipe validation(Dataset val, ToDoubleFunction<Layer> penalty) {
            return new Recipe(epochs, batch, optimizer, schedule, val, penalty);
        }
    }

    /**
     * A trained model (in eval mode).
     *
     * @param model          the model, with the best epoch's weights when the recipe has a validation set
     * @param bestEpoch      the epoch kept (1-based; the last one without a validation set)
     * @param validationLoss its mean validation cross-entropy (NaN without a validation set)
     */
    record Trained(Layer model, int bestEpoch, double validationLoss) {
    }

    /**
     * Trains {@code model} on {@code data} by {@code recipe}, {@code extra} adding regularizers, constraints or a loss
     * to the builder. Under a {@link Tracker} (a unit of {@code reproduce}) the steps are timed and shown, and the run
     * stops when the tracker says so, with {@link Tracker.Stopped}.
     */
    static Trained fit(Layer model, Dataset data, Recipe recipe, long seed, Consumer<Trainer.Builder> extra)
            throws IOException {
        Optimizer opt = recipe.optimizer().apply(model.parameters());
        Trainer.Builder b = Trainer.builder(model, opt).rng(new Rng(seed));
        if (recipe.schedule() != null) {
            b.scheduler(recipe.schedule().apply(opt));
        }
        extra.accept(b);
        DataLoader loader = DataLoader.builder(data, recipe.batch()).seed(seed).build();
        Tracker t = Tracker.current();
        List<TrainListener> listeners = new ArrayList<>();
        if (t != null) {
            listeners.add(t.listener(t.unit(), recipe.epochs(), loader.batchesPerEpoch()));
            b.stopWhen(t::shouldStop);
        }
        double[] best = {Double.POSITIVE_INFINITY, recipe.epochs()};
        Map<String, Tensor> bestWeights = new LinkedHashMap<>();
        if (recipe.validation() != null) {
            DataLoader val = DataLoader.builder(recipe.validation(), 500).shuffle(false).build();
            listeners.add(new TrainListener() {
                @Override
                public void onEpochEnd(Epoch e) {
                    double loss = Trainer.evaluate(model, val).meanLoss();
                    if (recipe.validationPenalty() != null) {
                        boolean training = model.isTraining();
                        model.eval();
                        loss += recipe.validationPenalty().applyAsDouble(model);
                        model.train(training);
                    }
                    if (loss < best[0]) {
                        best[0] = loss;
                        best[1] = e.epoch() + 1;
                        model.stateDict().forEach((k, v) -> bestWeights.put(k, Tensor.of(v.toFloatArray(),
                                v.shape())));
                    }
                }
            });
        }
        b.listener(new TrainListener() {
            @Override
            public void onStep(Step s) {
                listeners.forEach(l -> l.onStep(s));
            }

            @Override
            public void onEpochEnd(Epoch e) {
                listeners.forEach(l -> l.onEpochEnd(e));
            }
        });
        Trainer trainer = b.build();
        trainer.fit(loader::epoch, recipe.epochs());
        if (trainer.stopped()) {
            throw new Tracker.Stopped(t.stopReason());
        }
        if (!bestWeights.isEmpty()) {
            model.loadStateDict(bestWeights, true);
        }
        model.eval();
        return new Trained(model, (int) best[1], recipe.validation() == null ? Double.NaN : best[0]);
    }

    /**
     * {@code d} standardised, {@code (x - mean) / std} on every value, as the papers' loaders do with
     * {@code Normalize((0.1307,), (0.3081,))} for MNIST.
     */
    static Dataset standardise(Dataset d, double mean, double std) {
        float[] x = images(d).toFloatArray();
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((x[i] - mean) / std);
        }
        return Dataset.ofFloats(x, d.sampleShape(), d.labels(), d.numClasses());
    }

    /**
     * MNIST for a reproduction: the official 60,000 + 10,000 images from the data path in full mode, the bundled
     * 10,000-image subset (8,000 train + 2,000 test) in the --quick smoke test, so that it runs on a fresh clone.
     */
    static Split mnist(boolean quick) throws IOException {
        return quick ? Datasets.bundledMnistSplit() : load("mnist");
    }

    private static final Map<String, Split> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

    /** A named set from the data path ({@link Data#load}), read once per process. */
    static Split load(String name) throws IOException {
        Split s = LOADED.get(name);
        if (s == null) {
            s = Data.load(name);
            LOADED.put(name, s);
        }
        return s;
    }

    /** The optimizer steps of {@link #train} on {@code n} examples: {@code epochs · ⌈n / batch⌉}. */
    static long steps(int n, int batch, int epochs) {
        return (long) epochs * ((n + batch - 1) / batch);
    }

    /**
     * A compared method of a reproduction.
     *
     * @param id    its name in unit ids ({@code [a-z0-9-]+})
     * @param label its name in the report
     * @param setup what it adds to the trainer; it must make new regularizers and constraints on every call, so that
     *     runs share no state
     */
    record Method(String id, String label, Consumer<Trainer.Builder> setup) {
    }

    /** All samples of {@code d} as one tensor {@code [N, …]}. */
    static Tensor images(Dataset d) {
        int[] idx = new int[d.size()];
        Arrays.setAll(idx, i -> i);
        return d.images(idx);
    }

    /** Clean accuracy of {@code model} on {@code d}, 500 images at a time (a whole test set at once can need GBs). */
    public static double accuracy(Layer model, Dataset d) {
        model.eval();
        long ok = 0;
        for (int from = 0; from < d.size(); from += 500) {
            int start = from;
            int[] idx = new int[Math.min(500, d.size() - start)];
            Arrays.setAll(idx, i -> start + i);
            ok += Math.round(Attacks.accuracy(model, d.images(idx), d.subset(idx).labels()) * idx.length);
        }
        return (double) ok / d.size();
    }

    /** Accuracy under PGD-ℓ2 of radius {@code eps} with {@code steps} steps (accuracy itself at {@code eps = 0}). */
    public static double pgdAccuracy(Layer model, Tensor x, int[] y, double eps, int steps, long seed) {
        model.eval();
        if (eps == 0) {
            return Attacks.accuracy(model, x, y);
        }
        Tensor adv = Attacks.pgd(model, x, y, Attacks.Pgd.l2(eps, steps).withSeed(seed));
        return Attacks.accuracy(model, adv, y);
    }

    /** The {@code q}-quantile ({@code 0 ≤ q ≤ 1}) of {@code v} by linear interpolation. */
    static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }

    /** The mean of {@code v}. */
    public static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    /** The sample standard deviation of {@code v} (0 for fewer than two values). */
    public static double std(double[] v) {
        double mean = mean(v);
        double var = 0;
        for (double x : v) {
            var += (x - mean) * (x - mean);
        }
        return v.length > 1 ? Math.sqrt(var / (v.length - 1)) : 0;
    }

    /** A percentage with one decimal, e.g. {@code 97.3%}. */
    static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
    }

    /** A number with 3 significant digits. */
    static String num(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }

    /** An insertion-ordered map from alternating keys and values, for {@code results.json}. */
    public static java.util.Map<String, Object> map(Object... kv) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Runs {@code body} without recording a graph. */
    public static <T> T noGrad(java.util.function.Supplier<T> body) {
        try (var ignored = Autodiff.noGrad()) {
            return body.get();
        }
    }
}
