package dev.jacobi.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.cli.run.Json;
import dev.jacobi.cli.spec.ModelFile;
import dev.jacobi.cli.spec.ModelSpec;
import dev.jacobi.cli.spec.RegSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    /** Exit code, stdout and stderr of one run. */
    record Result(int code, String out, String err) {
    }

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Cli.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void badArgumentsGiveOneLineErrorsWithTheChoices() {
        Result r = run("train", "--reg", "nonsense=1");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("unknown regularizer 'nonsense'; choose one of grad-l2,"), r.err());
        assertTrue(r.err().contains("sn-clip") && !r.err().contains("\tat "), "one line, no stack trace: " + r.err());
        r = run("train", "--model", "resnet");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("unknown model 'resnet'; choose one of mlp, cnn"), r.err());
        r = run("train", "--optimizer", "rmsprop", "--epochs", "1", "--model", "mlp", "--out", "target/never");
        assertTrue(r.err().contains("unknown optimizer 'rmsprop'; choose one of sgd, adam, adamw"), r.err());
        r = run("train", "--epochs", "many");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--epochs") && r.err().contains("Try 'jacobi train --help'"), r.err());
        r = run("frobnicate");
        assertEquals(2, r.code());
        r = run("eval", "--model", "does-not-exist.safetensors");
        assertNotEquals(0, r.code());
        assertTrue(r.err().startsWith("jacobi: ") && r.err().contains("does-not-exist.safetensors"), r.err());
        r = run("inspect", "--model", "target");
        assertTrue(r.err().contains("target: is a directory, not a file"), r.err());
        r = run("inspect", "--model", "missing.safetensors");
        assertTrue(r.err().equals("jacobi: no such file: missing.safetensors\n"), r.err());
        r = run("train", "--data", "/no/such/dir");
        assertTrue(r.err().contains("--data '/no/such/dir': not one of bundled, mnist"), r.err());
    }

    @Test
    void everyOptionIsCheckedBeforeAnyWorkStarts() {
        String[][] bad = {
            {"--epochs", "0"}, {"--epochs", "-5"}, {"--train-per-class", "-1"}, {"--eval-examples", "0"},
            {"train", "--reg", "grad-l2=0.1,bogus=3"}, {"train", "--reg", "pgd=0.1,norm=l7"},
            {"train", "--reg", "hessian=0.05,k=5.7"}, {"train", "--model", "mlp", "--width", "1000000"},
            {"train", "--lr", "-1"}, {"train", "--threads", "0"}, {"train", "--max-minutes", "-2"},
            {"eval", "--model", "m.safetensors", "--examples", "-1"}, {"eval", "--model", "m.safetensors", "--eps", "-1"},
        };
        String[] want = {
            "--epochs and --eval-examples must be positive", "--epochs and --eval-examples must be positive",
            "--train-per-class >= 0", "--epochs and --eval-examples must be positive",
            "--reg grad-l2: unknown key 'bogus'; grad-l2 takes no keys", "--reg pgd: norm=l7 is not one of l2, linf",
            "--reg hessian: k=5.7 must be a positive whole number", "GB to train, more than this JVM's heap",
            "--lr must be a positive finite number", "--threads must be positive", "--max-minutes must be >= 0",
            "--examples and --steps must be positive", "--eps: radii must be finite and >= 0",
        };
        for (int i = 0; i < bad.length; i++) {
            Result r = run(bad[i]);
            assertNotEquals(0, r.code(), String.join(" ", bad[i]));
            assertTrue(r.err().contains(want[i]), String.join(" ", bad[i]) + ": " + r.err());
            assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), "no class names: " + r.err());
            // refused before any work: nothing was loaded, trained or printed
            assertEquals("", r.out(), "refused before any work: " + String.join(" ", bad[i]));
        }
    }

    @Test
    void anEmptyTrainingOrTestSetIsAnError(@TempDir Path dir) throws Exception {
        for (String which : new String[] {"train", "t10k"}) {
            Path d = Files.createDirectories(dir.resolve(which));
            for (String part : new String[] {"train", "t10k"}) {
                int n = part.equals(which) ? 0 : 2;
                dev.jacobi.datasets.Idx.write(d.resolve(part + "-images-idx3-ubyte"), new int[] {n, 28, 28},
                        new byte[n * 784]);
                dev.jacobi.datasets.Idx.writeLabels(d.resolve(part + "-labels-idx1-ubyte"), new int[n]);
            }
            Result r = run("train", "--data", d.toString(), "--model", "mlp", "--epochs", "1");
            assertNotEquals(0, r.code());
            String set = which.equals("train") ? "training" : "test";
            assertTrue(r.err().contains("--data " + d + ": the " + set + " set is empty"), r.err());
        }
    }

    @Test
    void errorsAreDescribedWithoutJavaClassNames() {
        assertEquals("Trainer: non-finite loss (NaN) at step 3", Cli.describe(new ArithmeticException(
                "Trainer: non-finite loss (NaN) at step 3")));
        assertTrue(Cli.describe(new OutOfMemoryError("Java heap space")).startsWith("out of memory (the JVM's heap is"));
        assertEquals("no such file: m.safetensors", Cli.describe(new java.nio.file.NoSuchFileException("m.safetensors")));
        assertEquals("runs: Is a directory", Cli.describe(new java.nio.file.FileSystemException("runs", null,
                "Is a directory")));
        assertTrue(Cli.describe(new NullPointerException()).contains("rerun with --verbose"));
    }

    @Test
    void benchPassesJmhOptionsThrough() {
        Result r = run("bench", "-l", "-f", "1", "GemmBench");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("dev.jacobi.bench.jmh.GemmBench.matmul"), r.out());
    }

    @Test
    void regSpecsParseAndRejectBadSyntax() {
        RegSpec s = RegSpec.parse("hessian=0.05,k=5,sub=32");
        assertEquals("hessian", s.name());
        assertEquals(0.05, s.lambda());
        assertEquals(5, s.num("k", 0));
        assertEquals(7, s.num("steps", 7));
        assertThrows(IllegalArgumentException.class, () -> RegSpec.parse("grad-l2"));
        assertThrows(IllegalArgumentException.class, () -> RegSpec.parse("grad-l2=abc"));
        assertThrows(IllegalArgumentException.class, () -> RegSpec.parse("grad-l2=-1"));
        assertThrows(IllegalArgumentException.class, () -> RegSpec.parse("grad-l2=1,oops"));
    }

    @Test
    void everySubcommandHasHelpWithExamples() {
        for (String cmd : List.of("train", "eval", "inspect", "reproduce", "bench", "download", "info")) {
            Result r = run(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("Example"), cmd + " --help lacks examples:\n" + r.out());
        }
        assertTrue(run("train", "--help").out().contains("grad-l2"), "train --help lists the regularizers");
    }

    @Test
    void sweepsWithoutTheSweepModuleSayHowToGetIt(@TempDir Path dir) {
        // the bench module's tests run without the sweep module, as the bench jar does
        for (String[] args : List.of(new String[] {"sweep", "grid.yaml", "--master", "local[2]"},
                new String[] {"reproduce", "roll", "--quick", "--sweep", "--out", dir.toString()})) {
            Result r = run(args);
            assertEquals(1, r.code(), String.join(" ", args));
            assertTrue(r.err().contains("Apache Spark, which lives in the sweep module") && r.err().contains(
                    "./jacobi launcher"), r.err());
        }
        Result r = run("reproduce", "roll", "--quick", "--master", "local[2]", "--out", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--master local[2] needs --sweep"), r.err());
    }

    @Test
    void trainEvalAndInspectRoundTrip(@TempDir Path dir) throws Exception {
        Result t = run("train", "--model", "mlp", "--width", "32", "--depth", "1", "--epochs", "1", "--batch", "256",
                "--reg", "grad-l2=0.1", "--reg", "sn-clip=5", "--out", dir.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("test accuracy"), t.out());
        Path model = dir.resolve("model.safetensors");
        assertTrue(Files.exists(model) && Files.exists(dir.resolve("checkpoint.safetensors")));
        List<Map<?, ?>> epochs = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("log.jsonl"))) {
            Map<?, ?> event = (Map<?, ?>) Json.parse(line, "log");
            if ("epoch".equals(event.get("event"))) {
                epochs.add(event);
            }
        }
        assertEquals(1, epochs.size());
        assertTrue(epochs.get(0).containsKey("train_accuracy"));
        assertTrue(t.out().contains("train finished in"), t.out());
        // a budget too small for one step: a clean stop, the model saved as it is, exit code 3
        Path partial = dir.resolve("partial");
        Result budget = run("train", "--model", "mlp", "--width", "32", "--depth", "1", "--epochs", "3", "--batch",
                "256", "--out", partial.toString(), "--max-minutes", "0.000001");
        assertEquals(3, budget.code(), budget.err());
        assertTrue(budget.out().contains("partial: stopped at the --max-minutes budget") && Files.exists(
                partial.resolve("model.safetensors")), budget.out());
        assertTrue(Files.readString(partial.resolve("log.jsonl")).contains("\"event\": \"budget_reached\""));
        Path json = dir.resolve("eval.json");
        Result e = run("eval", "--model", model.toString(), "--examples", "16", "--steps", "3", "--json", json.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("eval: PGD-l2 at eps 1.5 on 16 examples done in"), e.out());
        assertTrue(Files.readString(dir.resolve("log.jsonl")).contains("\"event\": \"eval_results\""));
        Map<?, ?> r = (Map<?, ?>) Json.parse(Files.readString(json), "eval.json");
        double clean = ((Number) r.get("clean_accuracy")).doubleValue();
        double pgd = ((Number) r.get("pgd_l2_accuracy@1.5")).doubleValue();
        assertTrue(clean > 0.5 && pgd <= clean, r.toString());
        Result i = run("inspect", "--model", model.toString());
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("product bound"), i.out());
        Result resumed = run("train", "--model", "mlp", "--width", "32", "--depth", "1", "--epochs", "2", "--batch", "256",
                "--reg", "grad-l2=0.1", "--reg", "sn-clip=5", "--out", dir.toString(), "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        Result changed = run("train", "--model", "mlp", "--width", "32", "--depth", "1", "--epochs", "3", "--batch",
                "128", "--reg", "grad-l2=0.1", "--reg", "sn-clip=5", "--out", dir.toString(), "--resume");
        assertNotEquals(0, changed.code());
        assertTrue(changed.err().contains("was trained with batch 256, not 128")
                && changed.err().contains("only --epochs may change"), changed.err());
        long epochEvents = Files.readAllLines(dir.resolve("log.jsonl")).stream()
                .filter(l -> l.contains("\"event\": \"epoch\"")).count();
        assertEquals(2, epochEvents, "the resumed run appends to the log: epoch 1, then epoch 2");
        assertTrue(resumed.out().contains("resumed from") && resumed.out().contains("epoch 2/2"), resumed.out());
    }

    @Test
    void aModelSavedFromJavaIsEvaluatedWithTheSameAccuracyAndTheReverse(@TempDir Path dir) throws Exception {
        // trained and saved in Java, as the README shows
        dev.jacobi.datasets.Split split = dev.jacobi.datasets.Datasets.bundledMnistSplit();
        dev.jacobi.core.Rng rng = new dev.jacobi.core.Rng(3);
        dev.jacobi.nn.Sequential net = new dev.jacobi.nn.Sequential(new dev.jacobi.nn.Flatten(),
                new dev.jacobi.nn.Linear(784, 32, rng), new dev.jacobi.nn.ReLU(), new dev.jacobi.nn.Linear(32, 10, rng));
        dev.jacobi.train.Trainer.builder(net, new dev.jacobi.optim.SGD(net.parameters(), 0.05, 0.9, 0, 0, false))
                .build().fit(dev.jacobi.datasets.DataLoader.builder(split.train().balancedSubset(1000, 1), 100)
                        .seed(1).build()::epoch, 1);
        net.eval();
        dev.jacobi.core.Batch b = EvalCommand.head(split.test(), 200);
        double inJava = dev.jacobi.regularizers.attacks.Attacks.accuracy(net, b.x(), b.y());
        Path model = dir.resolve("java.safetensors");
        dev.jacobi.train.ModelFiles.save(net, model, 1, 28, 28);
        Path json = dir.resolve("eval.json");
        Result missing = run("eval", "--model", model.toString(), "--examples", "200", "--steps", "2");
        assertNotEquals(0, missing.code());
        assertTrue(missing.err().contains("pass --data"), missing.err());
        Result e = run("eval", "--model", model.toString(), "--data", "bundled", "--examples", "200", "--steps", "2",
                "--json", json.toString());
        assertEquals(0, e.code(), e.err());
        Map<?, ?> r = (Map<?, ?>) Json.parse(Files.readString(json), "eval.json");
        assertEquals(inJava, ((Number) r.get("clean_accuracy")).doubleValue(), 0);
        Result i = run("inspect", "--model", model.toString());
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("saved from Java") && i.out().contains("product bound"), i.out());
        // the reverse: a model trained by the CLI is rebuilt in Java from its file alone
        Path out = dir.resolve("cli");
        Result t = run("train", "--model", "cnn", "--width", "8", "--depth", "1", "--epochs", "1", "--batch", "256",
                "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        ModelFile cli = ModelFile.load(out.resolve("model.safetensors"));
        dev.jacobi.nn.Layer inJavaAgain = dev.jacobi.train.ModelFiles.loadModel(out.resolve("model.safetensors"));
        assertArrayEquals(cli.model().forward(b.x()).value().toDoubleArray(),
                inJavaAgain.forward(b.x()).value().toDoubleArray(), 0);
    }

    @Test
    void lipschitzModelsAreOneLipschitzByTheirBound() {
        for (String kind : List.of("lipschitz-mlp", "lipschitz-cnn")) {
            ModelSpec spec = new ModelSpec(kind, 8, 2, new int[] {1, 28, 28}, 10);
            dev.jacobi.nn.Layer m = spec.build(new dev.jacobi.core.Rng(1));
            double l = dev.jacobi.regularizers.spectral.LipschitzBound.of(m, spec.input()).product();
            assertTrue(l <= 1 + 1e-6, kind + " bound " + l);
            assertEquals(10, m.forward(dev.jacobi.core.Tensor.rand(new dev.jacobi.core.Rng(2), 2, 1, 28, 28)).shape()[1]);
        }
    }

    @Test
    void mainJobOnATinySubsetWritesItsReport(@TempDir Path dir) throws Exception {
        Result r = run("--out", dir.toString(), "--epochs", "1", "--train-per-class", "20", "--eval-examples", "12");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals("Report: " + dir.resolve("report.md"), lines[lines.length - 1]);
        assertTrue(r.out().contains("| PGD-l2 accuracy, eps = 1.0 |"), r.out());
        // the certificate is shown for the Lipschitz model only; the CNNs get n/a, explained under the table
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("| certified accuracy, eps = 0.5 | n/a | n/a | ")
                && !l.endsWith("| n/a |")), r.out());
        assertTrue(r.out().contains("Epoch 1's throughput as a share of the last epoch's: plain-seed0 "), r.out());
        for (String model : List.of("plain", "pgd-trained", "lipschitz")) {
            for (String f : List.of(model + "-seed0.safetensors", model + "-seed1.safetensors")) {
                assertTrue(Files.size(dir.resolve(f)) > 0, f);
            }
        }
        for (String f : List.of("report.md", "results.json", "training-loss.png", "accuracy-vs-eps.png")) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        Map<?, ?> res = (Map<?, ?>) Json.parse(Files.readString(dir.resolve("results.json")), "results.json");
        Map<?, ?> lip = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) res.get("models")).get("lipschitz")).get("metrics");
        Map<?, ?> cert = (Map<?, ?>) lip.get("certified_l2_accuracy@0.5");
        assertEquals(2, ((List<?>) cert.get("values")).size(), cert.toString());
        assertTrue(cert.containsKey("mean") && cert.containsKey("spread"), cert.toString());
        assertTrue(((Map<?, ?>) res.get("runs")).containsKey("pgd-trained-seed1"), res.toString());
        String report = Files.readString(dir.resolve("report.md"));
        assertTrue(report.startsWith("# Jacobi main job\n\nThree networks were trained"), report);
        // every step's loss is in the log
        assertTrue(Files.readAllLines(dir.resolve("log.jsonl")).stream().anyMatch(l -> l.contains("\"event\": \"step\"")
                && l.contains("\"run\": \"lipschitz-seed1\"")));
        assertTrue(Files.readString(dir.resolve("report.md")).contains("![accuracy against epsilon](accuracy-vs-eps.png)"));
        byte[] png = Files.readAllBytes(dir.resolve("accuracy-vs-eps.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }
}
