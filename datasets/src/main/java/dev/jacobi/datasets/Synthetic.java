package dev.jacobi.datasets;

import dev.jacobi.core.Rng;

/**
 * Seeded synthetic 2-D classification sets (samples of shape {@code [2]}), for pictures of linear regions and toy
 * transport problems. Sample {@code i} has class {@code i mod K}, so classes are balanced; each point gets isotropic
 * Gaussian noise {@code N(0, noise^2 I)}. The same arguments always give the same points.
 */
public final class Synthetic {
    private Synthetic() {
    }

    /** A point generator: class {@code k} of {@code classes}, uniform {@code t} in [0, 1), writes {@code xy}. */
    private interface Shape {
        void point(int k, double t, double[] xy);
    }

    private static Dataset make(String op, int n, int classes, double noise, long seed, Shape shape) {
        if (n < 0 || classes < 1 || !(noise >= 0) || Double.isInfinite(noise)) {
            throw new IllegalArgumentException(op + ": need n >= 0, classes >= 1 and finite noise >= 0, got n=" + n
                    + ", classes=" + classes + ", noise=" + noise);
        }
        Rng rng = new Rng(seed);
        float[] x = new float[2 * n];
        int[] y = new int[n];
        double[] xy = new double[2];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            shape.point(y[i], rng.nextDouble(), xy);
            x[2 * i] = (float) (xy[0] + noise * rng.nextGaussian());
            x[2 * i + 1] = (float) (xy[1] + noise * rng.nextGaussian());
        }
        return Dataset.ofFloats(x, new int[] {2}, y, classes);
    }

    /**
     * Two interleaving half circles: class 0 is {@code (cos πt, sin πt)}, class 1 is {@code (1 - cos πt, 1/2 - sin
     * πt)}, {@code t ~ U[0, 1)}.
     *
     * @param n     number of points
     * @param noise standard deviation of the added Gaussian noise
     * @param seed  random seed
     * @return the data set, 2 classes
     */
    public static Dataset moons(int n, double noise, long seed) {
        return make("moons", n, 2, noise, seed, (k, t, xy) -> {
            double a = Math.PI * t;
            xy[0] = k == 0 ? Math.cos(a) : 1 - Math.cos(a);
            xy[1] = k == 0 ? Math.sin(a) : 0.5 - Math.sin(a);
        });
    }

    /**
     * Two concentric circles: class 0 has radius 1, class 1 radius {@code factor}, points {@code r (cos 2πt, sin
     * 2πt)}.
     *
     * @param n      number of points
     * @param noise  standard deviation of the added Gaussian noise
     * @param factor radius of the inner circle, in (0, 1)
     * @param seed   random seed
     * @return the data set, 2 classes
     */
    public static Dataset circles(int n, double noise, double factor, long seed) {
        if (!(factor > 0 && factor < 1)) {
            throw new IllegalArgumentException("circles: factor " + factor + " outside (0, 1)");
        }
        return make("circles", n, 2, noise, seed, (k, t, xy) -> {
            double r = k == 0 ? 1 : factor;
            xy[0] = r * Math.cos(2 * Math.PI * t);
            xy[1] = r * Math.sin(2 * Math.PI * t);
        });
    }

    /**
     * Interleaved spiral arms: arm {@code k} of {@code K} is {@code t (cos θ, sin θ)} with {@code θ = 3πt + 2πk/K}, so
     * the radius grows from 0 to 1 over one and a half turns.
     *
     * @param n     number of points
     * @param arms  number of arms (classes), at least 1
     * @param noise standard deviation of the added Gaussian noise
     * @param seed  random seed
     * @return the data set, {@code arms} classes
     */
    public static Dataset spirals(int n, int arms, double noise, long seed) {
        return make("spirals", n, arms, noise, seed, (k, t, xy) -> {
            double a = 3 * Math.PI * t + 2 * Math.PI * k / arms;
            xy[0] = t * Math.cos(a);
            xy[1] = t * Math.sin(a);
        });
    }

    /**
     * Gaussian blobs with centres evenly spaced on a circle of radius 2, {@code μ_k = 2 (cos 2πk/K, sin 2πk/K)}, and
     * points {@code μ_k + N(0, std^2 I)} (with {@code K = 8} the usual "8 Gaussians" of Wasserstein toys).
     *
     * @param n       number of points
     * @param centers number of blobs (classes), at least 1
     * @param std     standard deviation of each blob
     * @param seed    random seed
     * @return the data set, {@code centers} classes
     */
    public static Dataset blobs(int n, int centers, double std, long seed) {
        return make("blobs", n, centers, std, seed, (k, t, xy) -> {
            xy[0] = 2 * Math.cos(2 * Math.PI * k / centers);
            xy[1] = 2 * Math.sin(2 * Math.PI * k / centers);
        });
    }
}
