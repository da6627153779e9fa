package dev.jacobi.cli.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The units of a long command (one configuration and seed each), run in order and kept: each finished unit is written
 * at once, atomically, to {@code DIR/ID.json} with its setup and its numbers. Run again with the same directory, the
 * finished units are read back instead of computed, unless {@code fresh}; a file whose setup differs from the unit's
 * is an error, never silently reused. Every result, computed or read back, comes from the file, so a resumed run
 * gives exactly what an uninterrupted one gives.
 */
public final class Runs {
    /**
     * One configuration and seed.
     *
     * @param id    the file name, {@code [a-z0-9._-]+}
     * @param kind  units of one kind run at the same speed (the estimate times each kind once)
     * @param setup what determines the result (compared with a finished file's)
     * @param steps optimizer steps of its training, 0 if it trains nothing
     * @param body  trains and measures; it may write files into the directory it is given
     */
    public record Unit(String id, String kind, Map<String, Object> setup, long steps, Body body) {
        public Unit {
            if (!id.matches("[a-z0-9._-]+")) {
                throw new IllegalArgumentException("Runs: unit id '" + id + "' must match [a-z0-9._-]+");
            }
        }
    }

    /** The work of a unit. */
    @FunctionalInterface
    public interface Body {
        /** Trains and measures, returning the numbers to keep (maps, lists, numbers, strings). */
        Map<String, Object> run(Path dir) throws IOException;
    }

    /**
     * What a call of {@code execute} gave.
     *
     * @param results    the finished units' numbers by id, in plan order, as read back from their files
     * @param total      the units planned
     * @param reused     the units an earlier run had finished
     * @param stopReason why it stopped early, or null when every unit finished
     * @param seconds    the compute time of the finished units, as each recorded it when it finished
     * @param setups     every unit's setup, by id
     */
    public record Outcome(Map<String, Map<String, Object>> results, int total, int reused, String stopReason,
                   double seconds, Map<String, Object> setups) {
        public boolean complete() {
            return results.size() == total;
        }
    }

    private final List<Unit> units;
    private final Path dir;
    private final Tracker t;
    private final Map<String, Map<String, Object>> done = new LinkedHashMap<>();
    private final Map<String, Double> seconds = new LinkedHashMap<>();
    private final List<Unit> todo = new ArrayList<>();
    private int reused;

