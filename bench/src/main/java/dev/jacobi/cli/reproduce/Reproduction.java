package dev.jacobi.cli.reproduce;

import dev.jacobi.cli.run.Runs;
import dev.jacobi.cli.spec.Data;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One paper's experiment at CPU scale, run by {@code jacobi reproduce NAME}: a list of units (one configuration and
 * seed each, trained and measured), which {@link Runs} runs and keeps, and a summary of their numbers into tables and
 * a verdict; {@code ReproduceCommand} writes the report.
 */
interface Reproduction {
    /** The command-line name, e.g. {@code roll}. */
    String name();

    /** The paper, as a citation. */
    String paper();

    /** The paper's claim (numbers or direction) this experiment checks. */
    String claim();

    /**
     * The units of the experiment in the order they run, each configuration once per seed (ids end in
     * {@code -seedK}); each trains with {@link Repro#train} and measures.
     */
    List<Runs.Unit> units(boolean quick, int seeds);

    /** The claims the experiment tests, with their bands, fixed before it runs (docs/reproductions/CLAIMS.md). */
    List<Claim> claims(boolean quick);

    /**
     * The named data sets ({@link Data#load}) the mode reads; {@code reproduce} loads them before any work, so a
     * missing set is a one-line error at once. Default: none in the quick mode (bundled data), {@code mnist} in full.
     */
    default List<String> dataSets(boolean quick) {
        return quick ? List.of() : List.of("mnist");
    }

    /** The seeds of a run unless {@code --seeds} says otherwise: 3 in full mode, 1 in the quick smoke test. */
    default int defaultSeeds(boolean quick) {
        return quick ? 1 : 3;
    }

    /**
     * The tables and plots from every unit's numbers, as {@link Runs} read them back (by unit id); may write plots
     * into {@code outDir} and read files the units wrote into {@code runsDir/ID/}. The verdict comes from the claims.
     */
    Result summarise(boolean quick, int seeds, Map<String, Map<String, Object>> results, Path runsDir, Path outDir)
            throws IOException;

    /**
     * What a run found, besides its claims.
     *
     * @param body markdown: setup, tables beside the paper's numbers, plot links, caveats
     * @param data the numbers, for {@code results.json}
     */
    record Result(String body, Map<String, Object> data) {
    }
}
