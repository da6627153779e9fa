package dev.jacobi.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Alignment} reads the JVM's object alignment: the build's test JVMs run with
 * {@code -XX:ObjectAlignmentInBytes=64} (so GEMM and the convolutions are tested with their panels 12 floats into
 * the array), CI's plain-Java run without it (panels from index 0).
 */
class AlignmentTest {
    private static final List<String> ARGS = ManagementFactory.getRuntimeMXBean().getInputArguments();

    @Test
    void thePadFollowsTheJvmsObjectAlignment() {
        // the pad below assumes HotSpot's default array header (16 bytes: mark word, compressed class, length)
        assumeTrue(ARGS.stream().noneMatch(a -> a.contains("CompressedClassPointers")
                || a.contains("CompactObjectHeaders")), "a non-default object header: " + ARGS);
        boolean lines = ARGS.stream().anyMatch(a -> a.matches("-XX:ObjectAlignmentInBytes=(64|128|256)"));
        assertEquals(lines ? 12 : 0, Alignment.FLOAT_PAD, ARGS.toString());
        assertEquals(lines, Backend.describe().contains("arrays on 64-byte lines"), Backend.describe());
    }

    @Test
    void theBuildTestsTheAlignedPanels() {
        // the build's argLine has the flag unless CI's plain-Java run cleared it (-Djacobi.expectScalar=true)
        assumeTrue(!Boolean.getBoolean("jacobi.expectScalar"), "the plain-Java run tests panels from index 0");
        assertTrue(Alignment.FLOAT_PAD > 0, "the test JVM runs without -XX:ObjectAlignmentInBytes=64: " + ARGS);
    }
}
