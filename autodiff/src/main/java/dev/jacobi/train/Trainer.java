package dev.jacobi.train;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.GradMode;
import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Constraint;
import dev.jacobi.nn.Dropout;
import dev.jacobi.nn.Losses;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Parameter;
import dev.jacobi.nn.Regularizer;
import dev.jacobi.optim.LRScheduler;
import dev.jacobi.optim.Optimizer;
import dev.jacobi.optim.Optimizers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;

/**
 * Mini-batch training: each step minimises {@code J = loss(f(x), y) + Σ λᵢ·penaltyᵢ} by one optimizer step
 * (forward, backward, optional gradient clipping, update), then applies the post-step constraints (projections).
 * The learning-rate scheduler steps once per epoch; checkpoints are written atomically after successful epochs, so
 * {@link #resume} continues bit-for-bit the run that wrote them. Built with {@link #builder(Layer, Optimizer)}.
 */
public final class Trainer {
    /** The file name of the checkpoint in the checkpoint directory. */
    public static final String CHECKPOINT_FILE = "checkpoint.safetensors";

    private record Term(double lambda, Regularizer regularizer) {
    }

    private final Layer model;
    private final Optimizer optimizer;
    private final BiFunction<Var, int[], Var> loss;
    private final BiFunction<Var, Tensor, Var> regressionLoss;
    private final List<Term> terms;
    private final List<Constraint> constraints;
    private final LRScheduler scheduler;
    private final double clipNorm;
    private final BatchTransform transform;
    private final TrainListener listener;
    private final Path checkpointDir;
    private final int checkpointEvery;
    private final Rng rng;
    private final BooleanSupplier stopWhen;
    private boolean stopped;
    private int epoch;
    private long step;
    // running sums of the current epoch
    private double lossSum;
    private long correct;
    private long classified;
    private long seen;

    private Trainer(Builder b) {
        this.model = b.model;
        this.optimizer = b.optimizer;
        this.loss = b.loss;
        this.regressionLoss = b.regressionLoss;
        this.terms = List.copyOf(b.terms);
        this.constraints = List.copyOf(b.constraints);
        this.scheduler = b.scheduler;
        this.clipNorm = b.clipNorm;
        this.transform = b.transform;
        this.listener = b.listener;
        this.checkpointDir = b.checkpointDir;
        this.checkpointEvery = b.checkpointEvery;
        this.rng = b.rng;
        this.stopWhen = b.stopWhen;
    }

    /**
     * A builder for training {@code model} with {@code optimizer} (over the model's parameters). Defaults:
     * cross-entropy loss, no regularizers, constraints, scheduler, clipping, transform or checkpoints, a silent
     * listener, and {@code new Rng(0)} as the trainer's generator.
     *
     * @param model the model
     * @param optimizer its optimizer
     * @return the builder
     */
    public static Builder builder(Layer model, Optimizer optimizer) {
        return new Builder(model, optimizer);
    }

    /** Configures a {@link Trainer}; every setter returns this builder. */
    public static final class Builder {
        private final Layer model;
        private final Optimizer optimizer;
        private BiFunction<Var, int[], Var> loss = Losses::crossEntropy;
        private BiFunction<Var, Tensor, Var> regressionLoss = (p, t) -> Losses.mse(p, t, dev.jacobi.nn.Reduction.MEAN);
        private final List<Term> terms = new ArrayList<>();
        private final List<Constraint> constraints = new ArrayList<>();
        private LRScheduler scheduler;
        private double clipNorm = Double.NaN;
        private BatchTransform transform;
        private TrainListener listener = new TrainListener() {
        };
        private Path checkpointDir;
        private int checkpointEvery = 1;
        private Rng rng = new Rng(0);
        private BooleanSupplier stopWhen = () -> false;

        private Builder(Layer model, Optimizer optimizer) {
            this.model = Objects.requireNonNull(model, "Trainer: model is null");
            this.optimizer = Objects.requireNonNull(optimizer, "Trainer: optimizer is null");
        }

        /**
         * The data loss {@code ℓ(logits, labels)}, a scalar (default {@link Losses#crossEntropy(Var, int[])}).
         *
         * @param loss the loss function
         * @return this builder
         */
        public Builder loss(BiFunction<Var, int[], Var> loss) {
            this.loss = Objects.requireNonNull(loss, "Trainer: loss is null");
            return this;
        }

