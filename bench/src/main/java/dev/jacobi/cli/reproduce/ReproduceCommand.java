package dev.jacobi.cli.reproduce;

import dev.jacobi.cli.run.Json;
import dev.jacobi.cli.run.Outputs;
import dev.jacobi.cli.run.Runs;
import dev.jacobi.cli.run.TaskEngine;
import dev.jacobi.cli.run.Tracker;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jacobi reproduce NAME [--quick] [--out DIR] [--fresh] [--max-minutes N]}: small CPU-sized versions of the
 * five papers' experiments. Each writes {@code DIR/NAME/report.md} (its tables beside the paper's numbers and its
 * claims, judged over the seeds), {@code results.json}, its PNG plots and {@code log.jsonl}; {@code all} runs each in
 * turn and writes {@code DIR/index.md}. Every finished configuration and seed is kept in {@code DIR/NAME/runs-MODE/},
 * so a run stopped by Ctrl-C, SIGTERM or the time budget continues where it stopped when started again.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Reproduce a paper's experiment at CPU scale: bietti, mustafa, bcop, fantastic-four, roll,"
                + " lipschitz-layers or all.%nEach prints its table beside the paper's numbers, says whether the claim"
                + " was reproduced and writes report.md, results.json, log.jsonl and PNG plots to DIR/NAME/."
                + " Finished runs are kept in DIR/NAME/runs-full/ (or runs-quick/): run the same command again to"
                + " continue after Ctrl-C, SIGTERM or --max-minutes.",
        footer = {"%nExamples:",
                "  jacobi reproduce roll --quick        ROLL margins and linear regions, ~1 min",
                "  jacobi reproduce all --quick         every experiment, small",
                "  jacobi reproduce bcop --out res      full BCOP run, report in res/bcop/",
                "  jacobi reproduce roll --max-minutes 30   stop after 30 minutes with a partial report",
                "  jacobi reproduce mustafa --seeds 5   five seeds per configuration",
                "  jacobi reproduce bietti --sweep      its runs as Spark tasks, local[*]",
                "%nExit codes: 0 done, 3 stopped at --max-minutes (partial report), 130/143 stopped by Ctrl-C/SIGTERM."})
