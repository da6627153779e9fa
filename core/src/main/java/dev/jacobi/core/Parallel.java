package dev.jacobi.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The thread pool of Jacobi's kernels; the calling thread always works on one chunk itself. The default size is
 * the number of available cores, or the system property
 * {@code jacobi.threads}. Work is split only over disjoint outputs, so results do not depend on the thread count.
 */
public final class Parallel {
    /** Body of a parallel loop over the index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        /** Processes indices {@code from} (inclusive) to {@code to} (exclusive). */
        void run(int from, int to);
    }

    private static volatile int threads = defaultThreads();
    private static volatile ForkJoinPool pool;

    private Parallel() {
    }

    private static int defaultThreads() {
        String p = System.getProperty("jacobi.threads");
        if (p != null && !p.isBlank()) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the default
            }
            System.err.println("jacobi: ignoring jacobi.threads=" + p + " (want a positive integer)");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The number of threads kernels use. */
    public static int threads() {
        return threads;
    }

    /** Sets the number of threads kernels use (1 runs everything on the calling thread). */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("Parallel.setThreads: thread count must be >= 1, got " + n);
        }
        if (n != threads) {
            ForkJoinPool old = pool;
            pool = null;
            threads = n;
            if (old != null) {
                old.shutdown();
            }
        }
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    p = new ForkJoinPool(Math.max(1, threads - 1), pool -> {
                        var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                        t.setName("jacobi-" + t.getPoolIndex());
                        t.setDaemon(true);
                        return t;
                    }, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks of at least
     * {@code grain} indices. Nested calls from inside a worker run on the calling thread.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int t = threads;
        int chunks = Math.min(t, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || n <= 1 || ForkJoinTask.inForkJoinPool()) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks - 1);
        ForkJoinPool p = pool();
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            ForkJoinTask<?> task = ForkJoinTask.adapt(() -> body.run(from, to));
            tasks.add(task);
            p.execute(task);
        }
        RuntimeException first = null;
        try {
            body.run(0, (int) ((long) n / chunks)); // the calling thread takes the first chunk
        } catch (RuntimeException e) {
            first = e;
        }
        for (ForkJoinTask<?> task : tasks) {
            try {
                task.join();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