        /**
         * The data loss {@code ℓ(outputs, targets)} of regression batches ({@link Batch#isRegression()}), a scalar
         * (default: the mean squared error).
         *
         * @param loss the loss function
         * @return this builder
         */
        public Builder regressionLoss(BiFunction<Var, Tensor, Var> loss) {
            this.regressionLoss = Objects.requireNonNull(loss, "Trainer: regressionLoss is null");
            return this;
        }

        /**
         * Adds the term {@code λ·r.penalty(model, batch, step)} to the objective; repeatable.
         *
         * @param lambda the weight λ, finite
         * @param r the regularizer
         * @return this builder
         */
        public Builder regularizer(double lambda, Regularizer r) {
            if (!Double.isFinite(lambda)) {
                throw new IllegalArgumentException("Trainer: regularizer weight must be finite, got " + lambda
                        + " for " + r.name());
            }
            terms.add(new Term(lambda, Objects.requireNonNull(r, "Trainer: regularizer is null")));
            return this;
        }

        /**
         * Adds a projection applied after every optimizer step, in registration order; repeatable.
         *
         * @param c the constraint
         * @return this builder
         */
        public Builder constraint(Constraint c) {
            constraints.add(Objects.requireNonNull(c, "Trainer: constraint is null"));
            return this;
        }

        /**
         * A learning-rate schedule for the optimizer, stepped after every epoch.
         *
         * @param s the scheduler (of this trainer's optimizer)
         * @return this builder
         */
        public Builder scheduler(LRScheduler s) {
            this.scheduler = s;
            return this;
        }

        /**
         * Clips the gradients' global norm to {@code maxNorm} before every update ({@link Optimizers#clipGradNorm}).
         *
         * @param maxNorm the largest allowed norm, {@code >= 0}
         * @return this builder
         */
        public Builder clipGradNorm(double maxNorm) {
            if (!(maxNorm >= 0) || Double.isInfinite(maxNorm)) {
                throw new IllegalArgumentException("Trainer: clipGradNorm must be finite and >= 0, got " + maxNorm);
            }
            this.clipNorm = maxNorm;
            return this;
        }

        /**
         * A hook applied to every batch before the loss (e.g. adversarial examples).
         *
         * @param t the transform
         * @return this builder
         */
        public Builder batchTransform(BatchTransform t) {
            this.transform = t;
            return this;
        }

        /**
         * Receives per-step and per-epoch metrics.
         *
         * @param l the listener
         * @return this builder
         */
        public Builder listener(TrainListener l) {
            this.listener = Objects.requireNonNull(l, "Trainer: listener is null");
            return this;
        }

        /**
         * Writes {@code dir/checkpoint.safetensors} every {@code everyEpochs} epochs and after the last one.
         *
         * @param dir the directory (created if needed)
         * @param everyEpochs the period in epochs, {@code >= 1}
         * @return this builder
         */
        public Builder checkpoints(Path dir, int everyEpochs) {
            if (everyEpochs < 1) {
                throw new IllegalArgumentException("Trainer: checkpoint period must be >= 1 epoch, got "
                        + everyEpochs);
            }
            this.checkpointDir = Objects.requireNonNull(dir, "Trainer: checkpoint directory is null");
            this.checkpointEvery = everyEpochs;
            return this;
        }

        /**
         * The trainer's generator, saved in checkpoints: share it with transforms and regularizers that draw random
         * numbers so that a resumed run draws the same ones.
         *
         * @param rng the generator
         * @return this builder
         */
        public Builder rng(Rng rng) {
            this.rng = Objects.requireNonNull(rng, "Trainer: rng is null");
            return this;
        }

        /**
         * A condition asked before every step of {@link #fit}: when it turns true, {@code fit} returns at once
         * (mid-epoch, without finishing the epoch, reporting it or writing its checkpoint) and {@link #stopped()}
         * becomes true. For a time budget or a signal; the default never stops.
         *
         * @param stop the condition
         * @return this builder
         */
        public Builder stopWhen(BooleanSupplier stop) {
            this.stopWhen = Objects.requireNonNull(stop, "Trainer: stop condition is null");
            return this;
        }

