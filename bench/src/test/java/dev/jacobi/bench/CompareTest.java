package dev.jacobi.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.Parallel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line of the Jacobi side of {@code bench/compare.py}. */
class CompareTest {
    /** Compare's output lines for {@code args}, with {@code stdin} as its standard input. */
    private static List<String> run(String stdin, String... args) throws IOException {
        PrintStream old = System.out;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            Compare.main(args);
        } finally {
            System.setOut(old);
            System.setIn(oldIn);
        }
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** compare.py --interleave groups the rows by these names, so they come in the table's order and untimed. */
    @Test
    void listPrintsTheSelectedNamesInOrderWithoutTimingThem() throws IOException {
        List<String> lines = run("", "--threads", Integer.toString(Parallel.threads()), "--only", "^gemm_n(128|64)$",
                "--list");
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("{\"env\""), lines.get(0));
        assertEquals("{\"workload\":\"gemm_n64\"}", lines.get(1).replace(" ", ""));
        assertEquals("{\"workload\":\"gemm_n128\"}", lines.get(2).replace(" ", ""));
    }

    /** compare.py --interleave sends names one by one to a serving process per side. */
    @Test
    void serveTimesEachNameAsItComesAndMarksNamesItLacks() throws IOException {
        List<String> lines = run("gemm_n64\nno_such_row\n", "--threads", Integer.toString(Parallel.threads()),
                "--quick", "--serve");
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(1).matches("\\{\"workload\": ?\"gemm_n64\", ?\"ms\": ?[0-9.]+.*"), lines.get(1));
        assertEquals("{\"workload\":\"no_such_row\"}", lines.get(2).replace(" ", ""));
    }

    /** compare.py --pairs asks for short windows of the row timed last, taking turns between the sides. */
    @Test
    void serveTimesAWindowOfTheRowTimedLast() throws IOException {
        String threads = Integer.toString(Parallel.threads());
        List<String> lines = run("gemm_n64\ngemm_n64 20\n", "--threads", threads, "--quick", "--serve");
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(2).matches("\\{\"workload\": ?\"gemm_n64\", ?\"ms\": ?[0-9.]+.*"), lines.get(2));
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> run("gemm_n64\ngemm_n128 20\n", "--threads", threads, "--quick", "--serve"));
        assertTrue(other.getMessage().contains("gemm_n128 20") && other.getMessage().contains("(gemm_n64)"),
                other.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> run("gemm_n64\ngemm_n64 soon\n", "--threads", threads, "--quick", "--serve"));
        assertTrue(bad.getMessage().contains("got soon"), bad.getMessage());
    }

    @Test
    void unknownArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run("", "--lst"));
        assertTrue(e.getMessage().contains("--lst") && e.getMessage().contains("--list"), e.getMessage());
    }
}
