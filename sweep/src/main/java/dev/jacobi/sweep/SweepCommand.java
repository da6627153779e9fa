package dev.jacobi.sweep;

import dev.jacobi.cli.Subcommand;
import dev.jacobi.cli.run.Json;
import dev.jacobi.cli.run.Outputs;
import dev.jacobi.cli.run.Runs;
import dev.jacobi.cli.run.TaskEngine;
import dev.jacobi.cli.run.Tracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jacobi sweep GRID}: every point of a grid ({@link Grid}) trained and evaluated as one Apache Spark task,
 * locally by default. Each finished point is kept at once in {@code OUT/points/ID.json}, so a sweep started again
 * skips the points that have results; the results go to {@code OUT/results.parquet}, {@code OUT/results.md} and PNG
 * plots of each metric against λ.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train and evaluate every point of a grid (a YAML or JSON file: a base 'train' configuration and"
                + " axes to vary) as Apache Spark tasks, on this machine (local[*]) or a cluster. Writes"
                + " OUT/results.parquet, OUT/results.md and plots of each metric against lambda; each finished point is"
                + " kept in OUT/points/, so the same command continues an interrupted sweep.",
        footer = {"%nExamples:",
                "  jacobi sweep examples/sweeps/penalties-tiny.yaml                      on this machine",
                "  jacobi sweep grid.yaml --master local[4] --threads 2                  4 tasks at once, 2 threads each",
                "  jacobi sweep grid.yaml --master spark://head:7077 --threads 4 --out /shared/sweeps/grid",
                "%nA point's tasks set their kernel threads with --threads: by default the cores divided among the"
                        + " tasks that run at once (local[N]: N), or 1 on a cluster, where --threads also sets"
                        + " spark.task.cpus. On a cluster, --out and the data path (JACOBI_DATA) must be paths every"
                        + " machine sees.",
                "%nExit codes: 0 every point finished, 1 some point failed (its error is in results.md), 3 stopped at"
                        + " --max-minutes, 130/143 stopped by Ctrl-C/SIGTERM (the finished points are kept)."})
public final class SweepCommand implements Callable<Integer>, Subcommand {
    @Parameters(index = "0", paramLabel = "GRID", description = "the grid file (YAML or JSON)")
    Path grid;

    @Option(names = "--master", paramLabel = "URL", defaultValue = "local[*]", description = "Spark master:"
            + " local[*], local[N], spark://HOST:PORT or k8s://... (default: ${DEFAULT-VALUE})")
    String master;

    @Option(names = "--threads", paramLabel = "N", description = "kernel threads per task (default: the cores"
            + " divided among the tasks that run at once; 1 on a cluster)")
    Integer threads;

    @Option(names = "--out", paramLabel = "DIR", description = "output directory (default: jacobi-out/sweep/NAME)")
    Path out;

    @Option(names = "--fresh", description = "recompute every point, even those an earlier sweep in OUT finished")
    boolean fresh;

    @Option(names = "--retry-failed", description = "run the points that failed in an earlier sweep again")
    boolean retryFailed;

    @Option(names = "--max-minutes", paramLabel = "N", description = "stop after N minutes, keeping the finished"
            + " points (default: no limit); the same command runs the others")
    double maxMinutes;

    @Override
    public Object command() {
        return this;
    }

    @Override
    public Integer call() throws IOException {
        Grid g = Grid.load(grid);
        Path dir = out != null ? out : Path.of("jacobi-out", "sweep", g.name());
        SparkEngine.threadsPerTask(master, threads, 1); // a bad --threads fails before Spark starts
        Tracker t = Tracker.console("sweep " + g.name(), dir.resolve("log.jsonl"), maxMinutes).install();
        try (Tracker.Signals ignored = t.trapSignals()) {
            Map<String, Map<String, Object>> done = run(g, dir, t);
            long failed = done.values().stream().filter(p -> "failed".equals(p.get("status"))).count();
            t.say(String.format(Locale.ROOT, "sweep %s: %d points, %d finished, %d failed; results in %s", g.name(),
                    g.points().size(), done.size() - failed, failed, dir.resolve("results.md")));
            if (done.size() < g.points().size()) {
                t.say(String.format(Locale.ROOT, "sweep %s: %s with %d of %d points left to run; the finished ones are"
                        + " kept in %s, and the same command runs the others", g.name(), t.stopReason(),
                        g.points().size() - done.size(), g.points().size(), dir.resolve("points")));
            }
            t.say(t.finishLine());
            return done.size() < g.points().size() ? t.exitCode() : failed == 0 ? 0 : 1;
        } finally {
            t.close();
        }
    }