        /**
         * The trainer.
         *
         * @return a trainer at epoch 0, step 0
         */
        public Trainer build() {
            return new Trainer(this);
        }
    }

    /** The model. */
    public Layer model() {
        return model;
    }

    /** The optimizer. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The trainer's generator (see {@link Builder#rng}). */
    public Rng rng() {
        return rng;
    }

    /** The number of completed epochs, i.e. the zero-based epoch {@link #fit} runs next. */
    public int epoch() {
        return epoch;
    }

    /** Whether the last {@link #fit} returned early because the {@link Builder#stopWhen} condition turned true. */
    public boolean stopped() {
        return stopped;
    }

    /** The number of optimizer steps taken. */
    public long step() {
        return step;
    }

    /** The checkpoint file, or null when checkpoints are off. */
    public Path checkpointPath() {
        return checkpointDir == null ? null : checkpointDir.resolve(CHECKPOINT_FILE);
    }

    /**
     * Runs epochs {@link #epoch()}, …, {@code numEpochs - 1}: each iterates {@code epochs.apply(e)} with one
     * {@link #step(Batch)} per batch, reports to the listener, steps the scheduler and writes the checkpoint when
     * due. Returns the finished epochs' metrics (empty if {@code numEpochs <= epoch()}).
     *
     * @param epochs the batches of epoch {@code e} (e.g. {@code loader::epoch}); must be deterministic for an exact
     *     resume
     * @param numEpochs the total number of epochs the run should have
     * @return the metrics of the epochs run by this call
     * @throws NonFiniteLossException if a loss or penalty is NaN or infinite (no checkpoint of that epoch is written)
     * @throws IOException if writing a checkpoint fails
     */
    public List<TrainListener.Epoch> fit(IntFunction<Iterable<Batch>> epochs, int numEpochs) throws IOException {
        List<TrainListener.Epoch> history = new ArrayList<>();
        stopped = false;
        if (checkpointDir != null) {
            // temporaries of checkpoint writes that a killed run left behind
            dev.jacobi.core.io.AtomicFiles.removeStale(checkpointPath());
        }
        while (epoch < numEpochs) {
            long t0 = System.nanoTime();
            long steps0 = step;
            double lr = optimizer.lr();
            lossSum = 0;
            correct = 0;
            classified = 0;
            seen = 0;
            for (Batch b : epochs.apply(epoch)) {
                if (stopWhen.getAsBoolean()) {
                    stopped = true;
                    return history;
                }
                step(b);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            TrainListener.Epoch info = new TrainListener.Epoch(epoch, step - steps0, seen == 0 ? Double.NaN
                    : lossSum / seen, classified == 0 ? Double.NaN : (double) correct / classified, seen / secs, secs, lr);
            history.add(info);
            epoch++;
            if (scheduler != null) {
                scheduler.step();
            }
            if (checkpointDir != null && (epoch % checkpointEvery == 0 || epoch == numEpochs)) {
                checkpoint().write(checkpointPath());
            }
            // after the checkpoint, so that a log the listener writes is never ahead of it
            listener.onEpochEnd(info);
        }
        return history;
    }

    /**
     * One optimizer step on {@code batch} at the current epoch: transform, forward, loss and penalties (each
     * checked finite), backward of {@code J}, clipping, update, constraints, listener. The global step advances.
     *
     * @param batch the mini-batch
     * @return the step's values
     * @throws NonFiniteLossException if the loss or a penalty is NaN or infinite (the parameters are untouched)
     */
    public TrainListener.Step step(Batch batch) {
        model.train();
        Batch b = transform == null ? batch : transform.apply(model, batch, step);
        optimizer.zeroGrad();
        Var logits = model.forward(Var.of(b.x()));
        Var l = b.isRegression() ? regressionLoss.apply(logits, b.targets()) : loss.apply(logits, b.y());
        double lv = finite(l, "loss", b);
        Var total = l;
        double[] pens = new double[terms.size()];
        double tv = lv;
        for (int i = 0; i < pens.length; i++) {
            Term t = terms.get(i);
            Var p = t.regularizer().penalty(model, b, step);
            pens[i] = finite(p, "penalty " + t.regularizer().name(), b);
            total = total.add(p.mul(t.lambda()));
            tv += t.lambda() * pens[i];
        }
        List<Tensor> spent = Autodiff.computedValues(total);
        total.backward();
        keepGradients(spent);
        if (!Double.isNaN(clipNorm)) {
            Optimizers.clipGradNorm(optimizer.parameters(), clipNorm);
        }
        optimizer.step();
        for (Constraint c : constraints) {
            c.apply(model, epoch);
        }
        int n = b.size();
        if (!b.isRegression()) {
            int[] pred = logits.value().argmax(1);
            for (int i = 0; i < n; i++) {
                if (pred[i] == b.y()[i]) {
                    correct++;
                }
            }
            classified += n;
        }
        release(spent);
        lossSum += lv * n;
        seen += n;
        TrainListener.Step info = new TrainListener.Step(epoch, step, lv, pens, tv, n);
        step++;
        listener.onStep(info);
        return info;
    }

    /** Takes out of {@code spent} any value that backward made a parameter's gradient. */
    private void keepGradients(List<Tensor> spent) {
        Set<Tensor> grads = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Parameter p : optimizer.parameters()) {
            if (p.grad() != null) {
                grads.add(p.grad());
            }
        }
        spent.removeIf(grads::contains);
    }

