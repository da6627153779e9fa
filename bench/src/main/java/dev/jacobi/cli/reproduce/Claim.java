package dev.jacobi.cli.reproduce;

import dev.jacobi.cli.run.Outputs;
import dev.jacobi.cli.run.Runs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * One claim of a paper that a reproduction tests, fixed before it runs: what the paper says (with its numbers and
 * their source), the CPU-scale version measured here, and the pass band. The band comes from the paper's effect and
 * is never widened after a run. A claim is reproduced only if the mean over seeds minus one standard deviation is at
 * least {@code lo} and the mean plus one standard deviation is at most {@code hi}.
 *
 * @param id         short name, e.g. {@code margin-ratio}
 * @param statement  the CPU-scale claim, in a sentence
 * @param paperValue the paper's number or effect, with its source (table, figure, repository)
 * @param lo         the band's lower end ({@code -∞} for none)
 * @param hi         the band's upper end ({@code +∞} for none)
 * @param metric     the measured value of one seed, from that seed's units
 */
record Claim(String id, String statement, String paperValue, double lo, double hi, ToDoubleFunction<Seed> metric) {
    /** The finished units of one seed: {@code get("mnist-roll")} is unit {@code mnist-roll-seedK}. */
    record Seed(Map<String, Map<String, Object>> results, int seed) {
        Map<String, Object> get(String config) {
            Map<String, Object> r = results.get(config + "-seed" + seed);
            if (r == null) {
                throw new IllegalArgumentException("claim: no unit '" + config + "-seed" + seed + "' among "
                        + results.keySet());
            }
            return r;
        }

        double num(String config, String key) {
            return Runs.num(get(config), key);
        }
    }

    /** The band as text, e.g. {@code ≥ 5} or {@code [1.6, 2.2]}. */
    String band() {
        if (Double.isInfinite(hi)) {
            return "≥ " + fmt(lo);
        }
        if (Double.isInfinite(lo)) {
            return "≤ " + fmt(hi);
        }
        return "[" + fmt(lo) + ", " + fmt(hi) + "]";
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }

    /**
     * The measured values over {@code seeds}, their mean and standard deviation (sample, 0 for one seed), and the
     * verdict.
     */
    Map<String, Object> evaluate(Map<String, Map<String, Object>> results, int seeds) {
        List<Double> values = new ArrayList<>();
        for (int s = 0; s < seeds; s++) {
            values.add(metric.applyAsDouble(new Seed(results, s)));
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        double mean = Repro.mean(v);
        double std = Repro.std(v);
        boolean ok = mean - std >= lo && mean + std <= hi;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("statement", statement);
        m.put("paper_value", paperValue);
        m.put("band", band());
        m.put("values", values);
        m.put("mean", mean);
        m.put("std", std);
        m.put("verdict", ok ? "reproduced" : "not reproduced");
        return m;
    }

    /** The overall verdict of evaluated claims: all, none or some of them reproduced. */
    static String verdict(List<Map<String, Object>> evaluated) {
        long ok = evaluated.stream().filter(c -> "reproduced".equals(c.get("verdict"))).count();
        return ok == evaluated.size() ? "reproduced" : ok == 0 ? "not reproduced" : "partly";
    }

    /** The markdown table of evaluated claims. */
    static String table(List<Map<String, Object>> evaluated) {
        List<List<String>> rows = new ArrayList<>();
        for (Map<String, Object> c : evaluated) {
            rows.add(List.of((String) c.get("id"), (String) c.get("statement"), (String) c.get("paper_value"),
                    (String) c.get("band"), fmt((double) c.get("mean")) + " ± " + fmt((double) c.get("std")),
                    (String) c.get("verdict")));
        }
        return Outputs.table(List.of("claim", "CPU-scale claim", "paper", "band", "ours (mean ± std)", "verdict"),
                rows);
    }
}
