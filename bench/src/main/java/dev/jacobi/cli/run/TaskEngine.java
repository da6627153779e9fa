package dev.jacobi.cli.run;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs the tasks of a sweep, each a command line for {@code dev.jacobi.cli.Tasks}, on Apache Spark. The sweep module
 * implements it; {@link #find} loads it through {@link ServiceLoader}, so that nothing else loads Spark.
 */
public interface TaskEngine {
    /**
     * One task.
     *
     * @param id   its name, {@code [a-z0-9._-]+}
     * @param args its command line ({@code Tasks.run})
     * @param dir  the directory it writes its files into (on a cluster, a path every machine sees)
     */
    record Task(String id, List<String> args, String dir) {
    }

    /**
     * What a task gave.
     *
     * @param task    the task
     * @param result  its numbers, or null if it failed
     * @param error   why it failed (one line), or null
     * @param seconds its wall time
     * @param where   the executor that ran it and its JDK
     */
    record Outcome(Task task, Map<String, Object> result, String error, double seconds, String where) {
        /** Whether the task failed. */
        public boolean failed() {
            return error != null;
        }
    }

    /**
     * Runs every task on {@code master} ({@code local[*]}, {@code local[N]}, {@code spark://HOST:PORT},
     * {@code k8s://...}) with {@code threads} kernel threads each (null: the cores divided among the tasks that run at
     * once), handing each outcome to {@code done} on the calling thread as soon as its task finishes. A failed task
     * never stops the others. Once {@code stop} says so (a signal, a time budget), the tasks not finished are
     * cancelled and it returns.
     */
    void run(List<Task> tasks, String master, Integer threads, Consumer<Outcome> done, BooleanSupplier stop)
            throws IOException;

    /** The engine on the class path; an error that says how to get it if there is none. */
    static TaskEngine find(String command) {
        return ServiceLoader.load(TaskEngine.class).findFirst().orElseThrow(() -> new IllegalArgumentException(
                command + " runs on Apache Spark, which lives in the sweep module (jacobi-sweep) and is not on the"
                        + " class path: run it through the ./jacobi launcher, which builds that module and adds it"));
    }
}
