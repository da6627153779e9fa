package dev.jacobi.cli.run;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void aModelWithoutAccuracyShowsLossAndThroughputButNoNaN() {
        Progress p = new Progress(new PrintStream(new ByteArrayOutputStream()), "train 1/3", 10);
        String none = p.line(5, 320, 0.25, Double.NaN);
        assertFalse(none.contains("NaN") || none.contains("acc"), none);
        assertTrue(none.contains("loss 0.2500") && none.contains("ex/s"), none);
        String some = p.line(10, 640, 0.125, 0.5);
        assertTrue(some.contains("acc  50.0%"), some);
    }
}
