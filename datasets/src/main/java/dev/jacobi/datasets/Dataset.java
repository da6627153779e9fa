package dev.jacobi.datasets;

import dev.jacobi.core.Rng;
import dev.jacobi.core.Shapes;
import dev.jacobi.core.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable data set: sample {@code i} is a tensor of shape {@link #sampleShape()} ({@code [C, H, W]} or
 * {@code [D]}) with a label {@code y_i} in {@code [0, numClasses)}, or, for a regression set ({@link #regression}),
 * with real-valued targets of shape {@link #targetShape()}. The class-based methods ({@link #label},
 * {@link #balancedSubset}, …) throw for a regression set.
 *
 * <p>Pixels are stored compactly, either as unsigned bytes (IDX, CIFAR-10; value {@code x = b / 255}) or as floats
 * (synthetic sets, {@code .npy}); they are converted to float32 only per batch by {@link #images(int[])}.
 * {@link #subset(int[])} and the splits are views that share the storage: no pixel is copied.
 */
public final class Dataset {
    private final byte[] bytes;     // uint8 storage, or null
    private final float[] floats;   // float storage, or null
    private final int[] sampleShape;
    private final int sampleSize;
    private final int numClasses;
    private final int[] labels;     // labels of the storage rows
    private final int[] rows;       // storage row of each sample, or null for the identity
    private final float[] targets;  // regression targets of the storage rows, or null
    private final int[] targetShape;
    private final int targetSize;

    private Dataset(byte[] bytes, float[] floats, int[] sampleShape, int[] labels, int numClasses, int[] rows) {
        this(bytes, floats, sampleShape, labels, numClasses, rows, null, null);
    }

    private Dataset(byte[] bytes, float[] floats, int[] sampleShape, int[] labels, int numClasses, int[] rows,
                    float[] targets, int[] targetShape) {
        this.bytes = bytes;
        this.floats = floats;
        this.sampleShape = sampleShape;
        this.sampleSize = Shapes.numel(sampleShape, "Dataset");
        this.labels = labels;
        this.numClasses = numClasses;
        this.rows = rows;
        this.targets = targets;
        this.targetShape = targetShape;
        this.targetSize = targetShape == null ? 0 : Shapes.numel(targetShape, "Dataset");
    }

    /**
     * A regression data set over float values: sample {@code i} is {@code values[i*s .. (i+1)*s)} with {@code s =
     * numel(sampleShape)} and its target {@code targets[i*t .. (i+1)*t)} with {@code t = numel(targetShape)}. The
     * arrays are not copied. Its batches are {@link dev.jacobi.core.Batch#regression} batches.
     *
     * @param values      row-major samples, one after another
     * @param sampleShape shape of one sample
     * @param targets     row-major targets, one after another, finite
     * @param targetShape shape of one target, e.g. {@code [1]}
     * @return the data set
     */
    public static Dataset regression(float[] values, int[] sampleShape, float[] targets, int... targetShape) {
        if (sampleShape.length == 0 || targetShape.length == 0) {
            throw new IllegalArgumentException("Dataset.regression: sample and target shapes need at least one dim, got "
                    + Shapes.str(sampleShape) + " and " + Shapes.str(targetShape));
        }
        int s = Shapes.numel(sampleShape, "Dataset");
        int t = Shapes.numel(targetShape, "Dataset");
        if (s == 0 || t == 0 || values.length % s != 0 || (long) values.length / s * t != targets.length) {
            throw new IllegalArgumentException("Dataset.regression: " + values.length + " values of samples "
                    + Shapes.str(sampleShape) + " and " + targets.length + " targets of shape "
                    + Shapes.str(targetShape) + " do not describe the same number of examples");
        }
        for (int i = 0; i < targets.length; i++) {
            if (!Float.isFinite(targets[i])) {
                throw new IllegalArgumentException("Dataset.regression: target value " + targets[i] + " of example "
                        + i / t + " is not finite");
            }
        }
        return new Dataset(null, values, sampleShape.clone(), null, 0, null, targets, targetShape.clone());
    }

    /** {@return whether this is a regression set (targets instead of class labels)} */
    public boolean isRegression() {
        return targets != null;
    }

    /** {@return a copy of the shape of one target; throws for a classification set} */
    public int[] targetShape() {
        requireTargets("targetShape");
        return targetShape.clone();
    }

    /**
     * The targets of samples {@code indices} stacked as a float32 tensor {@code [B, ...targetShape]}.
     *
     * @param indices sample indices, each in {@code [0, size())}
     * @return a new tensor
     */
    public Tensor targets(int[] indices) {
        requireTargets("targets");
        int[] shape = new int[targetShape.length + 1];
        shape[0] = indices.length;
        System.arraycopy(targetShape, 0, shape, 1, targetShape.length);
        float[] out = new float[indices.length * targetSize];
        for (int b = 0; b < indices.length; b++) {
            System.arraycopy(targets, row(indices[b]) * targetSize, out, b * targetSize, targetSize);
        }
        return Tensor.of(out, shape);
    }

    private void requireTargets(String op) {
        if (targets == null) {
            throw new IllegalStateException("Dataset." + op + ": a classification data set has labels, not targets");
        }
    }

    private void requireLabels(String op) {
        if (labels == null) {
            throw new IllegalStateException("Dataset." + op + ": a regression data set (targets "
                    + Shapes.str(targetShape) + ") has no class labels");
        }
    }

    /**
     * A data set over uint8 pixels, sample {@code i} being {@code pixels[i*s .. (i+1)*s) / 255} with {@code s =
     * numel(sampleShape)}. The arrays are not copied: the caller must not change them afterwards.
     *
     * @param pixels      row-major samples, one after another
     * @param sampleShape shape of one sample, e.g. {@code [1, 28, 28]}
     * @param labels      one label per sample, each in {@code [0, numClasses)}
     * @param numClasses  number of classes
     * @return the data set
     */
    public static Dataset ofBytes(byte[] pixels, int[] sampleShape, int[] labels, int numClasses) {
        check(pixels.length, sampleShape, labels, numClasses);
        return new Dataset(pixels, null, sampleShape.clone(), labels, numClasses, null);
    }

    /**
     * A data set over float values, sample {@code i} being {@code values[i*s .. (i+1)*s)} with {@code s =
     * numel(sampleShape)} (the form for {@code .npy} arrays and synthetic sets). The arrays are not copied.
     *
     * @param values      row-major samples, one after another
     * @param sampleShape shape of one sample, e.g. {@code [2]} or {@code [3, 32, 32]}
     * @param labels      one label per sample, each in {@code [0, numClasses)}
     * @param numClasses  number of classes
     * @return the data set
     */
    public static Dataset ofFloats(float[] values, int[] sampleShape, int[] labels, int numClasses) {
        check(values.length, sampleShape, labels, numClasses);
        return new Dataset(null, values, sampleShape.clone(), labels, numClasses, null);
    }

    private static void check(int length, int[] sampleShape, int[] labels, int numClasses) {
        if (sampleShape.length == 0) {
            throw new IllegalArgumentException("Dataset: sample shape must have at least one dim, got []");
        }
        int s = Shapes.numel(sampleShape, "Dataset");
        if (s == 0 || (long) s * labels.length != length) {
            throw new IllegalArgumentException("Dataset: " + length + " values do not hold " + labels.length
                    + " samples of shape " + Shapes.str(sampleShape));
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("Dataset: numClasses must be positive, got " + numClasses);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("Dataset: label " + labels[i] + " of sample " + i
                        + " is outside [0, " + numClasses + ")");
            }
        }
    }

    /** {@return the number of samples n} */
    public int size() {
        return rows != null ? rows.length : labels != null ? labels.length : targets.length / targetSize;
    }

    /** {@return a copy of the shape of one sample, {@code [C, H, W]} or {@code [D]}} */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** {@return the number of classes K; labels lie in {@code [0, K)}} */
    public int numClasses() {
        requireLabels("numClasses");
        return numClasses;
    }

    /**
     * Label {@code y_i} of sample {@code i}.
     *
     * @param i sample index in {@code [0, size())}
     * @return the label
     */
    public int label(int i) {
        requireLabels("label");
        return labels[row(i)];
    }

    /** {@return all labels {@code (y_0, ..., y_(n-1))} in a fresh array} */
    public int[] labels() {
        requireLabels("labels");
        int[] out = new int[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = labels[row(i)];
        }
        return out;
    }

    /** {@return the number of samples of each class, {@code c_k = #{i : y_i = k}}, indexed by class} */
    public int[] classCounts() {
        requireLabels("classCounts");
        int[] c = new int[numClasses];
        for (int i = 0, n = size(); i < n; i++) {
            c[label(i)]++;
        }
        return c;
    }

    private int row(int i) {
        if (i < 0 || i >= size()) {
            throw new IllegalArgumentException("Dataset: sample index " + i + " out of range [0, " + size() + ")");
        }
        return rows == null ? i : rows[i];
    }

    /**
     * The samples {@code indices} stacked as a float32 tensor of shape {@code [B, ...sampleShape]} (NCHW for images),
     * bytes scaled to {@code [0, 1]}.
     *
     * @param indices sample indices, each in {@code [0, size())}
     * @return a new tensor
     */
    public Tensor images(int[] indices) {
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = indices.length;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        float[] out = new float[Shapes.numel(shape, "Dataset.images")];
        for (int b = 0; b < indices.length; b++) {
            copySample(indices[b], out, b * sampleSize);
        }
        return Tensor.of(out, shape);
    }

    /** Writes sample {@code i} as floats (bytes divided by 255) into {@code dst[off .. off + sampleSize)}. */
    void copySample(int i, float[] dst, int off) {
        int base = row(i) * sampleSize;
        if (floats != null) {
            System.arraycopy(floats, base, dst, off, sampleSize);
        } else {
            for (int j = 0; j < sampleSize; j++) {
                dst[off + j] = (bytes[base + j] & 0xFF) * (1f / 255f);
            }
        }
    }

    /**
     * The samples {@code indices}, in that order, as a view sharing this set's storage: {@code subset(I)_j =
     * this_{I_j}}.
     *
     * @param indices sample indices, each in {@code [0, size())}; repeats are allowed
     * @return the subset
     */
    public Dataset subset(int[] indices) {
        int[] r = new int[indices.length];
        for (int j = 0; j < r.length; j++) {
            r[j] = row(indices[j]);
        }
        return new Dataset(bytes, floats, sampleShape, labels, numClasses, r, targets, targetShape);
    }

    /**
     * A class-balanced random subset of {@code total} samples: {@code total / K} of each class (the remainder, one
     * each, to the lowest classes), drawn with {@code seed} and returned in a seeded random order. For example
     * {@code balancedSubset(1000, seed)} of MNIST is "MNIST-1000", 100 digits of each class.
     *
     * @param total number of samples, in {@code [0, size()]}
     * @param seed  random seed; the same seed gives the same subset
     * @return the subset
     */
    public Dataset balancedSubset(int total, long seed) {
        requireLabels("balancedSubset");
        if (total < 0 || total > size()) {
            throw new IllegalArgumentException("balancedSubset: total " + total + " outside [0, " + size() + "]");
        }
        int[] want = new int[numClasses];
        for (int k = 0; k < numClasses; k++) {
            want[k] = total / numClasses + (k < total % numClasses ? 1 : 0);
        }
        List<int[]> byClass = shuffledByClass(new Rng(seed), "balancedSubset", want);
        int[] out = new int[total];
        int j = 0;
        for (int k = 0; k < numClasses; k++) {
            System.arraycopy(byClass.get(k), 0, out, j, want[k]);
            j += want[k];
        }
        Rng rng = new Rng(seed ^ 0x5DEECE66DL);
        rng.shuffle(out);
        return subset(out);
    }

    /**
     * A deterministic stratified split: the test part holds exactly {@code testPerClass} random samples of each class
     * (in a seeded random order), the train part all others (in their original order).
     *
     * @param testPerClass test samples per class; every class must have at least that many
     * @param seed         random seed; the same seed gives the same split
     * @return the split
     */
    public Split balancedSplit(int testPerClass, long seed) {
        requireLabels("balancedSplit");
        int[] want = new int[numClasses];
        Arrays.fill(want, testPerClass);
        List<int[]> byClass = shuffledByClass(new Rng(seed), "balancedSplit", want);
        boolean[] inTest = new boolean[size()];
        int[] test = new int[testPerClass * numClasses];
        int j = 0;
        for (int k = 0; k < numClasses; k++) {
            for (int t = 0; t < testPerClass; t++) {
                inTest[byClass.get(k)[t]] = true;
                test[j++] = byClass.get(k)[t];
            }
        }
        new Rng(seed ^ 0x5DEECE66DL).shuffle(test);
        int[] train = new int[size() - test.length];
        j = 0;
        for (int i = 0; i < inTest.length; i++) {
            if (!inTest[i]) {
                train[j++] = i;
            }
        }
        return new Split(subset(train), subset(test));
    }

    /** The sample indices of each class, each list shuffled; checks that class k has at least want[k]. */
    private List<int[]> shuffledByClass(Rng rng, String op, int[] want) {
        int[] counts = classCounts();
        List<int[]> byClass = new ArrayList<>();
        for (int k = 0; k < numClasses; k++) {
            if (want[k] < 0 || counts[k] < want[k]) {
                throw new IllegalArgumentException(op + ": class " + k + " has " + counts[k]
                        + " samples, " + want[k] + " requested");
            }
            byClass.add(new int[counts[k]]);
        }
        int[] fill = new int[numClasses];
        for (int i = 0, n = size(); i < n; i++) {
            int k = label(i);
            byClass.get(k)[fill[k]++] = i;
        }
        for (int[] idx : byClass) {
            rng.shuffle(idx);
        }
        return byClass;
    }

    /** {@return a short description, {@code Dataset(n=..., sample=[...], classes=K)}} */
    @Override
    public String toString() {
        return "Dataset(n=" + size() + ", sample=" + Shapes.str(sampleShape) + (targets != null ? ", targets="
                + Shapes.str(targetShape) : ", classes=" + numClasses) + ")";
    }
}
