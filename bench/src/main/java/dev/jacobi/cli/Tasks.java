package dev.jacobi.cli;

import dev.jacobi.cli.reproduce.ReproduceCommand;
import dev.jacobi.cli.run.Runs;
import dev.jacobi.cli.run.Tracker;
import dev.jacobi.core.Parallel;
import dev.jacobi.train.TrainListener;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * The work of one task of a sweep, given as a command line so that it can travel to a Spark executor and run there
 * exactly as the same work runs on its own:
 * <ul>
 *   <li>{@code train OPTIONS [&& eval EVAL-OPTIONS]}: {@code jacobi train OPTIONS --out DIR}, then, if asked,
 *       {@code jacobi eval --model DIR/model.safetensors EVAL-OPTIONS}; the numbers are the test accuracy, the last
 *       epoch's loss and training accuracy, and every number {@code jacobi eval} prints;</li>
 *   <li>{@code unit NAME quick|full SEEDS ID}: the run {@code ID} of {@code jacobi reproduce NAME} (the numbers its
 *       {@code runs-MODE/ID.json} keeps).</li>
 * </ul>
 * A task's progress goes to {@code DIR/log.jsonl}, not to the console, since several run at once.
 */
public final class Tasks {
    private Tasks() {
    }

    /** The options of {@code jacobi train} that a task may set (the task decides where it writes and its threads). */
    public static List<String> trainOptions() {
        return options(new TrainCommand(), List.of("--out", "--resume", "--threads", "--max-minutes"));
    }

    /** The options of {@code jacobi eval} that a task may set (the task gives the model). */
    public static List<String> evalOptions() {
        return options(new EvalCommand(), List.of("--model", "--json"));
    }

    private static List<String> options(Object command, List<String> taken) {
        List<String> names = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : new CommandLine(command).getCommandSpec().options()) {
            String n = o.longestName();
            if (!o.usageHelp() && !o.versionHelp() && !taken.contains(n)) {
                names.add(n);
            }
        }
        return names;
    }

    /** Runs the task {@code args} with {@code threads} kernel threads, writing its files into {@code dir}. */
    public static Map<String, Object> run(List<String> args, Path dir, int threads) throws Exception {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("a task needs a command line: train ... or unit ...");
        }
        Parallel.setThreads(threads);
        Files.createDirectories(dir);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        Tracker t = new Tracker("task", quiet, dir.resolve("log.jsonl"), false, 0, System::nanoTime);
        try {
            return switch (args.get(0)) {
                case "train" -> train(args.subList(1, args.size()), dir, t);
                case "unit" -> unit(args.subList(1, args.size()), dir, t);
                default -> throw new IllegalArgumentException("a task's command line starts with train or unit, not '"
                        + args.get(0) + "'");
            };
        } finally {
            t.close();
        }
    }

    private static Map<String, Object> train(List<String> args, Path dir, Tracker t) throws Exception {
        int and = args.indexOf("&&");
        List<String> trainArgs = new ArrayList<>(and < 0 ? args : args.subList(0, and));
        for (String a : trainArgs) {
            if (a.equals("--out") || a.startsWith("--out=") || a.equals("--resume") || a.startsWith("--threads")) {
                throw new IllegalArgumentException("a task's train options may not hold " + a + ": the sweep sets"
                        + " where each task writes and its kernel threads");
            }
        }
        trainArgs.addAll(List.of("--out", dir.toString()));
        TrainCommand train = new TrainCommand();
        new CommandLine(train).parseArgs(trainArgs.toArray(new String[0]));
        train.check();
        TrainCommand.Run run = t.runHere(() -> train.execute(t));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("test_accuracy", run.testAccuracy());
        TrainListener.Epoch last = run.epochs().isEmpty() ? null : run.epochs().get(run.epochs().size() - 1);
        r.put("train_loss", last == null ? Double.NaN : last.meanLoss());
        r.put("train_accuracy", last == null ? Double.NaN : last.trainAccuracy());
        if (and >= 0) {
            List<String> evalArgs = new ArrayList<>(args.subList(and + 1, args.size()));
            if (evalArgs.isEmpty() || !evalArgs.get(0).equals("eval")) {
                throw new IllegalArgumentException("a task's command line goes on after && with eval, not "
                        + evalArgs);
            }
            evalArgs.set(0, "--model");
            evalArgs.add(1, dir.resolve("model.safetensors").toString());
            EvalCommand eval = new EvalCommand();
            new CommandLine(eval).parseArgs(evalArgs.toArray(new String[0]));
            r.putAll(eval.results(line -> t.event("eval_phase", "done", line)));
        }
        return r;
    }

    private static Map<String, Object> unit(List<String> args, Path dir, Tracker t) throws Exception {
        if (args.size() != 4 || !List.of("quick", "full").contains(args.get(1)) || !args.get(2).matches("[0-9]+")) {
            throw new IllegalArgumentException("a unit task is: unit NAME quick|full SEEDS ID, not unit " + args);
        }
        Runs.Unit u = ReproduceCommand.unit(args.get(0), args.get(1).equals("quick"), Integer.parseInt(args.get(2)),
                args.get(3));
        t.plan(u.id(), u.kind(), u.steps());
        t.begin(u.id(), u.kind(), u.steps());
        Map<String, Object> r = t.runHere(() -> u.body().run(dir));
        t.end();
        return r;
    }
}
