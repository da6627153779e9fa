package dev.jacobi.cli.run;

import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;

/**
 * JMH's own output, unchanged (it prints every iteration and "# Run progress: … ETA …" lines, on a terminal or not),
 * with its events also written to the tracker's {@code log.jsonl}: each benchmark's start, every iteration's score,
 * each benchmark's result, and JMH's first ETA as the estimate that the last line compares with the actual time.
 */
public final class BenchLog implements OutputFormat {
    private static final Pattern ETA = Pattern.compile("ETA (\\d+):(\\d\\d):(\\d\\d)");
    private final OutputFormat out;
    private final Tracker t;
    private boolean estimated;

    public BenchLog(OutputFormat out, Tracker t) {
        this.out = out;
        this.t = t;
    }

    private static Map<String, Object> params(BenchmarkParams p) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k : p.getParamsKeys()) {
            m.put(k, p.getParam(k));
        }
        return m;
    }

    @Override
    public void iteration(BenchmarkParams b, IterationParams i, int n) {
        out.iteration(b, i, n);
    }

    @Override
    public void iterationResult(BenchmarkParams b, IterationParams i, int n, IterationResult r) {
        out.iterationResult(b, i, n, r);
        t.event("iteration", "benchmark", b.getBenchmark(), "params", params(b), "kind", i.getType().toString(),
                "iteration", n, "score", r.getPrimaryResult().getScore(), "unit", r.getScoreUnit());
    }

    @Override
    public void startBenchmark(BenchmarkParams b) {
        out.startBenchmark(b);
        t.event("benchmark_start", "benchmark", b.getBenchmark(), "params", params(b));
    }

    @Override
    public void endBenchmark(BenchmarkResult r) {
        out.endBenchmark(r);
        t.event("benchmark_end", "benchmark", r.getParams().getBenchmark(), "params", params(r.getParams()),
                "score", r.getPrimaryResult().getScore(), "error", r.getPrimaryResult().getScoreError(),
                "unit", r.getPrimaryResult().getScoreUnit());
    }

    @Override
    public void startRun() {
        out.startRun();
    }

    @Override
    public void endRun(Collection<RunResult> results) {
        out.endRun(results);
    }

    @Override
    public void print(String s) {
        out.print(s);
    }

    @Override
    public void println(String s) {
        out.println(s);
        Matcher m = ETA.matcher(s);
        if (!estimated && s.startsWith("# Run progress") && m.find()) {
            estimated = true;
            double left = Integer.parseInt(m.group(1)) * 3600 + Integer.parseInt(m.group(2)) * 60
                    + Integer.parseInt(m.group(3));
            t.estimate(left, "JMH's schedule of warm-up and measurement iterations");
        }
    }

    @Override
    public void flush() {
        out.flush();
    }

    @Override
    public void close() {
        out.close();
    }

    @Override
    public void verbosePrintln(String s) {
        out.verbosePrintln(s);
    }

    @Override
    public void write(int b) {
        out.write(b);
    }

    @Override
    public void write(byte[] b) throws IOException {
        out.write(b);
    }
}
