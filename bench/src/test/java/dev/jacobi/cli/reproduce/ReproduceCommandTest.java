package dev.jacobi.cli.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.cli.Cli;
import dev.jacobi.cli.run.Runs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jacobi reproduce}: a quick ROLL run end to end, and argument errors. */
class ReproduceCommandTest {
    /** Runs the CLI with stdout and stderr captured; returns {exit code, stdout, stderr}. */
    private static Object[] cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int rc = Cli.run(args);
            return new Object[] {rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void quickRollWritesAReportAndParsableResults(@TempDir Path dir) throws Exception {
        Object[] r = cli("reproduce", "roll", "--quick", "--out", dir.toString());
        assertEquals(0, r[0], "exit code; stderr: " + r[2]);
        String stdout = (String) r[1];
        assertTrue(stdout.contains("estimated"), "prints the estimate before starting:\n" + stdout);
        Path report = dir.resolve("roll").resolve("report.md");
        String md = Files.readString(report);
        assertTrue(md.matches("(?s).*\\*\\*Reproduced: (reproduced|partly|not reproduced)\\*\\*.*"), md);
        assertTrue(md.contains("| margin-ratio |") && md.contains("smoke test"), md);
        assertTrue(md.contains("| vanilla, seed 0 |") && md.contains("| paper vanilla | 98% |"), md);
        assertTrue(md.contains("regions.png"), md);
        Path png = dir.resolve("roll").resolve("regions.png");
        byte[] head = Files.readAllBytes(png);
        assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', "regions.png is a PNG");
        String json = Files.readString(dir.resolve("roll").resolve("results.json"));
        new JsonCheck(json).document();
        assertTrue(json.contains("\"name\": \"roll\"") && json.contains("\"verdict\": \"")
                && json.contains("\"mode\": \"quick\"") && json.contains("\"seeds\": [0]")
                && json.contains("\"jdk\": \"" + System.getProperty("java.version") + "\"")
                && json.contains("\"claims\": [") && json.contains("\"band\": \"≥ 7.50\"")
                && json.contains("\"minutes\": ") && json.contains("\"marginPercentiles\": ["), json);
        assertTrue(stdout.contains("finished in") && stdout.contains("the first estimate was"), stdout);
        assertTrue(Files.readString(dir.resolve("roll").resolve("log.jsonl")).contains("\"event\": \"epoch\""));
        // run again into the same directory: every run is reused and the results are the same, byte for byte
        Object[] again = cli("reproduce", "roll", "--quick", "--out", dir.toString());
        assertEquals(0, again[0], "exit code; stderr: " + again[2]);
        assertTrue(((String) again[1]).contains("4 of 4 runs were finished by an earlier run"), (String) again[1]);
        assertEquals(json, Files.readString(dir.resolve("roll").resolve("results.json")));
    }

    @Test
    void theTimeBudgetStopsWithAPartialReport(@TempDir Path dir) throws Exception {
        Object[] r = cli("reproduce", "roll", "--quick", "--out", dir.toString(), "--max-minutes", "0.0001");
        assertEquals(3, r[0], "exit code 3 at the budget; stderr: " + r[2]);
        String stdout = (String) r[1];
        assertTrue(stdout.contains("stopped at the --max-minutes budget") && stdout.contains("run the same command"
                + " again to continue"), stdout);
        String md = Files.readString(dir.resolve("roll").resolve("report.md"));
        assertTrue(md.contains("partial") && md.contains("there is no verdict"), md);
        String json = Files.readString(dir.resolve("roll").resolve("results.json"));
        new JsonCheck(json).document();
        assertTrue(json.contains("\"partial\": true"), json);
        Object[] seeds = cli("reproduce", "roll", "--quick", "--out", dir.toString(), "--seeds", "0");
        assertNotEquals(0, seeds[0]);
        assertTrue(((String) seeds[2]).contains("--seeds must be between 1 and 20, got 0"), (String) seeds[2]);
        Object[] bad = cli("reproduce", "roll", "--quick", "--out", dir.toString(), "--max-minutes", "-1");
        assertNotEquals(0, bad[0]);
        assertTrue(((String) bad[2]).contains("--max-minutes"), (String) bad[2]);
    }

    @Test
    void missingDataIsAOneLineErrorBeforeAnyWork(@TempDir Path dir) throws Exception {
        // a separate JVM, so that the data path (JACOBI_DATA, ./data, ~/.jacobi/data) holds no MNIST at all
        Path empty = Files.createDirectories(dir.resolve("empty"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "dev.jacobi.cli.Main", "reproduce", "roll", "--out", dir.resolve("out").toString())
                .directory(dir.toFile());
        pb.environment().put("JACOBI_DATA", empty.toString());
        pb.environment().put("HOME", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        assertNotEquals(0, rc);
        assertEquals(1, lines.size(), err);
        assertTrue(lines.get(0).contains("no mnist files") && lines.get(0).contains("JACOBI_DATA"), err);
        assertEquals("", out, "no work starts before the data is found");
        assertFalse(Files.exists(dir.resolve("out")), "nothing is written");
    }

    @Test
    void unknownNameListsTheValidOnes() {
        Object[] r = cli("reproduce", "nope");
        assertNotEquals(0, r[0]);
        String err = (String) r[2];
        assertTrue(err.contains("'nope'") && err.contains("bietti, mustafa, bcop, fantastic-four, roll, lipschitz-layers, all"), err);
    }

    @Test
    void missingNameIsAUsageError() {
        Object[] r = cli("reproduce", "--quick");
        assertNotEquals(0, r[0]);
        assertTrue(((String) r[2]).contains("NAME"), (String) r[2]);
    }

    @Test
    void jsonCheckRejectsBrokenJson() {
        for (String bad : new String[] {"{\"a\": }", "{\"a\": 1,}", "[1, 2", "{\"a\" 1}", "{} x"}) {
            boolean threw = false;
            try {
                new JsonCheck(bad).document();
            } catch (IllegalArgumentException e) {
                threw = true;
            }
            assertTrue(threw, "accepted " + bad);
        }
        new JsonCheck("{\"a\": [1, -2.5e-3, true, null, \"x\\\"y\"], \"b\": {}}").document();
    }

    /** A strict structural JSON validator (RFC 8259 grammar, no value building). */
    static final class JsonCheck {
        private final String s;
        private int i;

        JsonCheck(String s) {
            this.s = s;
        }

        void document() {
            value();
            ws();
            if (i != s.length()) {
                fail("trailing text");
            }
        }

        private void value() {
            ws();
            if (i >= s.length()) {
                fail("value expected");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                ws();
                if (peek('}')) {
                    return;
                }
                do {
                    ws();
                    string();
                    ws();
                    expect(':');
                    value();
                    ws();
                } while (peek(','));
                expect('}');
            } else if (c == '[') {
                i++;
                ws();
                if (peek(']')) {
                    return;
                }
                do {
                    value();
                    ws();
                } while (peek(','));
                expect(']');
            } else if (c == '"') {
                string();
            } else if (s.startsWith("true", i) || s.startsWith("null", i)) {
                i += 4;
            } else if (s.startsWith("false", i)) {
                i += 5;
            } else {
                int start = i;
                while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                    i++;
                }
                if (!s.substring(start, i).matches("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?")) {
                    fail("bad number '" + s.substring(start, i) + "'");
                }
            }
        }

        private void string() {
            expect('"');
            while (i < s.length() && s.charAt(i) != '"') {
                i += s.charAt(i) == '\\' ? 2 : 1;
            }
            expect('"');
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                fail("'" + c + "' expected");
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private void fail(String what) {
            throw new IllegalArgumentException("JSON: " + what + " at " + i);
        }
    }
}
