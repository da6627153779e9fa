package dev.jacobi.core.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the {@code .npy}, safetensors and JSON parsers: every input parses or fails
 * with an {@link IOException} with a message. Under {@code mvn verify} it runs the seed inputs only;
 * {@code .ci/fuzz} fuzzes each ({@code JAZZER_FUZZ=1}, one fuzz test per run).
 */
class FormatsJazzerTest {
    private static Path file;

    private static void messageOf(IOException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("an IOException without a message", e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void npyFailsOnlyWithIoExceptions(byte[] data) {
        try {
            Npy.read(new ByteArrayInputStream(data), "fuzz.npy");
        } catch (IOException e) {
            messageOf(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void safetensorsFailOnlyWithIoExceptions(byte[] data) throws IOException {
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
        try {
            Json.parse(new String(data, java.nio.charset.StandardCharsets.UTF_8), "fuzz.json");
        } catch (IOException e) {
            messageOf(e);
        }
    }
}
