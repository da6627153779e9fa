package dev.jacobi.sweep;

import dev.jacobi.cli.reproduce.Repro;
import dev.jacobi.cli.run.Outputs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The results of a sweep: {@code results.parquet} (one row per point: its axis values, status, error, seconds,
 * where it ran, its command and every number it measured), {@code results.md} (the metrics per configuration as
 * mean ± standard deviation over the seeds, then every point) and a PNG plot of each main metric against λ (or
 * the first numeric axis), one line per configuration of the other axes.
 */
final class SweepReport {
    private SweepReport() {
    }

    /** The metrics of the summary table and the plots: accuracy, PGD-ℓ2 and certified accuracy, the bound. */
    static boolean headline(String metric) {
        return metric.equals("test_accuracy") || metric.startsWith("pgd_l2_accuracy@")
                || metric.startsWith("certified_l2_accuracy@") || metric.equals("lipschitz_upper_bound");
    }

    static void write(Grid g, Map<String, Map<String, Object>> points, Path dir, String master, SparkSession spark)
            throws IOException {
        List<String> metrics = metrics(points);
        parquet(g, points, metrics, dir.resolve("results.parquet"), spark);
        StringBuilder md = new StringBuilder("# Sweep: " + g.name() + "\n\n");
        long failed = points.values().stream().filter(p -> "failed".equals(p.get("status"))).count();
        md.append(String.format(Locale.ROOT, "%d points (%s): %d finished, %d failed%s; Spark master %s; %s UTC.%n%n",
                g.points().size(), axesText(g), points.size() - failed, failed, points.size() < g.points().size()
                        ? ", " + (g.points().size() - points.size()) + " not run yet" : "", master,
                java.time.LocalDateTime.now(java.time.ZoneOffset.UTC).withNano(0)));
        List<String> groupAxes = g.axes().keySet().stream().filter(a -> !a.equals("seed")).toList();
        List<String> shown = metrics.stream().filter(SweepReport::headline).toList();
        Map<String, List<Map<String, Object>>> groups = groups(g, points, groupAxes);
        if (!shown.isEmpty()) {
            md.append("## Per configuration (mean ± std over ").append(g.axes().containsKey("seed") ? "seeds"
                    : "points").append(")\n\n");
            List<String> header = new ArrayList<>(groupAxes);
            header.add("finished");
            header.addAll(shown);
            List<List<String>> rows = new ArrayList<>();
            for (List<Map<String, Object>> members : groups.values()) {
                List<String> row = new ArrayList<>();
                for (String a : groupAxes) {
                    row.add(String.valueOf(values(members.get(0)).get(a)));
                }
                List<Map<String, Object>> ok = members.stream().filter(p -> "ok".equals(p.get("status"))).toList();
                row.add(ok.size() + "/" + members.size());
                for (String m : shown) {
                    double[] v = numbers(ok, m);
                    row.add(v.length == 0 ? "—" : String.format(Locale.ROOT, "%.4g ± %.2g", Repro.mean(v),
                            Repro.std(v)));
                }
                rows.add(row);
            }
            md.append(Outputs.table(header, rows)).append('\n');
            md.append(plots(g, groups, shown, dir));
        }
        md.append("## Every point\n\n");
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : points.entrySet()) {
            Map<String, Object> p = e.getValue();
            Object acc = p.get("result") instanceof Map<?, ?> r ? r.get("test_accuracy") : null;
            rows.add(List.of(e.getKey(), String.valueOf(p.get("status")),
                    acc instanceof Number a ? String.format(Locale.ROOT, "%.2f%%", 100 * a.doubleValue()) : "—",
                    String.format(Locale.ROOT, "%.1f", ((Number) p.get("seconds")).doubleValue()),
                    String.valueOf(p.get("where")), p.get("error") == null ? ""
                            : String.valueOf(p.get("error")).replace("|", "\\|")));
        }
        md.append(Outputs.table(List.of("point", "status", "test accuracy", "seconds", "where", "error"), rows));
        Grid.Point first = g.points().get(0);
        md.append("\nEach point is the same work as its command, e.g. ").append(first.id()).append(":\n\n    ")
                .append(first.command()).append("\n\nEvery number of every point is in `results.parquet` and in"
                        + " `points/ID.json`.\n");
        Outputs.text(dir.resolve("results.md"), md.toString());
    }

    /** The numeric metrics of the finished points, in the order they first appear. */
    private static List<String> metrics(Map<String, Map<String, Object>> points) {
        Set<String> names = new LinkedHashSet<>();
        for (Map<String, Object> p : points.values()) {
            if (p.get("result") instanceof Map<?, ?> r) {
                r.keySet().forEach(k -> names.add(String.valueOf(k)));
            }
        }
        return new ArrayList<>(names);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> values(Map<String, Object> point) {
        return (Map<String, Object>) point.get("values");
    }

    /** The points by their values on {@code axes} (all but the seed), in grid order. */
    private static Map<String, List<Map<String, Object>>> groups(Grid g, Map<String, Map<String, Object>> points,
                                                                  List<String> axes) {
        Map<String, List<Map<String, Object>>> groups = new LinkedHashMap<>();
        for (Grid.Point p : g.points()) {
            Map<String, Object> file = points.get(p.id());
            if (file == null) {
                continue;
            }
            List<String> key = new ArrayList<>();
            for (String a : axes) {
                key.add(a + "=" + p.values().get(a));
            }
            groups.computeIfAbsent(String.join(", ", key), k -> new ArrayList<>()).add(file);
        }
        return groups;
    }

    private static double[] numbers(List<Map<String, Object>> points, String metric) {
        List<Double> v = new ArrayList<>();
        for (Map<String, Object> p : points) {
            if (p.get("result") instanceof Map<?, ?> r && r.get(metric) instanceof Number x) {
                v.add(x.doubleValue());
            }
        }
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String axesText(Grid g) {
        List<String> parts = new ArrayList<>();
        g.axes().forEach((a, v) -> parts.add(v.size() + " " + a));
        return String.join(" × ", parts);
    }

    /**
     * One plot per metric against λ (or the first axis but the seed whose values are all numbers), a line per
     * configuration of the other axes, with the standard deviation over the seeds as error bars; markdown links to
     * them, or a line saying why there are none.
     */
    private static String plots(Grid g, Map<String, List<Map<String, Object>>> groups, List<String> metrics,
                                Path dir) throws IOException {
        String x = g.axes().containsKey("lambda") ? "lambda" : g.axes().entrySet().stream()
                .filter(e -> !e.getKey().equals("seed") && e.getValue().size() > 1
                        && e.getValue().stream().allMatch(v -> v instanceof Number))
                .map(Map.Entry::getKey).findFirst().orElse(null);
        if (x == null) {
            return "No plot: no axis but the seed has several numeric values.\n\n";
        }
        StringBuilder md = new StringBuilder();
        boolean logX = g.axes().get(x).stream().allMatch(v -> v instanceof Number n && n.doubleValue() > 0);
        for (String m : metrics) {
            Map<String, List<double[]>> lines = new LinkedHashMap<>();
            for (List<Map<String, Object>> members : groups.values()) {
                Map<String, Object> vals = values(members.get(0));
                List<String> label = new ArrayList<>();
                vals.forEach((a, v) -> {
                    if (!a.equals(x) && !a.equals("seed")) {
                        label.add(a + "=" + v);
                    }
                });
                double[] v = numbers(members.stream().filter(p -> "ok".equals(p.get("status"))).toList(), m);
                if (v.length > 0 && vals.get(x) instanceof Number xv) {
                    lines.computeIfAbsent(label.isEmpty() ? m : String.join(", ", label), k -> new ArrayList<>())
                            .add(new double[] {xv.doubleValue(), Repro.mean(v), Repro.std(v)});
                }
            }
            if (lines.isEmpty()) {
                continue;
            }
            Map<String, double[][]> series = new LinkedHashMap<>();
            lines.forEach((k, pts) -> {
                pts.sort((a, b) -> Double.compare(a[0], b[0]));
                double[][] s = new double[3][pts.size()];
                for (int i = 0; i < pts.size(); i++) {
                    s[0][i] = pts.get(i)[0];
                    s[1][i] = pts.get(i)[1];
                    s[2][i] = pts.get(i)[2];
                }
                series.put(k, s);
            });
            String file = "plot-" + m.replaceAll("[^A-Za-z0-9._-]+", "-") + ".png";
            Outputs.lineChart(dir.resolve(file), m + " against " + x + " (" + g.name() + ")", x, m, series, logX);
            md.append("![").append(m).append("](").append(file).append(")\n");
        }
        return md.append('\n').toString();
    }

    /** One row per point: axis values, status, error, seconds, where, command, then every metric. */
    private static void parquet(Grid g, Map<String, Map<String, Object>> points, List<String> metrics, Path file,
                                SparkSession spark) {
        StructType schema = new StructType().add("id", DataTypes.StringType, false);
        List<String> axes = new ArrayList<>(g.axes().keySet());
        List<DataType> axisTypes = new ArrayList<>();
        for (String a : axes) {
            DataType t = type(g.axes().get(a));
            axisTypes.add(t);
            schema = schema.add(a, t);
        }
        schema = schema.add("status", DataTypes.StringType).add("error", DataTypes.StringType)
                .add("seconds", DataTypes.DoubleType).add("where", DataTypes.StringType)
                .add("command", DataTypes.StringType);
        List<DataType> metricTypes = new ArrayList<>();
        for (String m : metrics) {
            List<Object> vs = new ArrayList<>();
            for (Map<String, Object> p : points.values()) {
                if (p.get("result") instanceof Map<?, ?> r && r.get(m) != null) {
                    vs.add(r.get(m));
                }
            }
            DataType t = vs.stream().allMatch(v -> v instanceof Number) ? DataTypes.DoubleType : DataTypes.StringType;
            metricTypes.add(t);
            schema = schema.add(m, t);
        }
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : points.entrySet()) {
            Map<String, Object> p = e.getValue();
            List<Object> row = new ArrayList<>(List.of(e.getKey()));
            for (int i = 0; i < axes.size(); i++) {
                row.add(cell(values(p).get(axes.get(i)), axisTypes.get(i)));
            }
            row.add(p.get("status"));
            row.add(p.get("error"));
            row.add(((Number) p.get("seconds")).doubleValue());
            row.add(p.get("where"));
            row.add(p.get("command"));
            Map<?, ?> r = p.get("result") instanceof Map<?, ?> m ? m : Map.of();
            for (int i = 0; i < metrics.size(); i++) {
                row.add(cell(r.get(metrics.get(i)), metricTypes.get(i)));
            }
            rows.add(RowFactory.create(row.toArray()));
        }
        spark.createDataFrame(rows, schema).coalesce(1).write().mode("overwrite").parquet(file.toAbsolutePath()
                .toString());
    }

    private static DataType type(List<Object> values) {
        if (values.stream().allMatch(v -> v instanceof Integer || v instanceof Long)) {
            return DataTypes.LongType;
        }
        return values.stream().allMatch(v -> v instanceof Number) ? DataTypes.DoubleType : DataTypes.StringType;
    }

    private static Object cell(Object v, DataType t) {
        if (v == null) {
            return null;
        }
        if (t == DataTypes.LongType) {
            return ((Number) v).longValue();
        }
        if (t == DataTypes.DoubleType) {
            return ((Number) v).doubleValue();
        }
        return v instanceof List<?> l ? String.join("+", l.stream().map(String::valueOf).toList()) : String.valueOf(v);
    }
}
