package dev.jacobi.core;

/**
 * A small, explicit, seeded random generator (SplitMix64). Every random tensor in Jacobi is drawn from one of
 * these, sequentially, so results are reproducible whatever the thread count.
 */
public final class Rng {
    private long state;
    private double spareGaussian = Double.NaN;

    /** A generator whose whole sequence is determined by {@code seed}. */
    public Rng(long seed) {
        this.state = seed;
    }

    /** The next 64 uniformly random bits. */
    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("Rng.nextInt: bound must be positive, got " + bound);
        }
        return (int) (((nextLong() >>> 33) * bound) >>> 31);
    }

    /** Standard normal sample (Box–Muller, the second value of each pair is kept for the next call). */
    public double nextGaussian() {
        if (!Double.isNaN(spareGaussian)) {
            double s = spareGaussian;
            spareGaussian = Double.NaN;
            return s;
        }
        double u1 = 1.0 - nextDouble(); // (0, 1]
        double u2 = nextDouble();
        double r = Math.sqrt(-2.0 * Math.log(u1));
        spareGaussian = r * Math.sin(2 * Math.PI * u2);
        return r * Math.cos(2 * Math.PI * u2);
    }

    /** A new generator seeded from this one, for an independent stream. */
    public Rng split() {
        return new Rng(nextLong());
    }

    /** Shuffles {@code a} in place (Fisher–Yates). */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * The full generator state {@code (counter, cached Gaussian bits)}, for checkpoints: {@code setState(state())}
     * on any generator makes it continue exactly this one's sequence.
     */
    public long[] state() {
        return new long[] {state, Double.doubleToRawLongBits(spareGaussian)};
    }

    /** Restores a state returned by {@link #state()}. */
    public void setState(long[] s) {
        if (s == null || s.length != 2) {
            throw new IllegalArgumentException("Rng.setState: expected 2 longs, got "
                    + (s == null ? "null" : Integer.toString(s.length)));
        }
        state = s[0];
        spareGaussian = Double.longBitsToDouble(s[1]);
    }
}
