package dev.jacobi.bench.cli;

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
 * {@code jacobi reproduce NAME [--quick] [--out DIR]}: small CPU-sized versions of the five papers' experiments. Each
 * writes {@code DIR/NAME/report.md} (its table beside the paper's numbers and a "Reproduced: yes/no/partly" line),
 * {@code results.json} and its PNG plots; {@code all} runs each in turn and writes {@code DIR/index.md}.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Reproduce a paper's experiment at CPU scale: bietti, mustafa, bcop, fantastic-four, roll or all."
                + "%nEach prints its table beside the paper's numbers, says whether the claim was reproduced and"
                + " writes report.md, results.json and PNG plots to DIR/NAME/.",
        footer = {"%nExamples:",
                "  jacobi reproduce roll --quick        ROLL margins and linear regions, ~1 min",
                "  jacobi reproduce all --quick         every experiment, small",
                "  jacobi reproduce bcop --out res      full BCOP run, report in res/bcop/"})
public final class ReproduceCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "bietti, mustafa, bcop, fantastic-four, roll or all")
    String name;

    @Option(names = "--quick", description = "Small version, under 5 minutes each on 2 cores.")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("jacobi-out", "reproduce");

    /** Every experiment, in the order {@code all} runs them. */
    static List<Reproduction> all() {
        return List.of(new ReproBietti(), new ReproMustafa(), new ReproBcop(), new ReproFantasticFour(),
                new ReproRoll());
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
        PrintStream log = System.out;
        int total = chosen.stream().mapToInt(r -> r.estimatedSeconds(quick)).sum();
        log.printf(Locale.ROOT, "reproduce %s%s: estimated %s on 2 cores%n", name, quick ? " --quick" : "",
                duration(total));
        List<List<String>> index = new ArrayList<>();
        for (Reproduction r : chosen) {
            Path dir = out.resolve(r.name());
            Files.createDirectories(dir);
            if (chosen.size() > 1) {
                log.printf(Locale.ROOT, "%n== %s (estimated %s) ==%n", r.name(), duration(r.estimatedSeconds(quick)));
            }
            long t0 = System.nanoTime();
            Reproduction.Result res = r.run(quick, dir, log);
            double secs = (System.nanoTime() - t0) / 1e9;
            write(r, res, quick, secs, dir);
            String line = "Reproduced: " + res.verdict() + " — because " + res.reason();
            log.println();
            log.println(res.body());
            log.println(line);
            log.printf(Locale.ROOT, "(%.0f s; report in %s)%n", secs, dir.resolve("report.md"));
            index.add(List.of("[" + r.name() + "](" + r.name() + "/report.md)", res.verdict(), res.reason(),
                    String.format(Locale.ROOT, "%.0f s", secs)));
        }
        if (chosen.size() > 1) {
            Outputs.text(out.resolve("index.md"), "# Reproductions" + (quick ? " (--quick)" : "") + "\n\n"
                    + Outputs.table(List.of("experiment", "reproduced", "because", "wall time"), index));
        }
        return 0;
    }

    /** Writes {@code report.md} and {@code results.json} of one run. */
    static void write(Reproduction r, Reproduction.Result res, boolean quick, double secs, Path dir)
            throws IOException {
        String md = "# Reproduction: " + r.name() + (quick ? " (--quick)" : "") + "\n\n"
                + "**Paper:** " + r.paper() + "\n\n"
                + "**Claim:** " + r.claim() + "\n\n"
                + res.body().strip() + "\n\n"
                + "**Reproduced: " + res.verdict() + "** — because " + res.reason() + "\n\n"
                + String.format(Locale.ROOT, "Wall time: %.0f s on %d cores (`jacobi reproduce %s%s`).%n", secs,
                        Runtime.getRuntime().availableProcessors(), r.name(), quick ? " --quick" : "");
        Outputs.text(dir.resolve("report.md"), md);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", r.name());
        json.put("paper", r.paper());
        json.put("claim", r.claim());
        json.put("quick", quick);
        json.put("seconds", secs);
        json.put("reproduced", res.verdict());
        json.put("reason", res.reason());
        json.put("results", res.data());
        Outputs.json(dir.resolve("results.json"), json);
    }

    static String duration(int secs) {
        return secs < 90 ? secs + " s" : secs < 5400 ? Math.round(secs / 60.0) + " min"
                : String.format(Locale.ROOT, "%.1f h", secs / 3600.0);
    }
}
