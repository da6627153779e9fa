package dev.jacobi.datasets;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing (Jazzer) of the IDX and CIFAR-10 readers: every input parses or fails with an
 * {@link IOException} that names it; any other exception, a hang or an out-of-memory is a finding. Under
 * {@code mvn verify} it runs the seed inputs only; {@code JAZZER_FUZZ=1} fuzzes for {@code maxDuration}.
 */
class IdxJazzerTest {
    private static final AtomicLong RUNS = new AtomicLong();

    @FuzzTest(maxDuration = "10s")
    void idxAndCifarFailOnlyWithNamedIoExceptions(byte[] data) {
        RUNS.incrementAndGet();
        try {
            Idx.read(new ByteArrayInputStream(data), "fuzz.idx");
        } catch (IOException e) {
            named(e, "fuzz.idx");
        }
        try {
            Cifar10.read(new ByteArrayInputStream(data), "fuzz.bin");
        } catch (IOException e) {
            named(e, "fuzz.bin");
        }
    }

    static void named(IOException e, String input) {
        if (e.getMessage() == null || !e.getMessage().startsWith(input)) {
            throw new AssertionError("an IOException that does not name the input: " + e.getMessage(), e);
        }
    }

    /** Adds {@code runs} to the executions recorded for {@code name} by earlier fuzzing runs, and returns the total. */
    static long total(String name, long runs) throws IOException {
        Path count = Path.of("..", "target", "reliability", "jazzer-" + name + ".count");
        Files.createDirectories(count.getParent());
        long before = Files.exists(count) ? Long.parseLong(Files.readString(count).trim()) : 0;
        Files.writeString(count, Long.toString(before + runs));
        return before + runs;
    }

    @AfterAll
    static void record() throws IOException {
        if (System.getenv("JAZZER_FUZZ") != null) {
            Files.createDirectories(Path.of("..", "target", "reliability"));
            Files.writeString(Path.of("..", "target", "reliability", "jazzer-idx.txt"), "coverage-guided fuzzing"
                    + " (Jazzer) of the IDX and CIFAR-10 readers|" + total("idx", RUNS.get()) + " executions|no finding: every input"
                    + " parsed or failed with an IOException naming it\n");
        }
    }
}
