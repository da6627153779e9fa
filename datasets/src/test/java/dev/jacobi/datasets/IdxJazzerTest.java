package dev.jacobi.datasets;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Coverage-guided fuzzing (Jazzer) of the IDX and CIFAR-10 readers: every input parses or fails with an
 * {@link IOException} that names it; any other exception, a hang or an out-of-memory is a finding. Under
 * {@code mvn verify} it runs the seed inputs only; {@code .ci/fuzz} fuzzes it ({@code JAZZER_FUZZ=1}).
 */
class IdxJazzerTest {
    @FuzzTest(maxDuration = "10s")
    void idxAndCifarFailOnlyWithNamedIoExceptions(byte[] data) {
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

    private static void named(IOException e, String input) {
        if (e.getMessage() == null || !e.getMessage().startsWith(input)) {
            throw new AssertionError("an IOException that does not name the input: " + e.getMessage(), e);
        }
    }
}
