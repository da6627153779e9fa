package dev.jacobi.bench;

import dev.jacobi.cli.run.Json;
import dev.jacobi.core.Memory;
import dev.jacobi.core.Parallel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The memory of a training run, for {@code compare.py --memory}: the comparison's CNN SGD step (batch 128) run 20
 * times to warm up and then {@code steps} times, printing as one JSON line the bytes allocated per step and per
 * second (every thread), the heap pools' peak use, the committed heap, the cache's size and the process's peak
 * resident set ({@code VmHWM}).
 *
 * <pre>java --add-modules jdk.incubator.vector -XX:+UseParallelGC -cp bench/target/jacobi.jar
 *     dev.jacobi.bench.MemoryProbe --threads 2 --steps 200</pre>
 */
public final class MemoryProbe {
    private MemoryProbe() {
    }

    /** Runs the probe; {@code --threads N}, {@code --steps N}. */
    public static void main(String[] args) throws IOException {
        int threads = 2;
        int steps = 200;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("MemoryProbe: unknown argument " + args[i]
                        + " (known: --threads N, --steps N)");
            }
        }
        Parallel.setThreads(threads);
        Compare.StepSetup s = new Compare.StepSetup(true);
        for (int i = 0; i < 20; i++) {
            s.trainer.step(s.batch);
        }
        long b0 = allocated();
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            s.trainer.step(s.batch);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long bytes = allocated() - b0;
        long peak = 0;
        long committed = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                peak += p.getPeakUsage().getUsed();
                committed += p.getUsage().getCommitted();
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", steps);
        m.put("ms_per_step", seconds * 1e3 / steps);
        m.put("alloc_mb_per_step", bytes / 1e6 / steps);
        m.put("alloc_mb_per_s", bytes / 1e6 / seconds);
        m.put("heap_pools_peak_mb", peak / 1e6);
        m.put("heap_committed_mb", committed / 1e6);
        m.put("cache_mb", Memory.cachedBytes() / 1e6);
        m.put("peak_rss_mb", peakRssKb() / 1e3);
        System.out.println(Json.line(Map.of("memory", m)));
    }

    /** Bytes allocated so far by every live thread. */
    public static long allocated() {
        com.sun.management.ThreadMXBean b = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long v : b.getThreadAllocatedBytes(b.getAllThreadIds())) {
            sum += Math.max(0, v);
        }
        return sum;
    }

    /** The process's peak resident set in kB ({@code VmHWM}), or -1 where /proc is missing. */
    private static long peakRssKb() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
