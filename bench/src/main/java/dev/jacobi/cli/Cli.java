package dev.jacobi.cli;

import dev.jacobi.cli.reproduce.ReproduceCommand;
import dev.jacobi.cli.run.BenchLog;
import dev.jacobi.cli.run.Runs;
import dev.jacobi.cli.run.Tracker;
import dev.jacobi.cli.spec.Regs;
import dev.jacobi.core.DType;
import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Simd;
import dev.jacobi.core.Tensor;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jacobi} command line. With no arguments it runs the main job; subcommands train, evaluate, inspect,
 * reproduce the papers, benchmark and print system information.
 */
@Command(name = "jacobi", mixinStandardHelpOptions = true, version = "jacobi 0.1.0-SNAPSHOT",
        description = "Tensors, autodiff to any order and regularizers for deep networks, in pure Java.%n"
                + "With no subcommand: the main job on the bundled MNIST subset.",
        subcommands = {TrainCommand.class, EvalCommand.class, InspectCommand.class, ReproduceCommand.class,
                ExampleCommand.class,
                Cli.BenchCommand.class, Cli.DownloadCommand.class, Cli.InfoCommand.class},
        footer = {"%nExamples:", "  jacobi                      the main job (about 2 minutes on 2 cores)",
                "  jacobi info                 JDK, SIMD species, threads and a kernel self-check",
                "  jacobi bench GemmBench      JMH benchmarks"})
public final class Cli implements Callable<Integer> {
    @CommandLine.Option(names = "--verbose", description = "Print stack traces of errors.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    /** Runs the command line and returns the exit code; errors are one line unless {@code --verbose}. */
    public static int run(String[] args) {
        CommandLine cl = new CommandLine(new Cli()).setUsageHelpWidth(120);
        StringBuilder regs = new StringBuilder("%nRegularizers and constraints for --reg NAME=λ[,key=value...]:%n");
        Regs.HELP.forEach((k, v) -> regs.append(String.format("  %-12s %s%%n", k, v)));
        // sweep comes from the sweep module when it is on the class path; otherwise a stub says how to get it
        for (Subcommand s : java.util.ServiceLoader.load(Subcommand.class)) {
            cl.addSubcommand(s.command());
        }
        if (!cl.getSubcommands().containsKey("sweep")) {
            cl.addSubcommand(new SweepStub());
            cl.getSubcommands().get("sweep").setUnmatchedOptionsArePositionalParams(true);
        }
        cl.setUsageHelpWidth(120);
        // JMH's own options (-f, -wi, -p, ...) pass through to JMH
        cl.getSubcommands().get("bench").setUnmatchedOptionsArePositionalParams(true);
        cl.getSubcommands().get("example").setUnmatchedOptionsArePositionalParams(true); // --tiny and the like
        var train = cl.getSubcommands().get("train").getCommandSpec().usageMessage();
        java.util.List<String> footer = new java.util.ArrayList<>(java.util.List.of(regs.toString()));
        footer.addAll(java.util.List.of(train.footer()));
        train.footer(footer.toArray(new String[0]));
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (verbose) {
                e.printStackTrace();
            } else {
                cmd.getErr().println("jacobi: " + describe(e));
            }
            return 1;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("jacobi: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            return 2;
        });
        return cl.execute(args);
    }

