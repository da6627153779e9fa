/**
 * Data sets for Jacobi: readers and writers for the IDX format (MNIST, Fashion-MNIST) and the CIFAR-10 binary format,
 * named sets read from a directory ({@link dev.jacobi.datasets.Datasets}), a bundled 10k MNIST subset that loads with
 * no configuration, synthetic 2-D sets, seeded mini-batching with augmentation ({@link dev.jacobi.datasets.DataLoader})
 * and an explicit, checksum-verifying {@link dev.jacobi.datasets.Downloader}.
 *
 * <p>Parsers are defensive: a malformed file gives an {@link java.io.IOException} naming the file, the field and the
 * offending value, and no parser allocates more than the file actually holds.
 */
package dev.jacobi.datasets;
