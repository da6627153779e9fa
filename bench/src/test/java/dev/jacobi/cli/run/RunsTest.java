package dev.jacobi.cli.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.cli.reproduce.Repro;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeping finished units: resume after a stop, reuse, --fresh and a changed setup. */
class RunsTest {
    private final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    private Tracker tracker() {
        return new Tracker("test", out, null, false, 0, System::nanoTime);
    }

    /** Four units whose numbers depend only on their seed; {@code ran} records which bodies ran. */
    private static List<Runs.Unit> units(List<String> ran, Runnable afterSecond) {
        List<Runs.Unit> u = new ArrayList<>();
        for (int seed = 0; seed < 4; seed++) {
            int s = seed;
            u.add(new Runs.Unit("cfg-seed" + s, "cfg", Repro.map("seed", s, "lr", 0.1), 0, dir -> {
                ran.add("cfg-seed" + s);
                Files.writeString(dir.resolve("extra.txt"), "seed " + s);
                if (s == 1) {
                    afterSecond.run();
                }
                return Repro.map("accuracy", 0.9 + s / 100.0, "curve", new double[] {s, s + 0.5, Double.NaN});
            }));
        }
        return u;
    }

    @Test
    void aStoppedRunContinuesWhereItStoppedAndGivesTheSameResults(@TempDir Path dir) throws Exception {
        // uninterrupted
        List<String> ran = new ArrayList<>();
        Runs.Outcome whole = new Runs(units(ran, () -> { }), dir.resolve("a"), false, tracker()).run();
        assertTrue(whole.complete());
        assertNull(whole.stopReason());
        assertEquals(4, ran.size());
        // stopped by a signal after the second unit, then started again
        Tracker t = tracker();
        ran.clear();
        Runs.Outcome first = new Runs(units(ran, () -> t.signalled("SIGTERM")), dir.resolve("b"), false, t).run();
        assertFalse(first.complete());
        assertEquals(List.of("cfg-seed0", "cfg-seed1"), ran, "the unit in progress finished and was kept");
        assertEquals(2, first.results().size());
        assertTrue(first.stopReason().contains("SIGTERM"), first.stopReason());
        assertTrue(Files.exists(dir.resolve("b").resolve("cfg-seed1.json")));
        assertFalse(Files.exists(dir.resolve("b").resolve("cfg-seed2.json")));
        ran.clear();
        Runs.Outcome second = new Runs(units(ran, () -> { }), dir.resolve("b"), false, tracker()).run();
        assertTrue(second.complete());
        assertEquals(2, second.reused());
        assertEquals(List.of("cfg-seed2", "cfg-seed3"), ran, "only what was not finished runs again");
        assertEquals(Json.write(whole.results()), Json.write(second.results()));
        for (int s = 0; s < 4; s++) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve("cfg-seed" + s + ".json")),
                    Files.readAllBytes(dir.resolve("b").resolve("cfg-seed" + s + ".json")));
        }
        // numbers read back the same way whether computed now or earlier (NaN is written as null)
        assertEquals(0.91, Runs.num(second.results().get("cfg-seed1"), "accuracy"), 0);
        assertTrue(Double.isNaN(Runs.nums(second.results().get("cfg-seed1"), "curve")[2]));
        // a third run reuses everything; --fresh recomputes everything
        ran.clear();
        new Runs(units(ran, () -> { }), dir.resolve("b"), false, tracker()).run();
        assertTrue(ran.isEmpty());
        new Runs(units(ran, () -> { }), dir.resolve("b"), true, tracker()).run();
        assertEquals(4, ran.size());
    }

    @Test
    void aUnitStoppedMidTrainingIsNotKept(@TempDir Path dir) throws Exception {
        List<Runs.Unit> u = List.of(new Runs.Unit("only", "k", Repro.map(), 0, d -> {
            throw new Tracker.Stopped("stopped at the --max-minutes budget");
        }));
        Runs.Outcome o = new Runs(u, dir, false, tracker()).run();
        assertFalse(o.complete());
        assertFalse(Files.exists(dir.resolve("only.json")));
    }

    @Test
    void aFinishedUnitWithAnotherSetupIsAnErrorNotReused(@TempDir Path dir) throws Exception {
        new Runs(units(new ArrayList<>(), () -> { }), dir, false, tracker()).run();
        List<Runs.Unit> changed = List.of(new Runs.Unit("cfg-seed0", "cfg", Repro.map("seed", 0, "lr", 0.2), 0,
                d -> Repro.map()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Runs(changed, dir, false, tracker()));
        assertTrue(e.getMessage().contains("cfg-seed0.json") && e.getMessage().contains("--fresh"), e.getMessage());
        Files.writeString(dir.resolve("cfg-seed0.json"), "{\"id\": 1}");
        Exception bad = assertThrows(java.io.IOException.class, () -> new Runs(changed, dir, false, tracker()));
        assertTrue(bad.getMessage().contains("cfg-seed0.json"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Runs.Unit("Bad Id", "k", Repro.map(), 0, d -> null));
    }
}
