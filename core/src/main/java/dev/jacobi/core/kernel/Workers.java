package dev.jacobi.core.kernel;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The thread pool of Jacobi's kernels; the calling thread always works on one chunk itself. The default size is
 * the number of available cores, or the system property
 * {@code jacobi.threads}. Work is split only over disjoint outputs, so results do not depend on the thread count.
 *
 * <p>Kernels are short (often tens of microseconds) and come back to back, so waking a parked thread for each one
 * would cost more than the work. The pool's workers therefore spin for a short while ({@link #SPIN_NANOS}) after
 * each task before they park, as OpenMP and OpenBLAS threads do; idle workers use no CPU after that.
 */
public final class Workers {
    /** Body of a parallel loop over the index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        /** Processes indices {@code from} (inclusive) to {@code to} (exclusive). */
        void run(int from, int to);
    }

    /**
     * How long an idle worker, or a caller waiting for workers, spins before it parks. With more threads than cores
     * nobody spins, since a spinning thread would take the core another one needs.
     */
    static final long SPIN_NANOS = 200_000;
    private static volatile long spin = SPIN_NANOS;

    private static volatile int threads = defaultThreads();
    private static volatile Worker[] workers;
    /** Held by the one caller whose loop uses the workers; other and nested callers run their loops alone. */
    private static final AtomicBoolean BUSY = new AtomicBoolean();

    private Workers() {
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
            throw new IllegalArgumentException("Workers.setThreads: thread count must be >= 1, got " + n);
        }
        if (n != threads) {
            Worker[] old = workers;
            workers = null;
            threads = n;
            if (old != null) {
                for (Worker w : old) {
                    w.stop = true;
                    LockSupport.unpark(w);
                }
            }
        }
    }

    private static synchronized Worker[] workers(int t) {
        Worker[] ws = workers;
        if (ws == null || ws.length != t - 1) {
            spin = t <= Runtime.getRuntime().availableProcessors() ? SPIN_NANOS : 0;
            ws = new Worker[t - 1];
            for (int i = 0; i < ws.length; i++) {
                ws[i] = new Worker(i + 1);
                ws[i].start();
            }
            workers = ws;
        }
        return ws;
    }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks of at least
     * {@code grain} indices. Nested calls, and calls made while another thread's loop holds the pool, run on the
     * calling thread.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int t = threads;
        int chunks = Math.min(t, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || n <= 1 || Thread.currentThread() instanceof Worker || !BUSY.compareAndSet(false, true)) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        try {
            Worker[] ws = workers(t);
            for (int c = 1; c < chunks; c++) {
                ws[c - 1].post(body, (int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
            }
            Throwable first = null;
            try {
                body.run(0, (int) ((long) n / chunks)); // the calling thread takes the first chunk
            } catch (RuntimeException | Error e) {
                first = e;
            }
            for (int c = 1; c < chunks; c++) {
                Throwable e = ws[c - 1].await();
                if (first == null) {
                    first = e;
                } else if (e != null && e != first) {
                    first.addSuppressed(e); // the other workers' failures stay visible
                }
            }
            if (first instanceof RuntimeException r) {
                throw r;
            }
            if (first instanceof Error e) {
                throw e;
            }
        } finally {
            BUSY.set(false);
        }
    }

    /** A pool thread: runs one posted chunk at a time, spinning between chunks, then parking. */
    private static final class Worker extends Thread {
        private volatile long posted;
        private volatile long done;
        private volatile boolean parked;
        private volatile boolean stop;
        private volatile Thread waiter;
        private RangeBody body;
        private int from;
        private int to;
        private Throwable error;

        Worker(int index) {
            super("jacobi-" + index);
            setDaemon(true);
        }

        /** Hands a chunk to this worker; the plain fields are published by the volatile write of {@code posted}. */
        void post(RangeBody b, int f, int t) {
            body = b;
            from = f;
            to = t;
            error = null;
            posted = posted + 1;
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        /** Waits until the posted chunk is done; returns what it threw, or null. */
        Throwable await() {
            long target = posted;
            if (done != target) {
                long start = System.nanoTime();
                while (done != target) {
                    if (System.nanoTime() - start < spin) {
                        Thread.onSpinWait();
                    } else {
                        waiter = Thread.currentThread();
                        if (done != target) {
                            LockSupport.parkNanos(this, 1_000_000);
                        }
                        waiter = null;
                    }
                }
            }
            Throwable e = error;
            error = null;
            return e;
        }

        @Override
        public void run() {
            long seen = 0;
            long idle = System.nanoTime();
            while (true) {
                long p = posted;
                if (p != seen) { // a posted chunk runs even if stop came meanwhile, so its caller is never left waiting
                    seen = p;
                    try {
                        body.run(from, to);
                    } catch (Throwable e) {
                        error = e;
                    }
                    body = null;
                    done = seen;
                    Thread w = waiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                    idle = System.nanoTime();
                } else if (stop) {
                    return;
                } else if (System.nanoTime() - idle < spin) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    if (posted == seen && !stop) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idle = System.nanoTime();
                }
            }
        }
    }
}
