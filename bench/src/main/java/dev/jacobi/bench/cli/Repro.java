package dev.jacobi.bench.cli;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Dataset;
import dev.jacobi.nn.Module;
import dev.jacobi.optim.Adam;
import dev.jacobi.regularizers.Attacks;
import dev.jacobi.train.Trainer;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;

/** Helpers shared by the reproductions: training, evaluation, statistics and number formatting. */
final class Repro {
    private Repro() {
    }

    /**
     * Trains {@code model} with Adam at {@code lr} for {@code epochs} epochs, {@code extra} adding terms to the builder.
     * Under a {@link Tracker} (a unit of {@code reproduce}) the steps are timed and shown, and the run stops when the
     * tracker says so, with {@link Tracker.Stopped}.
     */
    static Module train(Module model, Dataset data, int epochs, int batch, double lr, long seed,
            Consumer<Trainer.Builder> extra) throws IOException {
        Trainer.Builder b = Trainer.builder(model, new Adam(model.parameters(), lr)).rng(new Rng(seed));
        extra.accept(b);
        DataLoader loader = DataLoader.builder(data, batch).seed(seed).build();
        Tracker t = Tracker.current();
        if (t != null) {
            b.listener(t.listener(t.unit(), epochs, loader.batchesPerEpoch())).stopWhen(t::shouldStop);
        }
        Trainer trainer = b.build();
        trainer.fit(loader::epoch, epochs);
        if (trainer.stopped()) {
            throw new Tracker.Stopped(t.stopReason());
        }
        model.eval();
        return model;
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

    /** Clean accuracy of {@code model} on {@code d}. */
    static double accuracy(Module model, Dataset d) {
        model.eval();
        return Attacks.accuracy(model, images(d), d.labels());
    }

    /** Accuracy under PGD-ℓ2 of radius {@code eps} with {@code steps} steps (accuracy itself at {@code eps = 0}). */
    static double pgdAccuracy(Module model, Tensor x, int[] y, double eps, int steps, long seed) {
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
    static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
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
    static java.util.Map<String, Object> map(Object... kv) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Runs {@code body} without recording a graph. */
    static <T> T noGrad(java.util.function.Supplier<T> body) {
        try (var ignored = Autodiff.noGrad()) {
            return body.get();
        }
    }
}
