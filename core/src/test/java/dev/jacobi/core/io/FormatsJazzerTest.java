package dev.jacobi.core.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing (Jazzer) of the {@code .npy}, safetensors and JSON parsers: every input parses or fails
 * with an {@link IOException} with a message. Under {@code mvn verify} it runs the seed inputs only;
 * {@code JAZZER_FUZZ=1} fuzzes for {@code maxDuration} (one fuzz test per run: select it with {@code -Dtest}).
 */
class FormatsJazzerTest {
    private static final AtomicLong NPY = new AtomicLong();
    private static final AtomicLong SAFETENSORS = new AtomicLong();
    private static final AtomicLong JSON = new AtomicLong();
    private static Path file;

    private static void messageOf(IOException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("an IOException without a message", e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void npyFailsOnlyWithIoExceptions(byte[] data) {
        NPY.incrementAndGet();
        try {
            Npy.read(new ByteArrayInputStream(data), "fuzz.npy");
        } catch (IOException e) {
            messageOf(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void safetensorsFailOnlyWithIoExceptions(byte[] data) throws IOException {
        SAFETENSORS.incrementAndGet();
        if (file == null) {
            file = Files.createTempFile("jacobi-fuzz", ".safetensors");
            file.toFile().deleteOnExit();
        }
        Files.write(file, data);
        try {
            Safetensors.read(file);
        } catch (IOException e) {
            messageOf(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void jsonFailsOnlyWithIoExceptions(byte[] data) {
        JSON.incrementAndGet();
        try {
            Json.parse(new String(data, java.nio.charset.StandardCharsets.UTF_8), "fuzz.json");
        } catch (IOException e) {
            messageOf(e);
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
        if (System.getenv("JAZZER_FUZZ") == null) {
            return;
        }
        Files.createDirectories(Path.of("..", "target", "reliability"));
        long[] runs = {NPY.get(), SAFETENSORS.get(), JSON.get()};
        String[] names = {"npy", "safetensors", "json"};
        for (int i = 0; i < 3; i++) {
            if (runs[i] > 0) {
                Files.writeString(Path.of("..", "target", "reliability", "jazzer-" + names[i] + ".txt"),
                        "coverage-guided fuzzing (Jazzer) of the " + names[i] + " reader|" + total(names[i], runs[i]) + " executions|no"
                                + " finding: every input parsed or failed with an IOException with a message\n");
            }
        }
    }
}
