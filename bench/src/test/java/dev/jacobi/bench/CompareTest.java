package dev.jacobi.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Parallel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line of the Jacobi side of {@code bench/compare.py}. */
class CompareTest {
    private static List<String> run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            Compare.main(args);
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** compare.py --interleave groups the rows by these names, so they come in the table's order and untimed. */
    @Test
    void listPrintsTheSelectedNamesInOrderWithoutTimingThem() {
        List<String> lines = run("--threads", Integer.toString(Parallel.threads()), "--only", "^gemm_n(128|64)$",
                "--list");
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("{\"env\""), lines.get(0));
        assertEquals("{\"workload\":\"gemm_n64\"}", lines.get(1).replace(" ", ""));
        assertEquals("{\"workload\":\"gemm_n128\"}", lines.get(2).replace(" ", ""));
    }

    @Test
    void unknownArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run("--lst"));
        assertTrue(e.getMessage().contains("--lst") && e.getMessage().contains("--list"), e.getMessage());
    }
}
