package dev.jacobi.bench.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jacobi reproduce NAME [--quick]}: small CPU-sized versions of the five papers' experiments. */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Reproduce a paper's experiment at CPU scale: bietti, mustafa, bcop, fantastic-four, roll or all.")
public final class ReproduceCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "bietti, mustafa, bcop, fantastic-four, roll or all")
    String name;

    @Override
    public Integer call() {
        throw new IllegalArgumentException("reproduce " + name + ": not available in this build yet");
    }
}
