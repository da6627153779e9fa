package dev.jacobi.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Memory;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.datasets.DataLoader;
import dev.jacobi.datasets.Datasets;
import dev.jacobi.datasets.Split;
import dev.jacobi.datasets.Synthetic;
import dev.jacobi.nn.Constraint;
import dev.jacobi.nn.Dropout;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Regularizer;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.Adam;
import dev.jacobi.optim.SGD;
import dev.jacobi.optim.StepLR;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @TempDir
    Path dir;

    @Test
    void mlpOnBundledMnistReachesNinetyPercentHeldOut() throws IOException {
        Split split = Datasets.bundledMnistSplit();
        Rng r = new Rng(7);
        Sequential model = new Sequential(new Flatten(), new Linear(784, 128, r), new ReLU(), new Linear(128, 10, r));
        DataLoader train = DataLoader.builder(split.train(), 64).seed(1).build();
        List<TrainListener.Epoch> epochs = new ArrayList<>();
        Trainer t = Trainer.builder(model, new SGD(model.parameters(), 0.05, 0.9, 0, 0, false))
                .listener(new TrainListener() {
                    @Override
                    public void onEpochEnd(TrainListener.Epoch e) {
                        epochs.add(e);
                    }
                }).build();
        t.fit(train::epoch, 3);
        Trainer.Evaluation test = Trainer.evaluate(model, DataLoader.builder(split.test(), 500).shuffle(false).build());
        assertEquals(2000, test.examples());
        assertTrue(test.accuracy() >= 0.90, "held-out accuracy " + test.accuracy());
        assertEquals(3, epochs.size());
        assertTrue(epochs.get(2).meanLoss() < epochs.get(0).meanLoss(), "loss did not fall: " + epochs);
        assertTrue(model.isTraining(), "evaluate must restore the training mode");
    }

    /** A small classifier with Dropout (so the resume must restore a generator) on 2-d blobs. */
    private static Sequential smallModel(long seed) {
        Rng r = new Rng(seed);
        return new Sequential(new Linear(2, 16, r), new ReLU(), new Dropout(0.2, new Rng(seed + 1)),
                new Linear(16, 3, r));
    }

    private static DataLoader blobs() {
        return DataLoader.builder(Synthetic.blobs(96, 3, 0.8, 5), 16).seed(3).build();
    }

    private static Trainer smallTrainer(Sequential model, List<Double> losses, Path ckpt) {
        SGD opt = new SGD(model.parameters(), 0.1, 0.9, 0, 1e-3, false);
        Trainer.Builder b = Trainer.builder(model, opt)
                .scheduler(new StepLR(opt, 1, 0.7))
                .regularizer(0.01, (m, batch, step) -> m.parameters().get(0).var().square().sum())
                .listener(new TrainListener() {
                    @Override
                    public void onStep(TrainListener.Step s) {
                        losses.add(s.total());
                    }
                });
        if (ckpt != null) {
            b.checkpoints(ckpt, 1);
        }
        return b.build();
    }

    private static List<float[]> params(Layer m) {
        List<float[]> out = new ArrayList<>();
        for (Parameter p : m.parameters()) {
            out.add(p.value().toFloatArray());
        }
        return out;
    }

    private static void assertSameParams(Layer a, Layer b) {
        List<float[]> pa = params(a);
        List<float[]> pb = params(b);
        assertEquals(pa.size(), pb.size());
        for (int i = 0; i < pa.size(); i++) {
            assertArrayEquals(pa.get(i), pb.get(i), 0f, "parameter " + i);
        }
    }

    @Test
    void resumeContinuesTheSameLossCurveBitForBit() throws IOException {
        DataLoader data = blobs();
        List<Double> straight = new ArrayList<>();
        Sequential a = smallModel(11);
        smallTrainer(a, straight, null).fit(data::epoch, 4);

        List<Double> first = new ArrayList<>();
        Sequential b = smallModel(11);
        Trainer tb = smallTrainer(b, first, dir);
        tb.fit(data::epoch, 2);
        assertEquals(2, tb.epoch());

        // a fresh process: different initial weights and generator states, then the checkpoint
        List<Double> second = new ArrayList<>();
        Sequential c = smallModel(99);
        Trainer tc = smallTrainer(c, second, dir.resolve("other"));
        tc.resume(tb.checkpointPath());
        assertEquals(2, tc.epoch());
        assertEquals(tb.step(), tc.step());
        assertEquals(tb.optimizer().lr(), tc.optimizer().lr());
        assertSameParams(b, c);
        tc.fit(data::epoch, 4);

        List<Double> resumed = new ArrayList<>(first);
        resumed.addAll(second);
        assertEquals(straight, resumed);
        assertSameParams(a, c);
        assertEquals(straight.size(), 4 * data.batchesPerEpoch());
        record("resume.txt", "resume from a checkpoint|a 4-epoch run against 2 epochs, a checkpoint, a fresh"
                + " trainer and 2 more|the " + straight.size() + " step losses and the final parameters are"
                + " equal bit for bit");
    }

    @Test
    void sameSeedSameRunAndListenerMetrics() throws IOException {
        DataLoader data = blobs();
        List<Double> l1 = new ArrayList<>();
        List<Double> l2 = new ArrayList<>();
        Sequential m1 = smallModel(4);
        Sequential m2 = smallModel(4);
        List<TrainListener.Epoch> h1 = smallTrainer(m1, l1, null).fit(data::epoch, 2);
        smallTrainer(m2, l2, null).fit(data::epoch, 2);
        assertEquals(l1, l2);
        assertSameParams(m1, m2);
        List<Double> l3 = new ArrayList<>();
        Sequential m3 = smallModel(5);
        smallTrainer(m3, l3, null).fit(data::epoch, 2);
        assertFalse(l1.equals(l3), "a different seed must give a different run");

        assertEquals(2, h1.size());
        assertEquals(6, h1.get(0).steps());
        assertEquals(0.1, h1.get(0).lr(), 0);
        assertEquals(0.1 * 0.7, h1.get(1).lr(), 1e-15);
        for (TrainListener.Epoch e : h1) {
            assertTrue(e.trainAccuracy() >= 0 && e.trainAccuracy() <= 1, e.toString());
            assertTrue(e.examplesPerSecond() > 0 && e.elapsedSeconds() > 0, e.toString());
        }
    }

    @Test
    void stopWhenEndsFitBeforeTheNextStep() throws IOException {
        DataLoader data = blobs();
        Sequential m = smallModel(4);
        long[] asked = {0};
        Trainer t = Trainer.builder(m, new SGD(m.parameters(), 0.1)).stopWhen(() -> ++asked[0] > 8).build();
        List<TrainListener.Epoch> h = t.fit(data::epoch, 3);
        assertTrue(t.stopped());
        assertEquals(8, t.step(), "stopped before the ninth step");
        assertEquals(1, h.size(), "the first epoch (6 steps) finished, the second did not");
        assertEquals(1, t.epoch());
        Sequential m2 = smallModel(4);
        Trainer free = Trainer.builder(m2, new SGD(m2.parameters(), 0.1)).build();
        free.fit(data::epoch, 1);
        assertFalse(free.stopped());
    }

    @Test
    void theEpochIsReportedOnlyOnceItsCheckpointIsWrittenAndStaleTemporariesGo() throws IOException {
        DataLoader data = blobs();
        Sequential m = smallModel(4);
        Path ckpt = dir.resolve(Trainer.CHECKPOINT_FILE);
        Path stale = Files.writeString(dir.resolve("." + Trainer.CHECKPOINT_FILE + ".1f2e3d.tmp"), "killed mid-write");
        Path other = Files.writeString(dir.resolve("notes.tmp"), "not ours");
        List<Integer> seen = new ArrayList<>();
        Trainer t = Trainer.builder(m, new SGD(m.parameters(), 0.1)).checkpoints(dir, 1).listener(new TrainListener() {
            @Override
            public void onEpochEnd(TrainListener.Epoch e) {
                try {
                    seen.add(Checkpoint.read(ckpt).epoch());
                } catch (IOException ex) {
                    throw new AssertionError(ex);
                }
            }
        }).build();
        t.fit(data::epoch, 2);
        assertEquals(List.of(1, 2), seen, "each epoch's checkpoint exists when the epoch is reported");
        assertFalse(Files.exists(stale), "a temporary of a killed checkpoint write is removed");
        assertTrue(Files.exists(other), "other files are left alone");
    }

    @Test
    void listenerEpochMeanIsTheExampleWeightedMeanOfStepLosses() throws IOException {
        // 20 examples in batches of 8: 8, 8, 4, so the weighting matters
        DataLoader data = DataLoader.builder(Synthetic.blobs(20, 2, 0.5, 1), 8).seed(2).build();
        Rng r = new Rng(3);
        Sequential model = new Sequential(new Linear(2, 2, r));
        List<TrainListener.Step> steps = new ArrayList<>();
        List<TrainListener.Epoch> epochs = new ArrayList<>();
        Trainer t = Trainer.builder(model, new SGD(model.parameters(), 0.1)).listener(new TrainListener() {
            @Override
            public void onStep(TrainListener.Step s) {
                steps.add(s);
            }

            @Override
            public void onEpochEnd(TrainListener.Epoch e) {
                epochs.add(e);
            }
        }).build();
        t.fit(data::epoch, 1);
        assertEquals(3, steps.size());
        double weighted = 0;
        for (int i = 0; i < 3; i++) {
            assertEquals(i, steps.get(i).step());
            assertEquals(0, steps.get(i).epoch());
            assertEquals(steps.get(i).loss(), steps.get(i).total(), 0);
            weighted += steps.get(i).loss() * steps.get(i).batchSize();
        }
        assertEquals(List.of(8, 8, 4), steps.stream().map(TrainListener.Step::batchSize).toList());
        assertEquals(weighted / 20, epochs.get(0).meanLoss(), 1e-12);
    }

    /** {@code Σ w}, or {@code Σ w²}, of the first parameter, a penalty with a hand-computable gradient. */
    private record PowerSum(int power) implements Regularizer {
        @Override
        public Var penalty(Layer model, Batch batch, long step) {
            Var w = model.parameters().get(0).var();
            return (power == 2 ? w.square() : w).sum();
        }
    }

    @Test
    void regularizerWeightsAndConstraintsGiveTheHandUpdate() throws IOException {
        Sequential model = new Sequential(new Linear(2, 2, false, new Rng(1)));
        Tensor w0 = Tensor.of(new float[] {0.5f, -1.5f, 2f, 0.25f}, 2, 2);
        model.parameters().get(0).set(w0);
        List<Integer> constraintEpochs = new ArrayList<>();
        Constraint clip = (m, epoch) -> {
            constraintEpochs.add(epoch);
            Parameter p = m.parameters().get(0);
            p.set(p.value().clamp(-1, 1));
        };
        List<TrainListener.Step> steps = new ArrayList<>();
        Trainer t = Trainer.builder(model, new SGD(model.parameters(), 0.1))
                .loss((logits, y) -> logits.sum().mul(0)) // only the penalties move the weights
                .regularizer(0.5, new PowerSum(2))
                .regularizer(2, new PowerSum(1))
                .constraint(clip)
                .listener(new TrainListener() {
                    @Override
                    public void onStep(TrainListener.Step s) {
                        steps.add(s);
                    }
                })
                .build();
        Batch batch = new Batch(Tensor.of(new float[] {1, 2}, 1, 2), new int[] {0});
        t.step(batch);
        // gradient 0.5·2w + 2 = w + 2; SGD: w - 0.1(w + 2) = 0.9w - 0.2; then clamp to [-1, 1]
        float[] w = w0.toFloatArray();
        float[] want = new float[4];
        double sq = 0;
        double sum = 0;
        for (int i = 0; i < 4; i++) {
            want[i] = (float) Math.max(-1, Math.min(1, 0.9 * w[i] - 0.2));
            sq += w[i] * w[i];
            sum += w[i];
        }
        assertArrayEquals(want, model.parameters().get(0).value().toFloatArray(), 1e-6f);
        assertEquals(List.of(0), constraintEpochs);
        TrainListener.Step s = steps.get(0);
        assertArrayEquals(new double[] {sq, sum}, s.penalties(), 1e-6);
        assertEquals(0.5 * sq + 2 * sum, s.total(), 1e-6);
        assertEquals(1, t.step());
    }

    @Test
    void gradientClippingScalesTheUpdateToTheMaxNorm() {
        Sequential model = new Sequential(new Linear(2, 1, false, new Rng(1)));
        model.parameters().get(0).set(Tensor.zeros(1, 2));
        Trainer t = Trainer.builder(model, new SGD(model.parameters(), 1)).loss((logits, y) -> logits.sum())
                .clipGradNorm(1).build();
        t.step(new Batch(Tensor.of(new float[] {3, 4}, 1, 2), new int[] {0}));
        // gradient x = (3, 4) has norm 5, clipped to norm 1: w = -(0.6, 0.8)
        assertArrayEquals(new float[] {-0.6f, -0.8f}, model.parameters().get(0).value().toFloatArray(), 1e-6f);
    }

    @Test
    void batchTransformIsAppliedBeforeTheLoss() {
        Sequential model = new Sequential(new Linear(2, 2, new Rng(2)));
        List<Long> seenSteps = new ArrayList<>();
        List<Float> seenX = new ArrayList<>();
        Trainer t = Trainer.builder(model, new SGD(model.parameters(), 0.1))
                .batchTransform((m, b, step) -> {
                    seenSteps.add(step);
                    return new Batch(b.x().mul(0).add(7), b.y());
                })
                .loss((logits, y) -> {
                    seenX.add(0f);
                    return logits.sum();
                })
                .build();
        Batch b = new Batch(Tensor.of(new float[] {1, 2}, 1, 2), new int[] {1});
        t.step(b);
        t.step(b);
        assertEquals(List.of(0L, 1L), seenSteps);
        // with logits.sum() as loss, the bias moves by -lr per step and the weight by -lr·x: x = 7 proves the swap
        Tensor w = model.parameters().get(0).value();
        Layer fresh = new Sequential(new Linear(2, 2, new Rng(2)));
        Tensor w0 = fresh.parameters().get(0).value();
        assertTrue(w.allClose(w0.sub(1.4), 0, 1e-5), "weight " + w + " vs " + w0);
    }

    @Test
    void nonFinitePenaltyStopsWithStepEpochAndTermAndKeepsTheCheckpoint() throws IOException {
        DataLoader data = blobs();
        Sequential model = smallModel(8);
        List<List<float[]>> afterEachStep = new ArrayList<>();
        Regularizer blowsUp = new Regularizer() {
            @Override
            public Var penalty(Layer m, Batch batch, long step) {
                Var p = m.parameters().get(0).var().sum().mul(0);
                return step == 9 ? p.add(Double.NaN) : p;
            }

            @Override
            public String name() {
                return "blows-up";
            }
        };
        SGD opt = new SGD(model.parameters(), 0.1, 0.9, 0, 0, false);
        Trainer t = Trainer.builder(model, opt).regularizer(1, blowsUp).checkpoints(dir, 1)
                .listener(new TrainListener() {
                    @Override
                    public void onStep(TrainListener.Step s) {
                        afterEachStep.add(params(model));
                    }
                }).build();
        t.fit(data::epoch, 1);
        byte[] saved = Files.readAllBytes(t.checkpointPath());
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> t.fit(data::epoch, 3));
        assertEquals(9, e.step());
        assertEquals(1, e.epoch());
        assertEquals("penalty blows-up", e.term());
        assertTrue(e.getMessage().contains("step 9") && e.getMessage().contains("epoch 1")
                && e.getMessage().contains("penalty blows-up") && e.getMessage().contains("NaN"), e.getMessage());
        assertArrayEquals(saved, Files.readAllBytes(t.checkpointPath()), "the last checkpoint must stay intact");
        assertEquals(1, Checkpoint.read(t.checkpointPath()).epoch());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(Trainer.CHECKPOINT_FILE), files.map(p -> p.getFileName().toString()).toList());
        }
        // the failing step did not update: the parameters are those after step 8
        List<float[]> now = params(model);
        List<float[]> last = afterEachStep.get(afterEachStep.size() - 1);
        for (int i = 0; i < now.size(); i++) {
            assertArrayEquals(last.get(i), now.get(i), 0f);
        }
    }

    @Test
    void infiniteLossIsNamedToo() {
        Sequential model = smallModel(8);
        Trainer t = Trainer.builder(model, new SGD(model.parameters(), 0.1))
                .loss((logits, y) -> logits.sum().div(0)).build();
        Batch b = new Batch(Tensor.of(new float[] {1, 2}, 1, 2), new int[] {1});
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> t.step(b));
        assertEquals("loss", e.term());
        assertTrue(e.getMessage().contains("non-finite loss") && e.getMessage().contains("step 0"), e.getMessage());
        assertTrue(e.getMessage().contains("the inputs and parameters are finite"), e.getMessage());
    }

    /** A small CNN (convolution, pooling, linear) on 1x8x8 inputs, from {@code seed}. */
    private static Sequential smallCnn(long seed) {
        Rng r = new Rng(seed);
        return new Sequential(new dev.jacobi.nn.Conv2d(1, 4, 3, dev.jacobi.core.Conv2dSpec.of(1, 1), true, r),
                new ReLU(), new dev.jacobi.nn.MaxPool2d(2), new Flatten(), new Linear(64, 3, r));
    }

    /** Trains a fresh CNN from {@code seed} for two epochs and returns its parameters. */
    private static List<float[]> trainCnn(long seed) throws IOException {
        Sequential m = smallCnn(seed);
        Rng r = new Rng(seed + 100);
        float[] x = new float[48 * 64];
        int[] y = new int[48];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextInt(3);
        }
        DataLoader data = DataLoader.builder(dev.jacobi.datasets.Dataset.ofFloats(x, new int[] {1, 8, 8}, y, 3), 16)
                .seed(seed).build();
        Trainer.builder(m, new Adam(m.parameters(), 0.01)).rng(new Rng(seed)).build().fit(data::epoch, 2);
        return params(m);
    }

    /** Writes one line of docs/RELIABILITY.md: what was checked, on how many cases, and the result. */
    static void record(String file, String line) throws IOException {
        Files.createDirectories(Path.of("..", "target", "reliability"));
        Files.writeString(Path.of("..", "target", "reliability", file), line + "\n");
    }

    @Test
    void twoTrainingsInTwoThreadsGiveTheSequentialResultsBitForBit() throws Exception {
        List<float[]> a = trainCnn(1);
        List<float[]> b = trainCnn(2);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 3; round++) {
                var fa = pool.submit(() -> trainCnn(1));
                var fb = pool.submit(() -> trainCnn(2));
                List<float[]> ca = fa.get();
                List<float[]> cb = fb.get();
                for (int i = 0; i < a.size(); i++) {
                    assertArrayEquals(a.get(i), ca.get(i), 0f, "model 1, parameter " + i + ", round " + round);
                    assertArrayEquals(b.get(i), cb.get(i), 0f, "model 2, parameter " + i + ", round " + round);
                }
            }
        } finally {
            pool.shutdown();
        }
        record("concurrency.txt", "two trainings at once|two CNNs (convolution, max pooling, linear) trained in two"
                + " threads, 3 rounds, against each trained alone|all parameters equal bit for bit in every round");
    }

    @Test
    void aNonFiniteLossNamesTheFirstNonFiniteTensor() throws IOException {
        Sequential model = smallModel(8);
        Trainer t = Trainer.builder(model, new SGD(model.parameters(), 0.1)).build();
        Batch nanInput = new Batch(Tensor.of(new float[] {1, Float.NaN, 3, 4}, 2, 2), new int[] {1, 0});
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> t.step(nanInput));
        assertTrue(e.getMessage().contains("the input batch holds NaN at flat index 1 of shape [2, 2]"),
                e.getMessage());
        Parameter w = model.namedParameters().get("3.weight");
        float[] v = w.value().toFloatArray();
        v[4] = Float.POSITIVE_INFINITY;
        w.set(Tensor.of(v, w.value().shape()));
        Batch ok = new Batch(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), new int[] {1, 0});
        e = assertThrows(NonFiniteLossException.class, () -> t.step(ok));
        assertTrue(e.getMessage().contains("parameter '3.weight' holds Infinity at flat index 4"), e.getMessage());
        record("nan.txt", "NaN and infinity in data, weights and loss|a NaN input, an infinite weight, an"
                + " overflowing loss and a NaN penalty|each stops training before the update with the step, the epoch,"
                + " the term and the first non-finite tensor named; the last checkpoint stays byte for byte");
    }

    @Test
    void adamCheckpointRoundTripsOptimizerStateAndRejectsAMismatchedModel() throws IOException {
        DataLoader data = blobs();
        Sequential model = smallModel(2);
        Adam adam = new Adam(model.parameters(), 0.01);
        Trainer t = Trainer.builder(model, adam).rng(new Rng(42)).checkpoints(dir, 2).build();
        t.rng().nextLong();
        t.fit(data::epoch, 2);
        Checkpoint c = Checkpoint.read(t.checkpointPath());
        assertEquals(2, c.epoch());
        assertEquals(12, c.step());
        Map<String, Tensor> want = adam.stateDict();
        assertEquals(want.keySet(), c.optimizer().keySet());
        for (String k : want.keySet()) {
            assertArrayEquals(want.get(k).toDoubleArray(), c.optimizer().get(k).toDoubleArray(), 0, k);
        }
        assertArrayEquals(t.rng().state(), parseBack(c.extra().get("rng.trainer")));

        Sequential other = new Sequential(new Linear(2, 8, new Rng(1)), new ReLU(), new Dropout(0.2, new Rng(2)),
                new Linear(8, 3, new Rng(1)));
        Trainer wrong = Trainer.builder(other, new Adam(other.parameters(), 0.01)).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> wrong.resume(t.checkpointPath()));
        assertTrue(e.getMessage().contains("0.weight") && e.getMessage().contains("[8, 2]"), e.getMessage());
    }

    private static long[] parseBack(String s) {
        String[] p = s.split(":");
        return new long[] {Long.parseUnsignedLong(p[0], 16), Long.parseUnsignedLong(p[1], 16)};
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    @Test
    void heapDoesNotGrowAcrossEpochs() throws IOException {
        Rng r = new Rng(6);
        Sequential model = new Sequential(new Linear(64, 64, r), new ReLU(), new Linear(64, 10, r));
        int[] y = new int[32];
        for (int i = 0; i < y.length; i++) {
            y[i] = r.nextInt(10);
        }
        List<Batch> epoch = java.util.Collections.nCopies(40, new Batch(Tensor.rand(r, 32, 64), y));
        Trainer t = Trainer.builder(model, new SGD(model.parameters(), 0.01, 0.9, 0, 0, false)).build();
        t.fit(e -> epoch, 2);
        long warm = usedHeapAfterGc();
        t.fit(e -> epoch, 8);
        long later = usedHeapAfterGc();
        // 240 more steps: a leak of even one 32x64 activation (8 KB) per step would add about 2 MB
        assertTrue(later - warm < 1_000_000, "heap grew from " + warm + " to " + later + " bytes");
    }

    @Test
    void builderRejectsBadSettings() {
        Sequential model = smallModel(1);
        Trainer.Builder b = Trainer.builder(model, new SGD(model.parameters(), 0.1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.regularizer(Double.NaN, new PowerSum(1)));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("PowerSum"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.checkpoints(Path.of("x"), 0));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> b.clipGradNorm(-1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }

    @Test
    void stepReleasesItsActivationsAndATensorKeptPastTheStepIsRefused() {
        Rng r = new Rng(11);
        Var[] seen = new Var[1];
        Layer spy = new Layer() {
            @Override
            public Var forward(Var x) {
                seen[0] = x;
                return x;
            }
        };
        Sequential m = new Sequential(new Linear(20, 400, r), new ReLU(), spy, new Linear(400, 3, r));
        Trainer t = Trainer.builder(m, new SGD(m.parameters(), 0.05, 0.9, 0, 0, false)).build();
        int[] y = new int[64];
        Batch b = new Batch(Tensor.randn(r, 64, 20), y);
        t.step(b);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> seen[0].value().sum());
        assertTrue(e.getMessage().contains("Trainer.step"), e.getMessage());
        // the batch and the parameters are the user's and stay usable
        b.x().sum();
        for (Parameter p : m.parameters()) {
            p.value().sum();
        }
    }

    @Test
    void cachingDoesNotChangeTraining() {
        double[] withCache = trainLosses();
        long old = Memory.cacheLimit();
        try {
            Memory.setCacheLimit(0);
            assertArrayEquals(trainLosses(), withCache);
        } finally {
            Memory.setCacheLimit(old);
        }
    }

    private static double[] trainLosses() {
        Rng r = new Rng(12);
        Sequential m = new Sequential(new Linear(30, 600, r), new ReLU(), new Linear(600, 600, r), new ReLU(),
                new Linear(600, 4, r));
        Trainer t = Trainer.builder(m, new Adam(m.parameters(), 1e-3)).build();
        int[] y = new int[64];
        for (int i = 0; i < y.length; i++) {
            y[i] = i % 4;
        }
        Batch b = new Batch(Tensor.randn(r, 64, 30), y);
        double[] losses = new double[6];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = t.step(b).loss();
        }
        return losses;
    }
}