public final class ReproduceCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "bietti, mustafa, bcop, fantastic-four, roll,"
            + " lipschitz-layers or all")
    String name;

    @Option(names = "--quick",
            description = "Small version (a smoke test of the pipeline), under 2 minutes each on 2 cores.")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("jacobi-out", "reproduce");

    @Option(names = "--fresh", description = "Recompute every run, even those an earlier run in DIR finished.")
    boolean fresh;

    @Option(names = "--max-minutes", paramLabel = "N", description = "Stop cleanly after N minutes with a partial"
            + " report; the finished runs are kept (default: no limit).")
    double maxMinutes;

    @Option(names = "--seeds", paramLabel = "N", description = "Seeds per configuration (default: 3, or 1 with"
            + " --quick); claims are judged on the mean minus one standard deviation over them.")
    Integer seeds;

    @Option(names = "--sweep", description = "Run the configurations and seeds as one sweep of Apache Spark tasks"
            + " (see jacobi sweep), then report as usual: the same results.json.")
    boolean sweep;

    @Option(names = "--master", paramLabel = "URL", description = "With --sweep: the Spark master, local[*] (the"
            + " default), local[N], spark://HOST:PORT or k8s://...")
    String master;

    @Option(names = "--threads", paramLabel = "N", description = "Kernel threads (default: all cores); with --sweep,"
            + " per task (default: the cores divided among the tasks that run at once).")
    Integer threads;

    /** Every experiment, in the order {@code all} runs them. */
    static List<Reproduction> all() {
        return List.of(new ReproBietti(), new ReproMustafa(), new ReproBcop(), new ReproFantasticFour(),
                new ReproRoll(), new ReproLipschitzLayers());
    }

    /**
     * The run {@code id} of experiment {@code name} in the given mode and number of seeds: what a task of
     * {@code reproduce --sweep} runs.
     */
    public static Runs.Unit unit(String name, boolean quick, int seeds, String id) {
        Reproduction r = all().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("reproduce: unknown experiment '" + name + "'; choose one of "
                        + String.join(", ", names())));
        return r.units(quick, seeds).stream().filter(u -> u.id().equals(id)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("reproduce " + name + ": no run '" + id + "' with " + seeds
                        + " seed(s)" + (quick ? " in --quick" : "")));
    }

    /** The names {@code NAME} accepts. */
    static List<String> names() {
        List<String> n = new ArrayList<>(all().stream().map(Reproduction::name).toList());
        n.add("all");
        return n;
    }

    @Override
    public Integer call() throws IOException {
        List<Reproduction> chosen = name.equals("all") ? all()
                : all().stream().filter(r -> r.name().equals(name)).toList();
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("reproduce: unknown experiment '" + name + "'; choose one of "
                    + String.join(", ", names()));
        }
        if (seeds != null && (seeds < 1 || seeds > 20)) {
            throw new IllegalArgumentException("--seeds must be between 1 and 20, got " + seeds);
        }
        if (master != null && !sweep) {
            throw new IllegalArgumentException("--master " + master + " needs --sweep (without it the runs are done"
                    + " here, one after another)");
        }
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be positive, got " + threads);
        }
        if (threads != null && !sweep) {
            dev.jacobi.core.Parallel.setThreads(threads);
        }
        for (Reproduction r : chosen) {
            for (String set : r.dataSets(quick)) {
                Repro.load(set);
            }
        }
        Path logFile = chosen.size() > 1 ? out.resolve("log.jsonl") : out.resolve(name).resolve("log.jsonl");
        Tracker t = Tracker.console("reproduce " + name + (quick ? " --quick" : ""), logFile, maxMinutes);
        return run(chosen, t);
    }

    /** Plans every unit, times the first steps of each kind, then runs and reports each experiment in turn. */
    int run(List<Reproduction> chosen, Tracker t) throws IOException {
        t.install();
        try (Tracker.Signals ignored = t.trapSignals()) {
            String mode = quick ? "quick" : "full";
            List<Runs> runs = new ArrayList<>();
            for (Reproduction r : chosen) {
                runs.add(new Runs(r.units(quick, seedsOf(r)), out.resolve(r.name()).resolve("runs-" + mode), fresh, t));
            }
            if (sweep) {
                sweep(chosen, runs, t);
            } else {
                t.say(String.format(Locale.ROOT, "%s: %d runs in all; timing the first steps of each kind of run",
                        "reproduce " + name, runs.stream().mapToInt(Runs::total).sum()));
                for (Runs u : runs) {
                    u.calibrate();
                }
                t.printEstimate("from timing the first steps of each kind of run");
            }
            List<List<String>> index = new ArrayList<>();
            String stopped = null;
            for (int i = 0; i < chosen.size(); i++) {
                Reproduction r = chosen.get(i);
                Path dir = out.resolve(r.name());
                if (chosen.size() > 1) {
                    t.say(String.format(Locale.ROOT, "%n== %s ==", r.name()));
                }
                double t0 = t.elapsedSeconds();
                Runs.Outcome o = runs.get(i).run();
                if (!o.complete()) {
                    stopped = o.stopReason();
                    writePartial(r, o, quick, dir, runs.get(i).dir());
                    t.say(String.format(Locale.ROOT, "%s: %s; %d of %d runs are finished and kept in %s (run the"
                                    + " same command again to continue; --fresh starts over); partial report in %s",
                            r.name(), stopped, o.results().size(), o.total(), runs.get(i).dir(),
                            dir.resolve("report.md")));
                    index.add(List.of("[" + r.name() + "](" + r.name() + "/report.md)", "partial", stopped, ""));
                    break;
                }
                int n = seedsOf(r);
                Reproduction.Result res = r.summarise(quick, n, o.results(), runs.get(i).dir(), dir);
                List<Map<String, Object>> claims = new ArrayList<>();
                for (Claim c : r.claims(quick)) {
                    claims.add(c.evaluate(o.results(), n));
                }
                String verdict = Claim.verdict(claims);
                double secs = t.elapsedSeconds() - t0;
                write(r, res, claims, verdict, quick, n, o, dir);
                t.say("");
                t.say(res.body());
                t.say(Claim.table(claims));
                t.say("Reproduced: " + verdict + (quick ? " (--quick: a smoke test of the pipeline, not a verdict on"
                        + " the paper)" : ""));
                t.say(String.format(Locale.ROOT, "(%s; report in %s)", Tracker.duration(secs),
                        dir.resolve("report.md")));
                index.add(List.of("[" + r.name() + "](" + r.name() + "/report.md)", verdict, reasons(claims),
                        Tracker.duration(secs)));
            }
            if (chosen.size() > 1) {
                Outputs.text(out.resolve("index.md"), "# Reproductions" + (quick ? " (--quick)" : "")
                        + (stopped == null ? "" : " (partial: " + stopped + ")") + "\n\n"
                        + Outputs.table(List.of("experiment", "reproduced", "because", "wall time"), index));
            }
            t.say(t.finishLine());
            return stopped == null ? 0 : t.exitCode();
        } finally {
            t.close();
        }
    }

    /**
     * Runs every pending unit of the chosen experiments as one sweep of Spark tasks ({@link TaskEngine}), keeping
     * each as it finishes, exactly as a run here keeps it; the report then reads them back. Failed units stay
     * pending: the error lists them, and the same command runs them again.
     */
    private void sweep(List<Reproduction> chosen, List<Runs> runs, Tracker t) throws IOException {
        TaskEngine engine = TaskEngine.find("reproduce --sweep");
        String mode = quick ? "quick" : "full";
        List<TaskEngine.Task> tasks = new ArrayList<>();
        Map<String, Runs> owner = new LinkedHashMap<>();
        Map<String, String> unitOf = new LinkedHashMap<>();
        for (int i = 0; i < chosen.size(); i++) {
            Reproduction r = chosen.get(i);
            for (Runs.Unit u : runs.get(i).pending()) {
                String id = r.name() + "." + u.id();
                tasks.add(new TaskEngine.Task(id, List.of("unit", r.name(), mode, String.valueOf(seedsOf(r)), u.id()),
                        runs.get(i).dir().resolve(u.id()).toString()));
                owner.put(id, runs.get(i));
                unitOf.put(id, u.id());
            }
        }
        String where = master == null ? "local[*]" : master;
        t.say(String.format(Locale.ROOT, "reproduce %s --sweep: %d runs as Spark tasks on %s", name, tasks.size(),
                where));
        List<String> failed = new ArrayList<>();
        int[] finished = {0};
        engine.run(tasks, where, threads, o -> {
            finished[0]++;
            String id = o.task().id();
            if (o.failed()) {
                failed.add(id + ": " + o.error());
                t.say(String.format(Locale.ROOT, "[%d/%d] %s failed after %s on %s: %s", finished[0], tasks.size(), id,
                        Tracker.duration(o.seconds()), o.where(), o.error()));
                return;
            }
            try {
                owner.get(id).record(unitOf.get(id), o.result(), o.seconds());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            t.say(String.format(Locale.ROOT, "[%d/%d] %s finished in %s on %s and saved; %s elapsed", finished[0],
                    tasks.size(), id, Tracker.duration(o.seconds()), o.where(), Tracker.duration(t.elapsedSeconds())));
        }, t::shouldStop);
        // stopped (a signal, --max-minutes): the runs below stop at once and write the partial report
        if (!failed.isEmpty()) {
            throw new IllegalStateException(String.format(Locale.ROOT, "reproduce --sweep: %d of %d runs failed (%s);"
                    + " the others are kept, and the same command runs the failed ones again", failed.size(),
                    tasks.size(), String.join("; ", failed)));
        }
    }

    /**
     * docs/reproductions/CLAIMS.md: every experiment's claims with the paper's numbers and the bands, from the
     * definitions the runs use (a test keeps the file equal to this).
     */
    static String claimsMarkdown() {
        StringBuilder sb = new StringBuilder("# Claims tested by `jacobi reproduce`\n\n"
                + "Fixed before the runs; the bands are never widened after one. Where a band scales the paper's"
                + " effect down to this CPU, it keeps at least half of it. A claim is reproduced only if the mean over"
                + " the seeds minus one standard deviation (plus one, for an upper end) stays inside its band; the"
                + " full mode runs 3 seeds, the --quick smoke test 1. Generated from the code"
                + " (`ReproduceCommand.claimsMarkdown`); `ClaimsDocTest` fails when the two differ.\n");
        for (Reproduction r : all()) {
            sb.append("\n## ").append(r.name()).append("\n\n**Paper:** ").append(r.paper()).append("\n\n");
            List<List<String>> rows = new ArrayList<>();
            for (Claim c : r.claims(false)) {
                rows.add(List.of(c.id(), c.statement(), c.paperValue(), c.band()));
            }
            sb.append(Outputs.table(List.of("claim", "CPU-scale claim", "paper", "band"), rows));
        }
        return sb.toString();
    }

    private int seedsOf(Reproduction r) {
        return seeds != null ? seeds : r.defaultSeeds(quick);
    }

    /** One line: each claim with its mean and verdict. */
    static String reasons(List<Map<String, Object>> claims) {
        List<String> parts = new ArrayList<>();
        for (Map<String, Object> c : claims) {
            parts.add(c.get("id") + " " + Claim.fmt((double) c.get("mean")) + " (band " + c.get("band") + "): "
                    + c.get("verdict"));
        }
        return String.join("; ", parts);
    }

    /**
     * Writes {@code report.md} and {@code results.json} of a finished experiment. {@code minutes} is the compute time
     * of its units as recorded when each finished, so a run that reuses every unit writes the same file again.
     */
    static void write(Reproduction r, Reproduction.Result res, List<Map<String, Object>> claims, String verdict,
                      boolean quick, int seeds, Runs.Outcome o, Path dir) throws IOException {
        double minutes = Math.round(o.seconds() / 60 * 100) / 100.0; // to the hundredth of a minute
        String md = "# Reproduction: " + r.name() + (quick ? " (--quick)" : "") + "\n\n"
                + "**Paper:** " + r.paper() + "\n\n"
                + "**Claim:** " + r.claim() + "\n\n"
                + (quick ? "**This is the --quick smoke test:** a reduced run that checks the pipeline end to end; its"
                        + " verdict says nothing about the paper. The full run is `jacobi reproduce " + r.name()
                        + "`.\n\n" : "")
                + res.body().strip() + "\n\n"
                + "## Claims (fixed before the run; docs/reproductions/CLAIMS.md)\n\n"
                + "A claim is reproduced if the mean over " + seeds + " seed(s) minus one standard deviation (plus one,"
                + " for an upper end) stays inside its band.\n\n"
                + Claim.table(claims) + "\n"
                + "**Reproduced: " + verdict + "**\n\n"
                + String.format(Locale.ROOT, "Compute time of its runs: %.1f min on %d cores (`jacobi reproduce %s%s`).%n",
                        minutes, Runtime.getRuntime().availableProcessors(), r.name(), (quick ? " --quick" : "")
                                + (seeds != r.defaultSeeds(quick) ? " --seeds " + seeds : ""));
        Outputs.text(dir.resolve("report.md"), md);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", r.name());
        json.put("paper", r.paper());
        json.put("mode", quick ? "quick" : "full");
        List<Integer> seedList = new ArrayList<>();
        for (int s = 0; s < seeds; s++) {
            seedList.add(s);
        }
        json.put("seeds", seedList);
        json.put("setup", o.setups());
        json.put("claims", claims);
        json.put("verdict", verdict);
        json.put("minutes", minutes);
        json.put("environment", environment());
        json.put("results", res.data());
        Outputs.json(dir.resolve("results.json"), json);
    }

    /** Where the report was written: JDK, kernel threads, CPU model and the date (UTC). */
    static Map<String, Object> environment() {
        String cpu = System.getProperty("os.arch");
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
        } catch (IOException | RuntimeException notLinux) {
            // keep the architecture: there is no /proc/cpuinfo outside Linux
        }
        return Repro.map("jdk", System.getProperty("java.version"), "threads", dev.jacobi.core.Parallel.threads(),
                "cpu", cpu, "date", java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString());
    }

    /** Writes the report of a run stopped before every unit finished: what finished, and no verdict. */
    static void writePartial(Reproduction r, Runs.Outcome o, boolean quick, Path dir, Path runsDir)
            throws IOException {
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : o.results().entrySet()) {
            rows.add(List.of(e.getKey(), Json.line(e.getValue()).replace("|", "\\|")));
        }
        String md = "# Reproduction: " + r.name() + (quick ? " (--quick)" : "") + " — partial\n\n"
                + "**Partial:** " + o.stopReason() + " with " + o.results().size() + " of " + o.total() + " runs"
                + " finished, so there is no verdict. The finished runs are kept in `" + runsDir + "`; run the same"
                + " command again to continue.\n\n"
                + "**Paper:** " + r.paper() + "\n\n"
                + "**Claim:** " + r.claim() + "\n\n"
                + (rows.isEmpty() ? "No run finished.\n" : Outputs.table(List.of("finished run", "numbers"), rows));
        Outputs.text(dir.resolve("report.md"), md);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", r.name());
        json.put("paper", r.paper());
        json.put("claim", r.claim());
        json.put("mode", quick ? "quick" : "full");
        json.put("partial", true);
        json.put("reason", o.stopReason());
        json.put("finished", o.results().size());
        json.put("planned", o.total());
        json.put("runs", o.results());
        Outputs.json(dir.resolve("results.json"), json);
    }
}