    /**
     * Runs the points of {@code g} that {@code dir} holds no result for, keeping each as it finishes, then writes
     * the report; returns every point's file by id, in grid order.
     */
    Map<String, Map<String, Object>> run(Grid g, Path dir, Tracker t) throws IOException {
        Path points = dir.resolve("points");
        if (fresh) {
            Runs.deleteTree(points);
        }
        Files.createDirectories(points);
        Map<String, Map<String, Object>> done = new LinkedHashMap<>();
        List<TaskEngine.Task> tasks = new ArrayList<>();
        Map<String, Grid.Point> byId = new LinkedHashMap<>();
        for (Grid.Point p : g.points()) {
            byId.put(p.id(), p);
            Map<String, Object> had = read(points, p);
            if (had != null && !(retryFailed && "failed".equals(had.get("status")))) {
                done.put(p.id(), had);
            } else {
                tasks.add(new TaskEngine.Task(p.id(), p.args(), points.resolve(p.id()).toAbsolutePath().toString()));
            }
        }
        int per = SparkEngine.threadsPerTask(master, threads, Math.max(1, tasks.size()));
        t.say(String.format(Locale.ROOT, "sweep %s: %d points%s; %d to run as Spark tasks on %s, %d kernel thread(s)"
                        + " each", g.name(), g.points().size(), done.isEmpty() ? "" : " (" + done.size()
                        + " finished by an earlier sweep in " + dir + " and reused; --fresh recomputes them)",
                tasks.size(), master, per));
        SparkEngine engine = new SparkEngine();
        try {
            engine.session(master, threads);
            double start = t.elapsedSeconds();
            int[] n = {0};
            engine.run(tasks, master, threads, o -> {
                Grid.Point p = byId.get(o.task().id());
                Map<String, Object> file = new LinkedHashMap<>();
                file.put("id", p.id());
                file.put("values", p.values());
                file.put("args", p.args());
                file.put("command", p.command());
                file.put("status", o.failed() ? "failed" : "ok");
                file.put("result", o.result());
                file.put("error", o.error());
                file.put("seconds", Math.round(o.seconds() * 10) / 10.0);
                file.put("where", o.where());
                try {
                    Outputs.json(points.resolve(p.id() + ".json"), file);
                    done.put(p.id(), read(points, p));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                n[0]++;
                double elapsed = t.elapsedSeconds() - start;
                int left = tasks.size() - n[0];
                t.say(String.format(Locale.ROOT, "[%d/%d] %s %s in %s%s; %s", n[0], tasks.size(), p.id(),
                        o.failed() ? "FAILED" : "finished", Tracker.duration(o.seconds()),
                        o.failed() ? ": " + o.error() : o.result().get("test_accuracy") instanceof Number a
                                ? String.format(Locale.ROOT, ", test accuracy %.2f%%", 100 * a.doubleValue()) : "",
                        left == 0 ? "all done" : "about " + Tracker.duration(elapsed / n[0] * left) + " left"));
            }, t::shouldStop);
            Map<String, Map<String, Object>> ordered = new LinkedHashMap<>();
            for (Grid.Point p : g.points()) {
                if (done.containsKey(p.id())) {
                    ordered.put(p.id(), done.get(p.id()));
                }
            }
            SweepReport.write(g, ordered, dir, master, engine.session(master, threads));
            return ordered;
        } finally {
            engine.stop();
        }
    }

    /** The file of point {@code p} from an earlier sweep, or null; one written for other settings is an error. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Path points, Grid.Point p) throws IOException {
        Path f = points.resolve(p.id() + ".json");
        if (!Files.exists(f)) {
            return null;
        }
        Object parsed = Json.parse(Files.readString(f), f.toString());
        if (!(parsed instanceof Map<?, ?> m) || !(m.get("args") instanceof List<?>)
                || !List.of("ok", "failed").contains(String.valueOf(m.get("status")))) {
            throw new IOException(f + ": not a finished point (want an object with \"args\" and \"status\" ok or"
                    + " failed); delete it or rerun with --fresh");
        }
        if (!Json.line(m.get("args")).equals(Json.line(p.args()))) {
            throw new IllegalArgumentException(f + " was written for other settings: " + Json.line(m.get("args"))
                    + ", not " + Json.line(p.args()) + "; rerun with --fresh to recompute it, or use another --out");
        }
        return (Map<String, Object>) m;
    }
}