    /**
     * Returns the step's activations and intermediate values to the caching allocator, so that the next step reuses
     * their memory instead of the JVM allocating and zeroing it afresh. Any use of them after the step throws.
     */
    private void release(List<Tensor> spent) {
        for (Tensor t : spent) {
            // a backward rule may have made a view of it since
            if (t.ownsStorage()) {
                t.release("Trainer.step at the end of its step (it releases the step's activations for the next step"
                        + " to reuse)");
            }
        }
    }

    /** The first non-finite tensor behind a non-finite term: the batch's inputs, then the parameters in order. */
    private String firstNonFinite(Batch b) {
        String where = firstNonFinite(b.x());
        if (where != null) {
            return "the input batch holds " + where + " (the data has non-finite values)";
        }
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            where = firstNonFinite(e.getValue().value());
            if (where != null) {
                return "parameter '" + e.getKey() + "' holds " + where;
            }
        }
        return "the inputs and parameters are finite, so the model's arithmetic overflowed (lower the learning rate"
                + " or λ)";
    }

    /** {@code "NaN at index i"} for the first non-finite element of {@code t}, or null. */
    private static String firstNonFinite(Tensor t) {
        double[] v = t.contiguous().toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                return v[i] + " at flat index " + i + " of shape " + dev.jacobi.core.Shapes.str(t.shape());
            }
        }
        return null;
    }

    private double finite(Var v, String term, Batch b) {
        if (v.value().numel() != 1) {
            throw new IllegalArgumentException("Trainer: " + term + " must be a scalar, got shape "
                    + dev.jacobi.core.Shapes.str(v.shape()));
        }
        double x = v.item();
        if (!Double.isFinite(x)) {
            throw new NonFiniteLossException(epoch, step, term, x, firstNonFinite(b));
        }
        return x;
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * The current state as a checkpoint: model and optimizer state dicts, epoch, step, the scheduler's epoch and the
     * states of the trainer's generator and of every {@link Dropout} layer's generator.
     *
     * @return the checkpoint
     */
    public Checkpoint checkpoint() {
        Map<String, String> extra = new HashMap<>();
        extra.put("rng.trainer", rngString(rng));
        model.namedLayers().forEach((name, m) -> {
            if (m instanceof Dropout d) {
                extra.put("rng.module." + name, rngString(d.rng()));
            }
        });
        if (scheduler != null) {
            extra.put("scheduler.last_epoch", Integer.toString(scheduler.lastEpoch()));
        }
        return new Checkpoint(model.stateDict(), optimizer.stateDict(), epoch, step, extra);
    }

    /**
     * Restores the state of a checkpoint written by a trainer of the same configuration (strict: every model and
     * optimizer key must match), so that the next {@link #fit} continues the interrupted run exactly.
     *
     * @param path the checkpoint file
     * @throws IOException if it cannot be read or is not a checkpoint
     * @throws IllegalArgumentException if it does not match this model or optimizer
     */
    public void resume(Path path) throws IOException {
        Checkpoint c = Checkpoint.read(path);
        try {
            restore(c);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Trainer.resume: " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Restores the state of {@code c} (see {@link #resume}).
     *
     * @param c the checkpoint
     */
    public void restore(Checkpoint c) {
        Map<String, Rng> rngs = new HashMap<>();
        rngs.put("rng.trainer", rng);
        model.namedLayers().forEach((name, m) -> {
            if (m instanceof Dropout d) {
                rngs.put("rng.module." + name, d.rng());
            }
        });
        Map<String, long[]> states = new HashMap<>();
        for (Map.Entry<String, Rng> e : rngs.entrySet()) {
            String s = c.extra().get(e.getKey());
            if (s == null) {
                throw new IllegalArgumentException("checkpoint has no " + e.getKey() + " state");
            }
            states.put(e.getKey(), parseRng(e.getKey(), s));
        }
        String sched = c.extra().get("scheduler.last_epoch");
        if ((sched == null) != (scheduler == null)) {
            throw new IllegalArgumentException("checkpoint " + (sched == null ? "has no" : "has a")
                    + " scheduler state but this trainer " + (scheduler == null ? "has no" : "has a") + " scheduler");
        }
        model.loadStateDict(c.model(), true);
        optimizer.loadStateDict(c.optimizer());
        if (scheduler != null) {
            scheduler.setLastEpoch(Integer.parseInt(sched));
            Tensor lr = c.optimizer().get("param_groups.0.lr");
            if (lr != null) {
                optimizer.setLr(lr.item());
            }
        }
        states.forEach((k, s) -> rngs.get(k).setState(s));
        epoch = c.epoch();
        step = c.step();
    }

    private static String rngString(Rng r) {
        long[] s = r.state();
        return Long.toHexString(s[0]) + ":" + Long.toHexString(s[1]);
    }

    private static long[] parseRng(String key, String s) {
        String[] p = s.split(":");
        try {
            if (p.length == 2) {
                return new long[] {Long.parseUnsignedLong(p[0], 16), Long.parseUnsignedLong(p[1], 16)};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("checkpoint " + key + " state '" + s + "' is not 'hex:hex'");
    }

    // ------------------------------------------------------------------ evaluation

    /**
     * Held-out metrics.
     *
     * @param accuracy the fraction of examples whose logits' argmax is the label (NaN for regression data)
     * @param meanLoss the mean cross-entropy, or for regression data the mean squared error per target element
     * @param examples the number of examples
     */
    public record Evaluation(double accuracy, double meanLoss, long examples) {
    }

    /**
     * Accuracy and mean cross-entropy of {@code model} on {@code data}, in eval mode without recording a graph; the
     * model's training mode is restored afterwards. For regression batches the loss is the mean squared error per
     * target element and the accuracy NaN.
     *
     * @param model the model (logits {@code [N, C]}, or outputs of the targets' shape)
     * @param data the batches
     * @return the metrics (NaN for no examples)
     */
    public static Evaluation evaluate(Layer model, Iterable<Batch> data) {
        boolean wasTraining = model.isTraining();
        model.eval();
        long right = 0;
        long n = 0;
        long classified = 0;
        double sum = 0;
        long elements = 0;
        try (GradMode.Scope ignored = Autodiff.noGrad()) {
            for (Batch b : data) {
                Var out = model.forward(b.x());
                if (b.isRegression()) {
                    sum += Losses.mse(out, b.targets(), dev.jacobi.nn.Reduction.SUM).item();
                    elements += b.targets().numel();
                } else {
                    sum += Losses.crossEntropy(out, b.y(), dev.jacobi.nn.Reduction.SUM).item();
                    elements += b.size();
                    int[] pred = out.value().argmax(1);
                    for (int i = 0; i < pred.length; i++) {
                        right += pred[i] == b.y()[i] ? 1 : 0;
                    }
                    classified += pred.length;
                }
                n += b.size();
            }
        } finally {
            model.train(wasTraining);
        }
        return new Evaluation(classified == 0 ? Double.NaN : (double) right / classified,
                elements == 0 ? Double.NaN : sum / elements, n);
    }
}
