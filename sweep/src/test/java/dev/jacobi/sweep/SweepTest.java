package dev.jacobi.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.cli.Cli;
import dev.jacobi.cli.run.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jacobi sweep} and {@code reproduce --sweep} on Spark's local master, on tiny grids of the bundled data. */
class SweepTest {
    /** Exit code and console output of one command line. */
    record Result(int code, String out) {
    }

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            PrintStream both = new PrintStream(buf, true, StandardCharsets.UTF_8);
            System.setOut(both);
            System.setErr(both);
            int code = Cli.run(args);
            return new Result(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.out.print(buf.toString(StandardCharsets.UTF_8));
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> point(Path out, String id) throws IOException {
        Path f = out.resolve("points").resolve(id + ".json");
        return (Map<String, Object>) Json.parse(Files.readString(f), f.toString());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> result(Path out, String id) throws IOException {
        Map<String, Object> p = point(out, id);
        assertEquals("ok", p.get("status"), id + ": " + p.get("error"));
        return (Map<String, Object>) p.get("result");
    }

    @Test
    void aPointGivesTheSameNumbersAloneInALocalSweepAndWithOtherParallelism(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("det.yaml");
        Files.writeString(file, """
                base: {model: mlp, width: 16, depth: 1, epochs: 1, batch: 256, penalty: grad-l2}
                eval: {eps: [1.0], linf-eps: [0.1], steps: 3, examples: 40}
                axes: {lambda: [0.01, 1], seed: [0, 1]}
                """);
        Grid g = Grid.load(file);
        assertEquals(4, g.points().size());
        Path one = dir.resolve("local1");
        Path two = dir.resolve("local2");
        assertEquals(0, run("sweep", file.toString(), "--master", "local[1]", "--out", one.toString()).code());
        Result r = run("sweep", file.toString(), "--master", "local[2]", "--out", two.toString());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("4 to run as Spark tasks on local[2]"), r.out());
        for (Grid.Point p : g.points()) {
            Map<String, Object> a = result(one, p.id());
            assertEquals(a, result(two, p.id()), p.id() + ": local[1] and local[2] differ");
            // alone: the point's own jacobi train and jacobi eval
            List<String> train = new ArrayList<>(p.args().subList(0, p.args().indexOf("&&")));
            Path alone = dir.resolve("alone").resolve(p.id());
            train.addAll(List.of("--out", alone.toString()));
            assertEquals(0, run(train.toArray(new String[0])).code());
            List<String> eval = new ArrayList<>(List.of("eval", "--model", alone.resolve("model.safetensors")
                    .toString(), "--json", alone.resolve("eval.json").toString()));
            eval.addAll(p.args().subList(p.args().indexOf("eval") + 1, p.args().size()));
            assertEquals(0, run(eval.toArray(new String[0])).code());
            assertArrayEquals(Files.readAllBytes(alone.resolve("model.safetensors")), Files.readAllBytes(
                    one.resolve("points").resolve(p.id()).resolve("model.safetensors")), p.id() + ": the models differ");
            Map<?, ?> byEval = (Map<?, ?>) Json.parse(Files.readString(alone.resolve("eval.json")), "eval.json");
            assertFalse(byEval.isEmpty());
            byEval.forEach((k, v) -> assertEquals(v, a.get(k), p.id() + ": " + k));
        }
        assertTrue(Files.exists(one.resolve("results.md")) && Files.exists(one.resolve("plot-test_accuracy.png")));
    }

    @Test
    void failedPointsAreRecordedAndTheSweepGoesOnAndResumes(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("faults.yaml");
        Files.writeString(file, """
                name: faults
                base: {model: mlp, width: 8, depth: 1, epochs: 1, batch: 256, optimizer: sgd}
                eval: false
                axes:
                  lr: [0.01, 1e30]
                  reg: [grad-l2=0.1, nonsense=1]
                """);
        Path out = dir.resolve("out");
        Result r = run("sweep", file.toString(), "--master", "local[2]", "--out", out.toString());
        assertEquals(1, r.code(), "a failed point makes the exit code 1");
        assertTrue(r.out().contains("4 points, 1 finished, 3 failed"), r.out());
        Map<String, Object> ok = result(out, "lr-0.01_reg-grad-l2-0.1");
        assertTrue(((Number) ok.get("test_accuracy")).doubleValue() > 0.2, ok.toString());
        Map<String, Object> nan = point(out, "lr-1000000000000000000000000000000_reg-grad-l2-0.1");
        assertEquals("failed", nan.get("status"));
        assertNull(nan.get("result"));
        assertTrue(String.valueOf(nan.get("error")).contains("non-finite loss"), nan.toString());
        Map<String, Object> bad = point(out, "lr-0.01_reg-nonsense-1");
        assertEquals("failed", bad.get("status"));
        assertTrue(String.valueOf(bad.get("error")).contains("unknown regularizer 'nonsense'"), bad.toString());
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("unknown regularizer 'nonsense'") && md.contains("| failed |"), md);
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            List<Row> rows = spark.read().parquet(out.resolve("results.parquet").toString()).orderBy("id")
                    .collectAsList();
            assertEquals(4, rows.size());
            Row first = rows.get(0);
            assertEquals("lr-0.01_reg-grad-l2-0.1", first.getAs("id"));
            assertEquals("ok", first.getAs("status"));
            assertEquals(0.01, (double) first.getAs("lr"));
            assertEquals(((Number) ok.get("test_accuracy")).doubleValue(), (double) first.getAs("test_accuracy"));
            assertEquals(3, rows.stream().filter(x -> "failed".equals(x.getAs("status"))).count());
        } finally {
            spark.stop();
        }

