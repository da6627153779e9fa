package dev.jacobi.bench.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * One paper's experiment at CPU scale, run by {@code jacobi reproduce NAME}: it trains and measures, returns its
 * tables and a verdict, and may write plots into its output directory; {@link ReproduceCommand} writes the report.
 */
interface Reproduction {
    /** The command-line name, e.g. {@code roll}. */
    String name();

    /** The paper, as a citation. */
    String paper();

    /** The paper's claim (numbers or direction) this experiment checks. */
    String claim();

    /** Estimated wall time in seconds on a 2-core machine. */
    int estimatedSeconds(boolean quick);

    /** Runs the experiment, writing plots into {@code outDir} and progress to {@code log}. */
    Result run(boolean quick, Path outDir, PrintStream log) throws IOException;

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