    /**
     * An error as one line for the user: its message, which names the file or option and the problem; never a Java
     * class name, except for an internal error without a message, which points to {@code --verbose}.
     */
    public static String describe(Throwable e) {
        if (e instanceof OutOfMemoryError) {
            return String.format(java.util.Locale.ROOT, "out of memory (the JVM's heap is %.1f GB): use a smaller model"
                    + " or batch, or a larger heap (JACOBI_JAVA_OPTS=-Xmx...)", Runtime.getRuntime().maxMemory() / 1e9);
        }
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + m;
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + m;
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getFile() != null && (m == null
                || !m.contains(f.getFile()))) {
            return f.getFile() + ": " + f.getReason();
        }
        return m != null && !m.isBlank() ? m : "internal error (" + e.getClass().getSimpleName()
                + " without a message); rerun with --verbose for the stack trace and report it";
    }

    @CommandLine.Option(names = "--out", defaultValue = "jacobi-out", description = "Output directory of the main job (default: ${DEFAULT-VALUE}).")
    java.nio.file.Path out;

    @CommandLine.Option(names = "--epochs", defaultValue = "3", description = "Epochs of each main-job run (default: ${DEFAULT-VALUE}).")
    int epochs;

    @CommandLine.Option(names = "--train-per-class", defaultValue = "0", description = "Cap the main job's training set at this many images per class (0: all 8,000).")
    int trainPerClass;

    @CommandLine.Option(names = "--eval-examples", defaultValue = "300", description = "Test images for the robustness figures (default: ${DEFAULT-VALUE}).")
    int evalExamples;

    @Override
    public Integer call() throws Exception {
        if (epochs < 1 || trainPerClass < 0 || evalExamples < 1) {
            throw new IllegalArgumentException("--epochs and --eval-examples must be positive and --train-per-class"
                    + " >= 0 (0: all), got " + epochs + ", " + evalExamples + " and " + trainPerClass);
        }
        return MainJob.run(System.out, out, trainPerClass, epochs, evalExamples);
    }

    /** {@code jacobi info}. */
    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print the JDK, the SIMD species, the thread count and a quick kernel self-check.",
            footer = {"%nExample:", "  jacobi info"})
    static final class InfoCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            return selfCheck();
        }

        static int selfCheck() {
            System.out.println("Jacobi 0.1.0-SNAPSHOT");
            System.out.println("JDK      " + System.getProperty("java.vm.name") + " " + Runtime.version());
            System.out.println("SIMD     " + Simd.describe());
            System.out.println("threads  " + Parallel.threads() + " of " + Runtime.getRuntime().availableProcessors()
                    + " cores");
            int n = 512;
            Rng rng = new Rng(42);
            Tensor a = Tensor.randn(rng, n, n);
            Tensor b = Tensor.randn(rng, n, n);
            Tensor ref = a.to(DType.FLOAT64).matmul(b.to(DType.FLOAT64));
            double err = a.matmul(b).to(DType.FLOAT64).sub(ref).abs().max().item();
            long best = Long.MAX_VALUE;
            long until = System.nanoTime() + 1_500_000_000L;
            for (int i = 0; i < 10 || System.nanoTime() < until; i++) {
                long t0 = System.nanoTime();
                a.matmul(b);
                best = Math.min(best, System.nanoTime() - t0);
            }
            boolean ok = err <= 1e-4 * ref.abs().max().item() * Math.sqrt(n);
            System.out.printf("check    matmul %dx%d float32 vs float64: max error %.2e (%s), %.1f GFLOP/s%n", n, n, err,
                    ok ? "ok" : "FAILED", 2.0 * n * n * n / best);
            return ok ? 0 : 1;
        }
    }

    /** {@code jacobi bench}. */
    @Command(name = "bench", mixinStandardHelpOptions = false,
            description = "Run the JMH benchmarks (arguments go to JMH), or 'compare' for the PyTorch comparison."
                    + "%nJMH prints each iteration and its ETA; the same events go to jacobi-out/bench/log.jsonl.",
            footer = {"%nExamples:", "  jacobi bench GemmBench -p n=1024 -p threads=2",
                    "  jacobi bench -l                       list the benchmarks",
                    "  jacobi bench ConvBench -prof gc       allocation per call",
                    "  jacobi bench ConvBench -prof 'async:event=cpu;output=flat'",
                    "                                        where the time goes, kernel frames included (async-profiler;",
                    "                                        once: mvn dependency:get -Dartifact=tools.profiler:async-profiler:3.0)",
                    "  jacobi bench compare                  same workloads in Jacobi and PyTorch (needs python3-torch)"})
    static final class BenchCommand implements Callable<Integer> {
        /** Where the benchmarks' events go, beside JMH's own output. */
        static final java.nio.file.Path LOG = java.nio.file.Path.of("jacobi-out", "bench", "log.jsonl");

        @CommandLine.Parameters(arity = "0..*", description = "JMH arguments, or 'compare' [compare.py arguments].")
        java.util.List<String> args = new java.util.ArrayList<>();

        @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
        boolean help;

        @Override
        public Integer call() throws Exception {
            if (!args.isEmpty() && args.get(0).equals("compare")) {
                java.nio.file.Path script = java.nio.file.Path.of("bench", "compare.py");
                if (!java.nio.file.Files.exists(script)) {
                    throw new IllegalArgumentException("bench compare: run from the repository root (bench/compare.py)");
                }
                java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("/usr/bin/python3", script.toString()));
                cmd.addAll(args.subList(1, args.size()));
                return new ProcessBuilder(cmd).inheritIO().start().waitFor();
            }
            args = dev.jacobi.cli.run.AsyncProfilerLib.withLibPath(args,
                    java.nio.file.Path.of(System.getProperty("user.home"), ".m2", "repository"), LOG.getParent());
            org.openjdk.jmh.runner.options.CommandLineOptions opts =
                    new org.openjdk.jmh.runner.options.CommandLineOptions(args.toArray(new String[0]));
            if (opts.shouldHelp() || opts.shouldList() || opts.shouldListWithParams() || opts.shouldListProfilers()
                    || opts.shouldListResultFormats()) {
                org.openjdk.jmh.Main.main(args.toArray(new String[0]));
                return 0;
            }
            Tracker t = Tracker.console("bench", LOG, 0).install();
            try {
                org.openjdk.jmh.runner.format.OutputFormat jmh = org.openjdk.jmh.runner.format.OutputFormatFactory
                        .createFormatInstance(System.out, opts.verbosity().orElse(
                                org.openjdk.jmh.runner.options.VerboseMode.NORMAL));
                new org.openjdk.jmh.runner.Runner(opts, new BenchLog(jmh, t)).run();
                System.out.println(t.finishLine());
                return 0;
            } finally {
                t.close();
            }
        }
    }

    /** {@code jacobi download}. */
    @Command(name = "download", mixinStandardHelpOptions = true,
            description = "Download a data set's official files, verifying each SHA-256 (Jacobi never downloads on its own).",
            footer = {"%nExamples:", "  jacobi download fashion-mnist --dir data",
                    "  JACOBI_DATA=data jacobi train --data fashion"})
    static final class DownloadCommand implements Callable<Integer> {
        @CommandLine.Parameters(index = "0", description = "mnist, fashion-mnist or cifar10")
        String name;

        @CommandLine.Option(names = "--dir", defaultValue = "data", description = "Target directory (default: ${DEFAULT-VALUE}).")
        java.nio.file.Path dir;

        @Override
        public Integer call() throws Exception {
            System.out.println("downloading " + name + " into " + dir + " ...");
            dev.jacobi.datasets.Official.download(name, dir);
            System.out.println("done; every file's SHA-256 matched");
            return 0;
        }
    }

    /** {@code jacobi sweep} where the sweep module is not on the class path: says how to run it. */
    @Command(name = "sweep", description = "Run a grid of training runs as Apache Spark tasks (the sweep module;"
            + " run it through ./jacobi).")
    static final class SweepStub implements Callable<Integer> {
        @CommandLine.Parameters(arity = "0..*", paramLabel = "ARGS")
        java.util.List<String> args;

        @Override
        public Integer call() {
            dev.jacobi.cli.run.TaskEngine.find("jacobi sweep");
            throw new IllegalStateException("jacobi sweep: the sweep module is on the class path but did not register"
                    + " its command; check META-INF/services/dev.jacobi.cli.Subcommand in jacobi-sweep.jar");
        }
    }
}
