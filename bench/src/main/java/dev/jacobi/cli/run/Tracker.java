package dev.jacobi.cli.run;

import dev.jacobi.train.TrainListener;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Where a long command is, how long it will take, and when it must stop: the progress of {@code train}, the main job
 * and {@code reproduce}.
 *
 * <ul>
 *   <li><b>Progress.</b> On a terminal, a progress bar per epoch. Otherwise (a log file, CI) one plain line per
 *       epoch, or one every 30 seconds when epochs are shorter, whichever is rarer, plus the last epoch of each run:
 *       the run's name, epoch and step counts, loss, throughput and the estimated time left. An epoch longer than
 *       two minutes also gets a line (step count and the epoch's mean loss so far) every two minutes. The same events go to
 *       a JSON-lines log as they happen.</li>
 *   <li><b>Estimates.</b> Only from steps timed in this process, on this machine and JDK: the seconds per step of each
 *       kind of run (from {@link #calibrating} runs of a few steps, or from the run in progress), plus the time that
 *       finished runs of that kind (or, before one finished, of any kind) spent beyond their steps, in evaluation.
 *       The first estimate is printed as soon as it exists and the last line gives it beside the actual time.</li>
 *   <li><b>Budget and signals.</b> {@link #shouldStop()} turns true after {@code --max-minutes} or once SIGTERM or
 *       Ctrl-C arrived; trainers ask it before every step.</li>
 * </ul>
 */
public final class Tracker {
    /** Thrown out of a training run stopped by the budget or a signal, so that its unit is not recorded. */
    public static final class Stopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Stopped(String why) {
            super(why);
        }
    }

    /** Thrown out of a run that has been timed for long enough by {@link #calibrating}. */
    static final class Calibrated extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Calibrated() {
            super("calibrated", null, false, false);
        }
    }

    /**
     * Steps not timed because of JIT warm-up, and steps timed per kind when calibrating. The first steps of a kind run
     * several times slower than the later ones while the JIT compiles its kernels (a ROLL MLP on MNIST: about 2 s per
     * step over steps 3-6, 0.7 s once warm), so the timing starts only after 8, and a calibration takes the median
     * of the next 6 (a GC pause or a burst of another process on the machine moves a mean of 4 by 10x).
     */
    static final int WARM_STEPS = 8;
    static final int TIMED_STEPS = 6;
    static final long LINE_NANOS = 30_000_000_000L;
    /** Within a long epoch, off a terminal: a line at least this often. */
    static final long MID_EPOCH_NANOS = 120_000_000_000L;
    /** An epoch's mean loss this many times the first step's gets a warning. */
    static final double LOSS_GROWTH = 100;

    private static volatile Tracker current;
    private java.util.function.BiConsumer<String, TrainListener.Step> stepObserver;

    private final String name;
    private final PrintStream out;
    private final Path log;
    private final boolean tty;
    private final double budgetSeconds;
    private final LongSupplier clock;
    private final long start;
    private volatile String signal;
    private volatile boolean overBudget;
    // the plan: steps of the units not yet finished, by kind
    private final Map<String, Double> secPerStep = new HashMap<>();
    private final Map<String, Double> extraSeconds = new HashMap<>();
    private final Map<String, Double> unitSeconds = new HashMap<>();
    private final List<Planned> remaining = new ArrayList<>();
    private double firstEstimate = Double.NaN;
    // the unit in progress
    private String unit = "";
    private String kind = "";
    private long unitSteps;
    private long unitStepsDone;
    private long unitStart;
    private long warmAt = -1;
    private long lastStepAt;
    private final List<Double> stepTimes = new ArrayList<>();
    private boolean calibrating;
    private long lastEpochLine;

    /**
     * A tracker for the command {@code name}.
     *
     * @param out where progress goes
     * @param log the JSON-lines event log (appended to; created with its directory), or null
     * @param tty whether {@code out} is a terminal
     * @param maxMinutes the time budget in minutes, or 0 for none
     * @param clock nanoseconds, {@link System#nanoTime} outside tests
     */
    public Tracker(String name, PrintStream out, Path log, boolean tty, double maxMinutes, LongSupplier clock) {
        if (maxMinutes < 0 || Double.isNaN(maxMinutes)) {
            throw new IllegalArgumentException("--max-minutes must be >= 0 (0: no budget), got " + maxMinutes);
        }
        this.name = name;
        this.out = out;
        this.log = log;
        this.tty = tty;
        this.budgetSeconds = maxMinutes * 60;
        this.clock = clock;
        this.start = clock.getAsLong();
        if (log != null) {
            try {
                Files.createDirectories(log.toAbsolutePath().getParent());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the folder of the log " + log + ": " + e.getMessage(), e);
            }
        }
        this.lastEpochLine = start - LINE_NANOS;
    }

    /** A tracker on standard output, a terminal if there is a console, with the system clock. */
    public static Tracker console(String name, Path log, double maxMinutes) {
        return new Tracker(name, System.out, log, System.console() != null, maxMinutes, System::nanoTime);
    }

    private static final ThreadLocal<Tracker> OWN = new ThreadLocal<>();

    /**
     * The tracker of the unit running now (read by {@code Repro.train}), or null: the one {@link #runHere} set on
     * this thread, else the one installed.
     */
    public static Tracker current() {
        Tracker own = OWN.get();
        return own != null ? own : current;
    }

    /**
     * Runs {@code body} with this tracker as {@link #current()} on the calling thread only: a sweep's task, which
     * runs beside other tasks in the same JVM, keeps its own progress apart from the command's.
     */
    public <T> T runHere(java.util.concurrent.Callable<T> body) throws Exception {
        Tracker before = OWN.get();
        OWN.set(this);
        try {
            return body.call();
        } finally {
            if (before == null) {
                OWN.remove();
            } else {
                OWN.set(before);
            }
        }
    }

    /** Makes this the {@link #current()} tracker until {@link #close()}. */
    public Tracker install() {
        current = this;
        event("start", "budget_minutes", budgetSeconds / 60);
        return this;
    }

    public void close() {
        if (current == this) {
            current = null;
        }
    }

    public double elapsedSeconds() {
        return (clock.getAsLong() - start) / 1e9;
    }

    /** Whether the budget is spent or a signal arrived: stop before the next step. */
    public boolean shouldStop() {
        if (!overBudget && budgetSeconds > 0 && elapsedSeconds() >= budgetSeconds) {
            overBudget = true;
            event("budget_reached", "minutes", budgetSeconds / 60);
        }
        return overBudget || signal != null;
    }

    /** Why {@link #shouldStop()} is true, for the report, or null. */
    public String stopReason() {
        if (signal != null) {
            return "stopped by " + signal;
        }
        return overBudget ? String.format(Locale.ROOT, "stopped at the --max-minutes budget (%s)",
                duration(budgetSeconds)) : null;
    }

    /** Records that a signal arrived: {@link #shouldStop()} turns true. */
    void signalled(String what) {
        signal = what;
        event("signal", "signal", what);
    }

    /** The exit code of a command that stopped early: 128 + the signal's number, or 3 at the time budget. */
    public int exitCode() {
        return "SIGINT".equals(signal) ? 130 : signal != null ? 143 : 3;
    }

    /**
     * Handles SIGTERM and SIGINT (Ctrl-C) until closed: the first one makes {@link #shouldStop()} true, so the run
     * stops after the current step and keeps what finished; a second one exits at once, but never in the middle of
     * a file write.
     */
    public Signals trapSignals() {
        return new Signals();
    }

    /** The signal handlers of {@link #trapSignals()}; closing restores the JVM's own. */
    public final class Signals implements AutoCloseable {
        private final List<sun.misc.Signal> signals = new ArrayList<>();
        private final List<sun.misc.SignalHandler> previous = new ArrayList<>();

        public Signals() {
            for (String n : new String[] {"TERM", "INT"}) {
                try {
                    sun.misc.Signal sig = new sun.misc.Signal(n);
                    previous.add(sun.misc.Signal.handle(sig, this::onSignal));
                    signals.add(sig);
                } catch (IllegalArgumentException unsupported) {
                    // this JVM or OS does not let us handle it: the default (exit at once) stays
                }
            }
        }

        private void onSignal(sun.misc.Signal sig) {
            String what = "SIG" + sig.getName();
            if (signal == null) {
                signalled(what);
                say(what + " received: stopping after the current step and keeping every finished run (send it"
                        + " again to quit at once)");
            } else {
                synchronized (Outputs.LOCK) {
                    Runtime.getRuntime().halt(128 + sig.getNumber());
                }
            }
        }

        @Override
        public void close() {
            for (int i = 0; i < signals.size(); i++) {
                sun.misc.Signal.handle(signals.get(i), previous.get(i));
            }
        }
    }

    // ------------------------------------------------------------------ the plan

    /** A unit still to run: {@code steps} optimizer steps of a run of kind {@code kind}. */
    private record Planned(String id, String kind, long steps) {
    }

    /** Adds a unit of work to the plan: {@code steps} optimizer steps of a run of the given kind. */
    public void plan(String id, String unitKind, long steps) {
        remaining.add(new Planned(id, unitKind, steps));
    }

    /**
     * Times a few steps of a kind of run whose speed is not known yet: {@code body} starts the run and is cut short
     * by {@link Calibrated} after {@link #WARM_STEPS} + {@link #TIMED_STEPS} steps.
     */
    public void calibrating(String unitKind, Runnable body) {
        if (secPerStep.containsKey(unitKind)) {
            return;
        }
        begin("calibration of " + unitKind, unitKind, WARM_STEPS + TIMED_STEPS);
        calibrating = true;
        try {
            body.run();
        } catch (Calibrated | Stopped done) {
            // timed, or stopped by the budget or a signal before it could be
        } finally {
            calibrating = false;
        }
        event("calibrated", "kind", unitKind, "seconds_per_step", secPerStep.get(unitKind));
    }

    /** The estimate of the time left, in seconds, or NaN when no step has been timed. */
    double secondsLeft() {
        double left = 0;
        double meanExtra = extraSeconds.values().stream().mapToDouble(Double::doubleValue).average().orElse(0);
        boolean known = false;
        for (Planned p : remaining) {
            String k = p.kind();
            long steps = p.steps();
            boolean isCurrent = p.id().equals(unit) && !calibrating;
            if (isCurrent) {
                steps = Math.max(0, steps - unitStepsDone);
            }
            Double rate = secPerStep.get(k);
            if (steps == 0 && unitSeconds.containsKey(k)) {
                left += isCurrent ? Math.max(0, unitSeconds.get(k) - (clock.getAsLong() - unitStart) / 1e9)
                        : unitSeconds.get(k);
                known = true;
            } else if (rate != null) {
                double extra = extraSeconds.getOrDefault(k, meanExtra);
                left += steps * rate + (isCurrent && steps == 0 ? 0 : extra);
                known = true;
            }
        }
        return known || remaining.isEmpty() ? left : Double.NaN;
    }

    /** Prints and logs the estimate; the first one is kept for the final line. */
    public void printEstimate(String why) {
        double left = secondsLeft();
        if (Double.isNaN(left)) {
            return;
        }
        estimate(left, why);
        out.printf(Locale.ROOT, "%s: estimated %s in all, %s left (%s, timed on this machine)%n", name,
                duration(elapsedSeconds() + left), duration(left), why);
    }

    /**
     * Tells the estimate that a unit of {@code unitKind} spends {@code seconds} beyond its steps (an evaluation timed
     * on a small slice); replaced by the measured time once such a unit finishes.
     */
    public void expectExtra(String unitKind, double seconds) {
        extraSeconds.put(unitKind, seconds);
    }

    /**
     * Records an estimate ({@code left} seconds from now) in the log; the first one is kept for the final line. JMH's
     * ETA comes in here directly.
     */
    void estimate(double left, String basis) {
        double total = elapsedSeconds() + left;
        if (Double.isNaN(firstEstimate)) {
            firstEstimate = total;
        }
        event("estimate", "total_seconds", total, "left_seconds", left, "basis", basis);
    }

    // ------------------------------------------------------------------ units

    /** Starts the unit {@code id} of {@code steps} optimizer steps. */
    public void begin(String id, String unitKind, long steps) {
        unit = id;
        kind = unitKind;
        unitSteps = steps;
        unitStepsDone = 0;
        unitStart = clock.getAsLong();
        warmAt = -1;
        lastEpochLine = unitStart - LINE_NANOS;
    }

    /** Also hands every training step (not the calibration's) to {@code o}, with the run's label. */
    public void observeSteps(java.util.function.BiConsumer<String, TrainListener.Step> o) {
        this.stepObserver = o;
    }

    /** The id of the unit in progress. */
    public String unit() {
        return unit;
    }

    /** Ends the unit in progress and learns how long such units take beyond their steps. */
    public void end() {
        double secs = (clock.getAsLong() - unitStart) / 1e9;
        Double rate = secPerStep.get(kind);
        if (unitSteps > 0 && rate != null && unitStepsDone > 0) {
            extraSeconds.put(kind, Math.max(0, secs - unitStepsDone * rate));
        } else if (unitSteps == 0) {
            unitSeconds.put(kind, secs);
        }
        String done = unit;
        remaining.removeIf(p -> p.id().equals(done));
        event("unit_done", "unit", unit, "kind", kind, "seconds", secs, "steps", unitStepsDone);
        unit = "";
    }

    /** Takes a planned unit that finished elsewhere (a sweep's task), in {@code seconds}, off the plan. */
    public void doneElsewhere(String id, double seconds) {
        remaining.removeIf(p -> p.id().equals(id));
        event("unit_done", "unit", id, "seconds", seconds, "elsewhere", true);
    }

    /** Logs a unit that an earlier run finished (it is never planned). */
    void skip(String id) {
        event("unit_skipped", "unit", id);
    }

    /**
     * A listener for one training run of the current unit ({@code epochs} epochs of {@code perEpoch} steps): it
     * times the steps, draws the progress and logs each epoch.
     */
    public TrainListener listener(String label, int epochs, int perEpoch) {
        return new TrainListener() {
            Progress bar;
            double lossSum;
            int seen;
            int steps;
            double firstLoss = Double.NaN;
            boolean warned;

            @Override
            public void onStep(Step s) {
                long now = clock.getAsLong();
                unitStepsDone++;
                if (Double.isNaN(firstLoss)) {
                    firstLoss = s.loss();
                }
                if (unitStepsDone == WARM_STEPS) {
                    warmAt = now;
                    stepTimes.clear();
                } else if (warmAt >= 0 && unitStepsDone > WARM_STEPS) {
                    stepTimes.add((now - lastStepAt) / 1e9);
                    // calibrating: the median step, robust to a GC pause or another process's burst; a run: the mean
                    secPerStep.put(kind, calibrating ? median(stepTimes)
                            : (now - warmAt) / 1e9 / (unitStepsDone - WARM_STEPS));
                    if (Double.isNaN(firstEstimate) && !calibrating && unitStepsDone >= WARM_STEPS + TIMED_STEPS) {
                        printEstimate("from the first steps of " + label);
                    }
                }
                lastStepAt = now;
                if (calibrating) {
                    if (unitStepsDone >= WARM_STEPS + TIMED_STEPS) {
                        throw new Calibrated();
                    }
                    return;
                }
                if (bar == null) {
                    bar = tty ? new Progress(out, label + " " + (s.epoch() + 1) + "/" + epochs, perEpoch) : null;
                    lossSum = 0;
                    seen = 0;
                    steps = 0;
                }
                lossSum += s.loss();
                seen += s.batchSize();
                steps++;
                event("step", "unit", unit, "run", label, "epoch", s.epoch() + 1, "step", s.step() + 1, "loss", s.loss(),
                        "penalties", s.penalties());
                if (stepObserver != null) {
                    stepObserver.accept(label, s);
                }
                if (bar != null) {
                    bar.update(steps, seen, lossSum / steps, Double.NaN);
                } else if (now - lastEpochLine >= MID_EPOCH_NANOS && steps < perEpoch) {
                    lastEpochLine = now;
                    out.println(String.format(Locale.ROOT, "%s %s: epoch %d/%d, step %d/%d, loss so far %.4f, %s"
                                    + " elapsed, %s", name, label, s.epoch() + 1, epochs, unitStepsDone, unitSteps,
                            lossSum / steps, duration(elapsedSeconds()), leftText()));
                    out.flush();
                }
            }

            @Override
            public void onEpochEnd(Epoch e) {
                if (calibrating) {
                    return;
                }
                if (bar != null) {
                    bar.finish(seen, e.meanLoss(), e.trainAccuracy());
                }
                bar = null;
                long now = clock.getAsLong();
                boolean last = e.epoch() + 1 == epochs;
                if (!tty && (now - lastEpochLine >= LINE_NANOS || last)) {
                    lastEpochLine = now;
                    out.println(String.format(Locale.ROOT,
                            "%s %s: epoch %d/%d, step %d/%d, loss %.4f, train acc %.1f%%, %.0f ex/s, %s elapsed, %s",
                            name, label, e.epoch() + 1, epochs, unitStepsDone, unitSteps, e.meanLoss(),
                            100 * e.trainAccuracy(), e.examplesPerSecond(), duration(elapsedSeconds()), leftText()));
                    out.flush();
                }
                if (!warned && e.meanLoss() > LOSS_GROWTH * Math.max(firstLoss, 1e-3)) {
                    warned = true;
                    String w = String.format(Locale.ROOT, "warning: %s %s: the loss grew from %.4g at the first step to"
                            + " %.4g in epoch %d (more than %.0fx); the learning rate may be too large", name, label,
                            firstLoss, e.meanLoss(), e.epoch() + 1, LOSS_GROWTH);
                    say(w);
                    event("warning", "unit", unit, "run", label, "message", w);
                }
                event("epoch", "unit", unit, "run", label, "epoch", e.epoch() + 1, "epochs", epochs, "steps", e.steps(),
                        "loss", e.meanLoss(), "train_accuracy", e.trainAccuracy(),
                        "examples_per_second", e.examplesPerSecond(), "seconds", e.elapsedSeconds(), "lr", e.lr(),
                        "left_seconds", secondsLeft());
            }
        };
    }

    private String leftText() {
        double left = secondsLeft();
        return Double.isNaN(left) ? "time left not estimated yet" : "about " + duration(left) + " left";
    }

    /** Prints a plain line of progress, also on a terminal. */
    public void say(String line) {
        out.println(line);
        out.flush();
    }

    /** The final line: the first estimate beside the actual time. */
    public String finishLine() {
        double actual = elapsedSeconds();
        event("finished", "seconds", actual, "first_estimate_seconds", firstEstimate);
        String how = stopReason() == null ? "finished in " : stopReason() + " after ";
        return String.format(Locale.ROOT, "%s %s%s%s", name, how, duration(actual), Double.isNaN(firstEstimate)
                ? "" : "; the first estimate was " + duration(firstEstimate));
    }

    /** The first estimate of the total time, in seconds, or NaN. */
    double firstEstimate() {
        return firstEstimate;
    }

    // ------------------------------------------------------------------ the event log

    /** Appends one event (alternating keys and values) to the JSON-lines log, with the seconds since the start. */
    public void event(String type, Object... kv) {
        if (log == null) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("t", Math.round(elapsedSeconds() * 1000) / 1000.0);
        m.put("event", type);
        m.put("command", name);
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        try {
            Files.write(log, (Json.line(m) + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the log " + log + ": " + e.getMessage(), e);
        }
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        java.util.Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** {@code 45 s}, {@code 12 min}, {@code 1 h 05 min}. */
    public static String duration(double secs) {
        if (secs < 90) {
            return Math.round(secs) + " s";
        }
        long min = Math.round(secs / 60);
        return min < 90 ? min + " min" : String.format(Locale.ROOT, "%d h %02d min", min / 60, min % 60);
    }
}
