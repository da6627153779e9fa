package dev.jacobi.datasets;

import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Tensor;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Mini-batches of a {@link Dataset}: each epoch visits a (seeded, epoch-dependent) permutation of the samples in
 * batches of {@code B}, optionally augmenting (random crop with zero padding, horizontal flip) and normalising
 * per channel, {@code x' = (x - mean_c) / std_c}. Only the current batch is materialised as floats.
 *
 * <p>Epoch {@code e} is a pure function of {@code (seed, e)}: {@link #epoch(int)} gives it directly, and the
 * {@code k}-th call of {@link #iterator()} (counting from 0) gives epoch {@code k}.
 */
public final class DataLoader implements Iterable<Batch> {

    private final Dataset data;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final float[] mean;
    private final float[] std;
    private final int cropPadding;
    private final boolean flip;
    private final Transform transform;
    private final int[] shape;
    private final int sampleSize;
    private final AtomicInteger nextEpoch = new AtomicInteger();

    private DataLoader(Builder b) {
        this.data = b.data;
        this.batchSize = b.batchSize;
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.mean = b.mean;
        this.std = b.std;
        this.cropPadding = b.cropPadding;
        this.flip = b.flip;
        this.transform = b.transform;
        this.shape = data.sampleShape();
        this.sampleSize = Shapes.numel(shape, "DataLoader");
    }

    /**
     * A builder over {@code data} with batches of {@code batchSize}; defaults: seed 0, shuffled, last partial batch
     * kept, no normalisation, no augmentation.
     *
     * @param data      the data set
     * @param batchSize samples per batch, at least 1
     * @return the builder
     */
    public static Builder builder(Dataset data, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("DataLoader: batch size must be positive, got " + batchSize);
        }
        return new Builder(data, batchSize);
    }

    /**
     * A user's transform of each batch's inputs, after the built-in augmentation and normalisation: for example
     * noise, a colour jitter or a change of layout. It gets a generator seeded from the loader's seed, the epoch and
     * the batch, so the batches stay the same for the same seed.
     */
    @FunctionalInterface
    public interface Transform {
        /**
         * The transformed inputs: {@code x} is {@code [B, ...sample shape]}; the result must keep the batch size B.
         *
         * @param x   the batch's inputs
         * @param rng a generator for random transforms, the same for the same seed, epoch and batch
         * @return the inputs to train on
         */
        Tensor apply(Tensor x, Rng rng);
    }

    /** Options of a {@link DataLoader}; each setter returns this builder. */
    public static final class Builder {
        private final Dataset data;
        private final int batchSize;
        private long seed;
        private boolean shuffle = true;
        private boolean dropLast;
        private float[] mean;
        private float[] std;
        private int cropPadding;
        private boolean flip;
        private Transform transform;

        private Builder(Dataset data, int batchSize) {
            this.data = data;
            this.batchSize = batchSize;
        }

        /**
         * Seed of the shuffling and augmentation.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Whether each epoch visits a random permutation (true) or the data set order (false).
         *
         * @param shuffle whether to shuffle
         * @return this builder
         */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /**
         * Whether to drop the last batch when it has fewer than {@code batchSize} samples.
         *
         * @param dropLast whether to drop it
         * @return this builder
         */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /**
         * Per-channel normalisation {@code x' = (x - mean_c) / std_c}, channel {@code c} being the first sample dim.
         *
         * @param mean one mean per channel
         * @param std  one positive standard deviation per channel
         * @return this builder
         */
        public Builder normalize(float[] mean, float[] std) {
            int c = data.sampleShape()[0];
            if (mean.length != c || std.length != c) {
                throw new IllegalArgumentException("DataLoader.normalize: samples " + Shapes.str(data.sampleShape())
                        + " have " + c + " channels, got " + mean.length + " means and " + std.length + " stds");
            }
            for (float s : std) {
                if (!(s > 0) || Float.isInfinite(s)) {
                    throw new IllegalArgumentException("DataLoader.normalize: std " + s + " is not finite positive");
                }
            }
            this.mean = mean.clone();
            this.std = std.clone();
            return this;
        }

        /**
         * Random crop: pad each image with {@code padding} zeros on every side, then cut a random {@code H x W}
         * window; needs {@code [C, H, W]} samples.
         *
         * @param padding padding in pixels, at least 0 (0 turns cropping off)
         * @return this builder
         */
        public Builder randomCrop(int padding) {
            if (padding < 0) {
                throw new IllegalArgumentException("DataLoader.randomCrop: negative padding " + padding);
            }
            requireImages("randomCrop");
            this.cropPadding = padding;
            return this;
        }

        /**
         * Random horizontal flip {@code x[c, h, w] -> x[c, h, W-1-w]} with probability 1/2; needs {@code [C, H, W]}
         * samples.
         *
         * @param flip whether to flip
         * @return this builder
         */
        public Builder horizontalFlip(boolean flip) {
            if (flip) {
                requireImages("horizontalFlip");
            }
            this.flip = flip;
            return this;
        }

        private void requireImages(String op) {
            if (data.sampleShape().length != 3) {
                throw new IllegalArgumentException("DataLoader." + op + ": needs [C, H, W] samples, got "
                        + Shapes.str(data.sampleShape()));
            }
        }

        /**
         * Applies {@code transform} to the inputs of every batch, last (see {@link Transform}).
         *
         * @param transform the transform, or null for none
         * @return this builder
         */
        public Builder transform(Transform transform) {
            this.transform = transform;
            return this;
        }

        /** {@return the loader} */
        public DataLoader build() {
            return new DataLoader(this);
        }
    }

    /** {@return the number of batches in one epoch, {@code floor(n/B)} with dropLast, else {@code ceil(n/B)}} */
    public int batchesPerEpoch() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /**
     * The batches of epoch {@code epoch}, the same for the same seed and epoch.
     *
     * @param epoch epoch number, at least 0
     * @return the batches of that epoch
     */
    public Iterable<Batch> epoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("DataLoader.epoch: negative epoch " + epoch);
        }
        return () -> new Batches(epoch);
    }

    /** {@return the batches of the next epoch: epoch 0 on the first call, then 1, 2, ...} */
    @Override
    public Iterator<Batch> iterator() {
        return new Batches(nextEpoch.getAndIncrement());
    }

    private final class Batches implements Iterator<Batch> {
        private final int[] order;
        private final Rng aug;
        private final float[] scratch;
        private int batch;

        Batches(int epoch) {
            Rng rng = new Rng(new Rng(seed).nextLong() ^ new Rng(~(long) epoch).nextLong());
            order = new int[data.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            if (shuffle) {
                rng.shuffle(order);
            }
            aug = rng.split();
            scratch = cropPadding > 0 || flip ? new float[sampleSize] : null;
        }

        @Override
        public boolean hasNext() {
            return batch < batchesPerEpoch();
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("DataLoader: epoch has " + batchesPerEpoch() + " batches");
            }
            int from = batch++ * batchSize;
            int b = Math.min(batchSize, order.length - from);
            float[] x = new float[b * sampleSize];
            boolean regression = data.isRegression();
            int[] y = regression ? null : new int[b];
            int[] picked = new int[b];
            for (int j = 0; j < b; j++) {
                int i = order[from + j];
                picked[j] = i;
                if (!regression) {
                    y[j] = data.label(i);
                }
                if (scratch == null) {
                    data.copySample(i, x, j * sampleSize);
                } else {
                    data.copySample(i, scratch, 0);
                    augment(scratch, x, j * sampleSize);
                }
            }
            if (mean != null) {
                normalize(x);
            }
            int[] s = new int[shape.length + 1];
            s[0] = b;
            System.arraycopy(shape, 0, s, 1, shape.length);
            Tensor inputs = Tensor.of(x, s);
            if (transform != null) {
                Rng r = aug.split();
                inputs = transform.apply(inputs, r);
                if (inputs == null || inputs.dim() == 0 || inputs.shape()[0] != b) {
                    throw new IllegalStateException("DataLoader: the transform returned " + (inputs == null ? "null"
                            : "shape " + Shapes.str(inputs.shape())) + " for a batch of " + b + " inputs; it must keep"
                            + " the batch size");
                }
            }
            return regression ? Batch.regression(inputs, data.targets(picked)) : new Batch(inputs, y);
        }

        /** Writes the cropped and possibly flipped {@code src} (one [C, H, W] sample) to {@code dst[off..]}. */
        private void augment(float[] src, float[] dst, int off) {
            int c = shape[0], h = shape[1], w = shape[2], p = cropPadding;
            int dy = p > 0 ? aug.nextInt(2 * p + 1) - p : 0;
            int dx = p > 0 ? aug.nextInt(2 * p + 1) - p : 0;
            boolean mirror = flip && aug.nextInt(2) == 1;
            for (int ch = 0; ch < c; ch++) {
                for (int r = 0; r < h; r++) {
                    int sr = r + dy;
                    for (int col = 0; col < w; col++) {
                        int sc = (mirror ? w - 1 - col : col) + dx;
                        dst[off + (ch * h + r) * w + col] = sr >= 0 && sr < h && sc >= 0 && sc < w
                                ? src[(ch * h + sr) * w + sc] : 0f;
                    }
                }
            }
        }

        private void normalize(float[] x) {
            int per = sampleSize / shape[0];
            for (int k = 0; k < x.length; k++) {
                int ch = (k % sampleSize) / per;
                x[k] = (x[k] - mean[ch]) / std[ch];
            }
        }
    }
}
