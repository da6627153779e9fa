/**
 * Neural-network building blocks on the autodiff, PyTorch-compatible: {@link dev.jacobi.nn.Layer} with named
 * parameters, buffers and state dicts; layers ({@link dev.jacobi.nn.Linear}, {@link dev.jacobi.nn.BatchNorm1d},
 * {@link dev.jacobi.nn.Dropout}, activations, …); {@link dev.jacobi.nn.Losses}; and {@link dev.jacobi.nn.Init}.
 */
package dev.jacobi.nn;