        // started again: every point has a result, so nothing runs; --retry-failed runs the failed ones only
        r = run("sweep", file.toString(), "--master", "local[2]", "--out", out.toString());
        assertTrue(r.out().contains("(4 finished by an earlier sweep") && r.out().contains("0 to run"), r.out());
        r = run("sweep", file.toString(), "--master", "local[2]", "--out", out.toString(), "--retry-failed");
        assertTrue(r.out().contains("(1 finished by an earlier sweep") && r.out().contains("3 to run"), r.out());
        // interrupted before a point finished: its file is missing, and only it runs again, to the same numbers
        Files.delete(out.resolve("points").resolve("lr-0.01_reg-grad-l2-0.1.json"));
        r = run("sweep", file.toString(), "--master", "local[1]", "--out", out.toString());
        assertTrue(r.out().contains("(3 finished by an earlier sweep") && r.out().contains("1 to run"), r.out());
        assertEquals(ok, result(out, "lr-0.01_reg-grad-l2-0.1"));
        // stopped by its time budget before anything finished: exit code 3, nothing lost, and the next run completes
        Path late = dir.resolve("late");
        r = run("sweep", file.toString(), "--master", "local[1]", "--out", late.toString(), "--max-minutes", "1e-6");
        assertEquals(3, r.code(), r.out());
        assertTrue(r.out().contains("stopped at the --max-minutes budget") && r.out().contains("4 of 4 points left"),
                r.out());
        r = run("sweep", file.toString(), "--master", "local[2]", "--out", late.toString());
        assertTrue(r.out().contains("4 to run") && r.out().contains("4 points, 1 finished, 3 failed"), r.out());
        assertEquals(ok, result(late, "lr-0.01_reg-grad-l2-0.1"));
        // a point file of other settings is never silently reused
        Files.writeString(file, Files.readString(file).replace("width: 8", "width: 9"));
        r = run("sweep", file.toString(), "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.out().contains("was written for other settings") && r.out().contains("--fresh"), r.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void reproduceWithSweepGivesTheSameResultsJson(@TempDir Path dir) throws IOException {
        Path here = dir.resolve("here");
        Path spark = dir.resolve("spark");
        assertEquals(0, run("reproduce", "roll", "--quick", "--out", here.toString()).code());
        Result r = run("reproduce", "roll", "--quick", "--sweep", "--master", "local[2]", "--out", spark.toString());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("as Spark tasks on local[2]"), r.out());
        Map<String, Object> a = (Map<String, Object>) Json.parse(Files.readString(here.resolve("roll")
                .resolve("results.json")), "here");
        Map<String, Object> b = (Map<String, Object>) Json.parse(Files.readString(spark.resolve("roll")
                .resolve("results.json")), "spark");
        for (String k : List.of("setup", "claims", "verdict", "results", "seeds", "mode")) {
            assertNotNull(a.get(k), k);
            assertEquals(a.get(k), b.get(k), k);
        }
    }
}
