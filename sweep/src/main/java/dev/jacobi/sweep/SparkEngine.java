package dev.jacobi.sweep;

import dev.jacobi.cli.Cli;
import dev.jacobi.cli.Tasks;
import dev.jacobi.cli.run.Json;
import dev.jacobi.cli.run.TaskEngine;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Runs a sweep's tasks on Apache Spark: each task is one Spark job of one partition, submitted at once, so that
 * Spark hands them to its task slots in order ({@code local[N]}: N at a time in this JVM; a cluster: as many as its
 * executors have slots) and the driver learns of each as soon as it finishes. A task that throws is an outcome
 * with its error, never a failed job; a job that Spark itself cannot run (a lost executor) fails the sweep after the
 * others finish, and a run of the same command does it again.
 */
public final class SparkEngine implements TaskEngine {
    private static final Pattern LOCAL = Pattern.compile("local(\\[(\\*|[0-9]+)(,[0-9]+)?])?");

    private SparkSession session;

    /** The Spark session on {@code master}, started on first use and kept until {@link #stop}. */
    SparkSession session(String master, Integer threads) {
        if (session == null) {
            SparkConf conf = new SparkConf().setMaster(master).setAppName("jacobi sweep")
                    .set("spark.ui.showConsoleProgress", "false")
                    .set("spark.sql.debug.maxToStringFields", "1000"); // a row has many metrics
            if (LOCAL.matcher(master).matches()) {
                conf.set("spark.ui.enabled", "false");
            } else {
                // executors need Jacobi's classes; a task's kernel threads are the cores Spark counts for it
                conf.setJars(jars());
                if (threads != null) {
                    conf.set("spark.task.cpus", String.valueOf(threads));
                }
            }
            try {
                session = SparkSession.builder().config(conf).getOrCreate();
            } catch (RuntimeException e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                throw new IllegalStateException("Spark could not start on " + master + ": " + e.getMessage()
                        + (root == e ? "" : " (" + root.getMessage() + ")") + "; Spark's log above says more", e);
            }
        }
        return session;
    }

    /** Stops the session, if one was started. */
    void stop() {
        if (session != null) {
            session.stop();
            session = null;
        }
    }

    /**
     * The kernel threads of each task: {@code threads} if given, else on {@code local[N]} the cores divided among
     * the N tasks that run at once, else 1 (a cluster: set {@code --threads} to the cores per task).
     */
    static int threadsPerTask(String master, Integer threads, int tasks) {
        if (threads != null) {
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be positive, got " + threads);
            }
            return threads;
        }
        Matcher m = LOCAL.matcher(master);
        if (!m.matches()) {
            return 1;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        int slots = m.group(2) == null ? 1 : m.group(2).equals("*") ? cores : Integer.parseInt(m.group(2));
        return Math.max(1, cores / Math.max(1, Math.min(slots, tasks)));
    }

    @Override
    public void run(List<Task> tasks, String master, Integer threads, Consumer<Outcome> done, BooleanSupplier stop)
            throws IOException {
        if (tasks.isEmpty()) {
            return;
        }
        int perTask = threadsPerTask(master, threads, tasks.size());
        boolean own = session == null;
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(session(master, threads).sparkContext());
        try {
            List<JavaFutureAction<List<String>>> jobs = new ArrayList<>();
            for (Task t : tasks) {
                List<String> spec = new ArrayList<>(List.of(t.id(), t.dir(), String.valueOf(perTask)));
                spec.addAll(t.args());
                jsc.setJobDescription(t.id());
                jobs.add(jsc.parallelize(java.util.Collections.singletonList(spec.toArray(new String[0])), 1).map(SparkEngine::execute)
                        .collectAsync());
            }
            List<String> lost = new ArrayList<>();
            boolean[] reported = new boolean[tasks.size()];
            int left = tasks.size();
            while (left > 0) {
                if (stop.getAsBoolean()) {
                    jsc.cancelAllJobs(); // the finished tasks are kept; the others run again next time
                    return;
                }
                boolean any = false;
                for (int i = 0; i < jobs.size(); i++) {
                    if (reported[i] || !jobs.get(i).isDone()) {
                        continue;
                    }
                    reported[i] = true;
                    left--;
                    any = true;
                    try {
                        done.accept(outcome(tasks.get(i), jobs.get(i).get().get(0)));
                    } catch (ExecutionException e) {
                        lost.add(tasks.get(i).id() + ": " + Cli.describe(e.getCause() == null ? e : e.getCause()));
                    }
                }
                if (!any) {
                    Thread.sleep(50);
                }
            }
            if (!lost.isEmpty()) {
                throw new IOException("Spark could not run " + lost.size() + " of " + tasks.size() + " tasks (" + String
                        .join("; ", lost) + "); the others are kept, and the same command runs these again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the sweep's tasks", e);
        } finally {
            if (own) {
                stop();
            }
        }
    }

    /** Runs a task on an executor: {@code spec} is its id, directory, kernel threads and command line. */
    static String execute(String[] spec) {
        List<String> args = List.of(spec).subList(3, spec.length);
        long t0 = System.nanoTime();
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            out.put("result", Tasks.run(args, Path.of(spec[1]), Integer.parseInt(spec[2])));
        } catch (Exception | StackOverflowError | OutOfMemoryError | AssertionError e) {
            // the task's own failure (a bad setting, a NaN loss): an outcome, so that the sweep goes on
            out.put("error", Cli.describe(e));
        }
        out.put("seconds", (System.nanoTime() - t0) / 1e9);
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host"; // only a label in the report: the task's numbers stand without it
        }
        out.put("where", host + ", JDK " + System.getProperty("java.version") + ", " + spec[2] + " thread(s)");
        return Json.line(out);
    }

    @SuppressWarnings("unchecked")
    private static Outcome outcome(Task t, String json) throws IOException {
        Map<String, Object> m = (Map<String, Object>) Json.parse(json, "the outcome of task " + t.id());
        return new Outcome(t, (Map<String, Object>) m.get("result"), (String) m.get("error"),
                ((Number) m.get("seconds")).doubleValue(), (String) m.get("where"));
    }

    /** The jars that hold Jacobi's classes and picocli, for a cluster's executors (none when run from classes). */
    private static String[] jars() {
        List<String> jars = new ArrayList<>();
        for (Class<?> c : List.of(SparkEngine.class, Tasks.class, dev.jacobi.core.Tensor.class,
                dev.jacobi.autodiff.Var.class, dev.jacobi.regularizers.attacks.Attacks.class,
                dev.jacobi.datasets.Dataset.class, picocli.CommandLine.class)) {
            try {
                Path p = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
                if (p.toString().endsWith(".jar") && !jars.contains(p.toString())) {
                    jars.add(p.toString());
                }
            } catch (java.net.URISyntaxException | RuntimeException e) {
                throw new IllegalStateException("cannot find the jar of " + c.getName() + " to ship to the executors: "
                        + e.getMessage(), e);
            }
        }
        return jars.toArray(new String[0]);
    }
}
