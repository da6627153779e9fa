package dev.jacobi.bench.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One paper's experiment at CPU scale, run by {@code jacobi reproduce NAME}: a list of units (one configuration and
 * seed each, trained and measured), which {@link Runs} runs and keeps, and a summary of their numbers into tables and
 * a verdict; {@link ReproduceCommand} writes the report.
 */
interface Reproduction {
    /** The command-line name, e.g. {@code roll}. */
    String name();

    /** The paper, as a citation. */
    String paper();

    /** The paper's claim (numbers or direction) this experiment checks. */
    String claim();

    /** The units of the experiment in the order they run; each trains with {@link Repro#train} and measures. */
    List<Runs.Unit> units(boolean quick);

    /**
     * The report from every unit's numbers, as {@link Runs} read them back (by unit id); may write plots into
     * {@code outDir} and read files the units wrote into {@code runsDir/ID/}.
     */
    Result summarise(boolean quick, Map<String, Map<String, Object>> results, Path runsDir, Path outDir)
            throws IOException;

    /**
     * What a run found.
     *
     * @param verdict {@code yes}, {@code no} or {@code partly}
     * @param reason  why, in one sentence with the deciding numbers
     * @param body    markdown: setup, tables beside the paper's numbers, plot links, caveats
     * @param data    the numbers, for {@code results.json}
     */
    record Result(String verdict, String reason, String body, Map<String, Object> data) {
        public Result {
            if (!verdict.equals("yes") && !verdict.equals("no") && !verdict.equals("partly")) {
                throw new IllegalArgumentException("reproduce: verdict must be yes, no or partly, got " + verdict);
            }
        }
    }
}
