package dev.jacobi.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
    private final int saved = Workers.threads();

    @AfterEach
    void restore() {
        Workers.setThreads(saved);
    }

    private static void assertEachIndexOnce(int n, int grain) {
        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
        Workers.forRange(n, grain, (a, b) -> {
            for (int i = a; i < b; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), "index " + i + " of n=" + n + ", grain=" + grain);
        }
    }

    @Test
    void everyIndexRunsExactlyOnceForAnyThreadCount() {
        for (int t : new int[] {1, 2, 3, 5}) {
            Workers.setThreads(t);
            for (int n : new int[] {0, 1, 2, 7, 100, 1001}) {
                for (int grain : new int[] {1, 3, 1000}) {
                    assertEachIndexOnce(n, grain);
                }
            }
        }
    }

    @Test
    void manyBackToBackLoopsAllComplete() {
        for (int t : new int[] {2, 3}) { // spinning handoffs, and (more threads than this machine may have) parking
            Workers.setThreads(t);
            long[] sum = new long[t];
            int reps = t == 2 ? 20_000 : 2_000;
            for (int rep = 0; rep < reps; rep++) {
                Workers.forRange(t, 1, (a, b) -> sum[a]++);
            }
            long total = 0;
            for (long s : sum) {
                total += s;
            }
            assertEquals((long) t * reps, total, "threads " + t);
        }
    }

    @Test
    void aWorkersExceptionReachesTheCallerAndThePoolStaysUsable() {
        Workers.setThreads(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Workers.forRange(10, 1, (a, b) -> {
            if (a > 0) {
                throw new IllegalStateException("chunk " + a);
            }
        }));
        assertEquals("chunk 5", e.getMessage());
        assertThrows(AssertionError.class, () -> Workers.forRange(10, 1, (a, b) -> {
            if (a == 0) {
                throw new AssertionError("caller chunk");
            }
        }));
        assertEachIndexOnce(50, 1);
        // when several chunks fail, the first is thrown and the others are kept as suppressed
        Workers.setThreads(3);
        IllegalStateException all = assertThrows(IllegalStateException.class, () -> Workers.forRange(9, 1,
                (a, b) -> {
                    throw new IllegalStateException("chunk " + a);
                }));
        assertEquals("chunk 0", all.getMessage());
        assertEquals(2, all.getSuppressed().length, java.util.Arrays.toString(all.getSuppressed()));
        assertEachIndexOnce(50, 1);
    }

    @Test
    void nestedLoopsRunOnTheCallingThread() {
        Workers.setThreads(2);
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        Workers.forRange(10, 1, (a, b) -> {
            for (int i = a; i < b; i++) {
                int row = i;
                Thread outer = Thread.currentThread();
                Workers.forRange(10, 1, (c, d) -> {
                    assertEquals(outer, Thread.currentThread());
                    for (int j = c; j < d; j++) {
                        hits.incrementAndGet(row * 10 + j);
                    }
                });
            }
        });
        for (int i = 0; i < 100; i++) {
            assertEquals(1, hits.get(i), "index " + i);
        }
    }

    @Test
    void concurrentCallersEachGetTheirWholeRange() throws Exception {
        Workers.setThreads(2);
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Future<?>[] fs = new Future<?>[4];
            for (int c = 0; c < fs.length; c++) {
                fs[c] = callers.submit(() -> {
                    try {
                        for (int rep = 0; rep < 2000; rep++) {
                            assertEachIndexOnce(64, 1);
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
            }
            for (Future<?> f : fs) {
                f.get();
            }
            assertEquals(null, failure.get());
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void resizingThePoolKeepsLoopsCorrectAndRejectsZero() {
        for (int t : new int[] {4, 2, 1, 3}) {
            Workers.setThreads(t);
            assertEquals(t, Workers.threads());
            assertEachIndexOnce(97, 1);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workers.setThreads(0));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
    }
}
