/**
 * Robust locally linear networks (Lee et al. 2019): exact margins of the linear regions of piecewise-linear models,
 * activation patterns, and the relaxed ROLL regularizer ({@link dev.jacobi.regularizers.roll.Roll}).
 */
package dev.jacobi.regularizers.roll;
