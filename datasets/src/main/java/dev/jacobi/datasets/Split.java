package dev.jacobi.datasets;

/**
 * A train/test pair of data sets, {@code D = train ∪ test} when made by {@link Dataset#balancedSplit(int, long)}.
 *
 * @param train the training part
 * @param test  the test part
 */
public record Split(Dataset train, Dataset test) {
}