    /**
     * Reads the units that {@code dir} holds from an earlier run (all of them deleted first if {@code fresh}) and
     * plans the others on the tracker.
     */
    public Runs(List<Unit> units, Path dir, boolean fresh, Tracker t) throws IOException {
        this.units = List.copyOf(units);
        this.dir = dir;
        this.t = t;
        Set<String> ids = new LinkedHashSet<>();
        for (Unit u : units) {
            if (!ids.add(u.id())) {
                throw new IllegalArgumentException("Runs: unit id '" + u.id() + "' occurs twice");
            }
        }
        if (fresh) {
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        for (Unit u : units) {
            Map<String, Object> r = read(dir, u);
            if (r != null) {
                done.put(u.id(), r);
                t.skip(u.id());
            } else {
                todo.add(u);
                t.plan(u.id(), u.kind(), u.steps());
            }
        }
        reused = done.size();
        if (reused > 0) {
            t.say(String.format("%d of %d runs were finished by an earlier run in %s and are reused (--fresh"
                    + " recomputes them)", reused, units.size(), dir));
        }
    }

    /** The directory of the unit files. */
    public Path dir() {
        return dir;
    }

    /** The number of finished units so far. */
    public int finished() {
        return done.size();
    }

    /** The number of units planned. */
    public int total() {
        return units.size();
    }

    /** Times the first steps of each kind of unit still to run (unless stopping), for the estimate. */
    public void calibrate() throws IOException {
        Path scratch = Files.createTempDirectory("jacobi-calibration");
        try {
            for (Unit u : todo) {
                if (u.steps() > 0 && !t.shouldStop()) {
                    t.calibrating(u.kind(), () -> {
                        try {
                            u.body().run(scratch);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                }
            }
        } finally {
            deleteTree(scratch);
        }
    }

    /**
     * Runs the units still to run, each written to its file as soon as it finishes. Stops between steps when the
     * tracker says so (budget or signal); the unit in progress is then dropped.
     */
    public Outcome run() throws IOException {
        int n = done.size() - reused;
        for (Unit u : pending()) {
            n++;
            if (t.shouldStop()) {
                break;
            }
            t.say(String.format("[%d/%d] %s", reused + n, units.size(), u.id()));
            t.begin(u.id(), u.kind(), u.steps());
            double start = t.elapsedSeconds();
            Map<String, Object> r;
            try {
                Path files = dir.resolve(u.id());
                Files.createDirectories(files);
                r = u.body().run(files);
            } catch (Tracker.Stopped stopped) {
                // the budget or a signal: this unit is dropped, and the caller reports what finished
                break;
            }
            t.end();
            save(u, r, t.elapsedSeconds() - start);
            double left = t.secondsLeft();
            t.say(String.format("[%d/%d] %s finished and saved; %s elapsed%s", reused + n, units.size(), u.id(),
                    Tracker.duration(t.elapsedSeconds()), Double.isNaN(left) ? ""
                            : ", about " + Tracker.duration(left) + " left"));
        }
        todo.removeIf(u -> done.containsKey(u.id()));
        Map<String, Map<String, Object>> ordered = new LinkedHashMap<>();
        for (Unit u : units) {
            if (done.containsKey(u.id())) {
                ordered.put(u.id(), done.get(u.id()));
            }
        }
        Map<String, Object> setups = new LinkedHashMap<>();
        double secs = 0;
        for (Unit u : units) {
            setups.put(u.id(), u.setup());
            secs += seconds.getOrDefault(u.id(), 0.0);
        }
        return new Outcome(ordered, units.size(), reused, ordered.size() == units.size() ? null
                : t.stopReason() == null ? "stopped early" : t.stopReason(), secs, setups);
    }

    /** The units that no run has finished yet, in plan order. */
    public List<Unit> pending() {
        return todo.stream().filter(u -> !done.containsKey(u.id())).toList();
    }

    /**
     * Keeps the numbers of a pending unit that ran elsewhere (a task of {@code reproduce --sweep}), exactly as
     * {@link #run} keeps those it computes: written at once, atomically, to {@code DIR/ID.json}.
     */
    public void record(String id, Map<String, Object> result, double secs) throws IOException {
        Unit u = todo.stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("Runs: no pending unit '" + id + "' in " + dir));
        save(u, result, secs);
        t.doneElsewhere(id, secs);
    }

    private void save(Unit u, Map<String, Object> r, double secs) throws IOException {
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("id", u.id());
        file.put("setup", u.setup());
        file.put("result", r);
        file.put("seconds", Math.round(secs * 10) / 10.0);
        Outputs.json(dir.resolve(u.id() + ".json"), file);
        done.put(u.id(), read(dir, u));
    }

    /**
     * The result of a finished unit, or null if its file does not exist; its setup must equal the unit's. Its
     * recorded compute time goes to {@link #seconds}.
     */
    @SuppressWarnings("unchecked")
    private Map<String, Object> read(Path dir, Unit u) throws IOException {
        Path f = dir.resolve(u.id() + ".json");
        if (!Files.exists(f)) {
            return null;
        }
        Object parsed = Json.parse(Files.readString(f, StandardCharsets.UTF_8), f.toString());
        if (!(parsed instanceof Map<?, ?> m) || !(m.get("setup") instanceof Map<?, ?>)
                || !(m.get("result") instanceof Map<?, ?>)) {
            throw new IOException(f + ": not a finished run (want an object with \"setup\" and \"result\"); delete it"
                    + " or rerun with --fresh");
        }
        String want = Json.line(u.setup());
        String got = Json.line(m.get("setup"));
        if (!want.equals(got)) {
            throw new IllegalArgumentException(f + " was written with a different setup: " + got + ", not " + want
                    + "; rerun with --fresh to recompute it, or use another --out");
        }
        if (m.get("seconds") instanceof Number secs) {
            seconds.put(u.id(), secs.doubleValue());
        }
        return (Map<String, Object>) m.get("result");
    }

    /** Deletes {@code dir} and everything in it, if it exists. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    // ------------------------------------------------------------------ reading results back

    /** A number of a result ({@code null}, written for a non-finite value, reads as NaN). */
    public static double num(Map<String, Object> r, String key) {
        Object v = r.get(key);
        if (v instanceof Number x) {
            return x.doubleValue();
        }
        if (v == null) {
            throw new IllegalArgumentException("Runs: result has no '" + key + "': " + r.keySet());
        }
        return Double.NaN;
    }

    /** A list of numbers of a result. */
    public static double[] nums(Map<String, Object> r, String key) {
        Object v = r.get(key);
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException("Runs: result has no list '" + key + "': " + r.keySet());
        }
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = l.get(i) instanceof Number x ? x.doubleValue() : Double.NaN;
        }
        return out;
    }
}
