package dev.jacobi.bench.cli;

import java.io.PrintStream;
import java.nio.file.Path;

/** Placeholder. */
final class ReproFantasticFour implements Reproduction {
    @Override
    public String name() {
        return "fantastic-four";
    }

    @Override
    public String paper() {
        return "";
    }

    @Override
    public String claim() {
        return "";
    }

    @Override
    public int estimatedSeconds(boolean quick) {
        return 0;
    }

    @Override
    public Result run(boolean quick, Path outDir, PrintStream log) {
        throw new IllegalArgumentException("reproduce fantastic-four: not implemented yet");
    }
}
