package dev.jacobi.cli.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.cli.run.Json;
import dev.jacobi.train.TrainListener;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The progress, estimates, budget and event log of long commands, on a fake clock. */
class TrackerTest {
    /** A clock the test moves by hand, in seconds. */
    private static final class Clock {
        double secs;

        long nanos() {
            return Math.round(secs * 1e9);
        }
    }

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final Clock clock = new Clock();

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** {@code epochs} epochs of {@code perEpoch} steps, each step taking {@code stepSecs} on the clock. */
    private void train(TrainListener l, int epochs, int perEpoch, double stepSecs) {
        long step = 0;
        for (int e = 0; e < epochs; e++) {
            for (int s = 0; s < perEpoch; s++) {
                clock.secs += stepSecs;
                l.onStep(new TrainListener.Step(e, step++, 0.5, new double[0], 0.5, 32));
            }
            l.onEpochEnd(new TrainListener.Epoch(e, perEpoch, 0.5, 0.9, 32 / stepSecs, perEpoch * stepSecs, 0.1));
        }
    }

    @Test
    void offATerminalItPrintsOneLinePerEpochOrOneEvery30SecondsWhicheverIsRarer(@TempDir Path dir) throws Exception {
        Tracker t = new Tracker("train", out, dir.resolve("log.jsonl"), false, 0, clock::nanos);
        t.plan("run", "run", 100);
        t.begin("run", "run", 100);
        // 10 epochs of 10 s: a line at 10 s, then at 40, 70 and 100 s (the last epoch)
        train(t.listener("run", 10, 10), 10, 10, 1.0);
        List<String> lines = printed().lines().filter(l -> l.contains(": epoch ")).toList();
        assertEquals(4, lines.size(), printed());
        assertTrue(lines.get(0).startsWith("train run: epoch 1/10, step 10/100, loss 0.5000"), lines.get(0));
        assertTrue(lines.get(1).contains("epoch 4/10") && lines.get(2).contains("epoch 7/10")
                && lines.get(3).contains("epoch 10/10"), lines.toString());
        assertTrue(lines.get(1).contains("about 60 s left"), "60 steps of 1 s left at 40 s: " + lines.get(1));
        // epochs of 40 s: every epoch has its line
        bytes.reset();
        t.plan("long", "long", 12);
        t.begin("long", "long", 12);
        train(t.listener("long", 3, 4), 3, 4, 10.0);
        assertEquals(3, printed().lines().filter(l -> l.contains(": epoch ")).count(), printed());
        // an epoch of 10 steps of 50 s (500 s): a line within it every 2 minutes (the first at 100 s, as the unit
        // starts 30 s after a line for this rule), at steps 2, 5 and 8, then the
        // epoch's own line
        bytes.reset();
        t.plan("slow", "slow", 10);
        t.begin("slow", "slow", 10);
        train(t.listener("slow", 1, 10), 1, 10, 50.0);
        List<String> slow = printed().lines().filter(l -> l.contains(": epoch ")).toList();
        assertEquals(4, slow.size(), printed());
        assertTrue(slow.get(0).startsWith("train slow: epoch 1/1, step 2/10, loss so far 0.5000"), slow.get(0));
        assertTrue(slow.get(3).startsWith("train slow: epoch 1/1, step 10/10, loss 0.5000"), slow.get(3));
        // the same epochs are in the event log, one JSON object per line, as they happen
        List<String> log = Files.readAllLines(dir.resolve("log.jsonl"));
        long epochs = log.stream().map(l -> parse(l)).filter(m -> "epoch".equals(m.get("event"))).count();
        assertEquals(14, epochs, log.toString());
    }

    @Test
    void onATerminalItDrawsTheBarAndNoPlainLines() {
        Tracker t = new Tracker("train", out, null, true, 0, clock::nanos);
        t.plan("run", "run", 20);
        t.begin("run", "run", 20);
        train(t.listener("run", 2, 10), 2, 10, 1.0);
        assertFalse(printed().contains(": epoch "), printed());
        assertTrue(printed().contains("run 2/2") && printed().contains("100%"), printed());
    }

    @Test
    void theEstimateComesFromTheStepsTimedHereAndFollowsThem() {
        Tracker t = new Tracker("train", out, null, false, 0, clock::nanos);
        assertTrue(Double.isNaN(t.secondsLeft()) || t.secondsLeft() == 0);
        t.plan("run", "run", 100);
        t.begin("run", "run", 100);
        assertTrue(Double.isNaN(t.secondsLeft()), "nothing timed yet, so no estimate");
        TrainListener l = t.listener("run", 1, 100);
        // the warm-up steps are slow (JIT) and not timed; then 0.5 s per step
        for (int i = 0; i < Tracker.WARM_STEPS; i++) {
            clock.secs += 5;
            l.onStep(new TrainListener.Step(0, i, 1, new double[0], 1, 8));
        }
        for (int i = Tracker.WARM_STEPS; i < Tracker.WARM_STEPS + Tracker.TIMED_STEPS; i++) {
            clock.secs += 0.5;
            l.onStep(new TrainListener.Step(0, i, 1, new double[0], 1, 8));
        }
        int done = Tracker.WARM_STEPS + Tracker.TIMED_STEPS;
        double elapsed = 5 * Tracker.WARM_STEPS + 0.5 * (done - Tracker.WARM_STEPS);
        assertEquals(elapsed + 0.5 * (100 - done), t.firstEstimate(), 1e-9);
        assertTrue(printed().contains("train: estimated "), printed());
        // the steps get twice as slow: the estimate follows the measured rate
        for (int i = done; i < 50; i++) {
            clock.secs += 1.0;
            l.onStep(new TrainListener.Step(0, i, 1, new double[0], 1, 8));
        }
        double rate = (0.5 * (done - Tracker.WARM_STEPS) + 1.0 * (50 - done)) / (50 - Tracker.WARM_STEPS);
        assertEquals(50 * rate, t.secondsLeft(), 1e-9);
        assertTrue(t.finishLine().contains("the first estimate was"), t.finishLine());
    }

    @Test
    void calibrationTimesAFewStepsOfEachKindAndCutsTheRunShort() {
        Tracker t = new Tracker("reproduce", out, null, false, 0, clock::nanos);
        t.plan("a", "fast", 1000);
        t.plan("b", "slow", 10);
        int[] stepsRun = {0};
        for (double secs : new double[] {0.01, 2.0}) {
            t.calibrating(secs < 1 ? "fast" : "slow", () -> {
                TrainListener l = t.listener("x", 1, 1000);
                for (int i = 0; i < 1000; i++) {
                    clock.secs += secs;
                    stepsRun[0]++;
                    l.onStep(new TrainListener.Step(0, i, 1, new double[0], 1, 8));
                }
            });
        }
        assertEquals(2 * (Tracker.WARM_STEPS + Tracker.TIMED_STEPS), stepsRun[0], "each calibration stops early");
        assertEquals(1000 * 0.01 + 10 * 2.0, t.secondsLeft(), 1e-6);
    }

    @Test
    void aLossThatGrowsByOrdersOfMagnitudeIsWarnedAbout() {
        Tracker t = new Tracker("train", out, null, false, 0, clock::nanos);
        t.plan("run", "run", 2);
        t.begin("run", "run", 2);
        TrainListener l = t.listener("run", 1, 2);
        l.onStep(new TrainListener.Step(0, 0, 2.3, new double[0], 2.3, 8));
        l.onStep(new TrainListener.Step(0, 1, 4e6, new double[0], 4e6, 8));
        l.onEpochEnd(new TrainListener.Epoch(0, 2, 2e6, 0.1, 100, 1, 1e6));
        assertTrue(printed().contains("warning: train run: the loss grew from 2.300 at the first step to 2.000e+06"),
                printed());
    }

    @Test
    void theBudgetStopsTheRunAndSaysSo() {
        Tracker t = new Tracker("reproduce", out, null, false, 1, clock::nanos);
        clock.secs = 59;
        assertFalse(t.shouldStop());
        assertNull(t.stopReason());
        clock.secs = 61;
        assertTrue(t.shouldStop());
        assertTrue(t.stopReason().contains("--max-minutes"), t.stopReason());
        assertEquals(3, t.exitCode());
        Tracker s = new Tracker("reproduce", out, null, false, 0, clock::nanos);
        s.signalled("SIGTERM");
        assertTrue(s.shouldStop());
        assertEquals(143, s.exitCode());
        assertTrue(s.stopReason().contains("SIGTERM"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String line) {
        try {
            return (Map<String, Object>) Json.parse(line, "log line");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
