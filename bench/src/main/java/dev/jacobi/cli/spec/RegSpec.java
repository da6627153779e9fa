package dev.jacobi.cli.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code --reg NAME=λ[,key=value…]} option: a regularizer or constraint name, its weight (or radius, for a
 * constraint) and named parameters.
 *
 * @param name   the regularizer or constraint name
 * @param lambda the weight λ (a constraint's radius)
 * @param params further {@code key=value} settings
 */
public record RegSpec(String name, double lambda, Map<String, String> params) {
    /** Parses {@code NAME=λ[,key=value…]}; throws a one-line message on bad syntax. */
    public static RegSpec parse(String text) {
        String[] parts = text.split(",");
        int eq = parts[0].indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--reg '" + text + "': expected NAME=λ[,key=value...], e.g. grad-l2=0.1");
        }
        String name = parts[0].substring(0, eq).trim();
        double lambda;
        try {
            lambda = Double.parseDouble(parts[0].substring(eq + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--reg '" + text + "': λ '" + parts[0].substring(eq + 1) + "' is not a number");
        }
        if (!Double.isFinite(lambda) || lambda < 0) {
            throw new IllegalArgumentException("--reg '" + text + "': λ must be a finite non-negative number");
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int k = parts[i].indexOf('=');
            if (k <= 0) {
                throw new IllegalArgumentException("--reg '" + text + "': '" + parts[i] + "' is not key=value");
            }
            params.put(parts[i].substring(0, k).trim(), parts[i].substring(k + 1).trim());
        }
        return new RegSpec(name, lambda, params);
    }

    /** A numeric parameter, or {@code fallback} when absent. */
    public double num(String key, double fallback) {
        String v = params.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--reg " + name + ": " + key + "=" + v + " is not a number");
        }
    }

    /** A positive integer parameter, or {@code fallback} when absent; {@code 5.7} or {@code 0} is an error. */
    public int integer(String key, int fallback) {
        double v = num(key, fallback);
        if (v != Math.rint(v) || v < 1 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--reg " + name + ": " + key + "=" + params.get(key)
                    + " must be a positive whole number");
        }
        return (int) v;
    }

    /** A parameter that must be one of {@code choices} (the first is the default when absent). */
    public String choice(String key, String... choices) {
        String v = params.getOrDefault(key, choices[0]);
        if (!List.of(choices).contains(v)) {
            throw new IllegalArgumentException("--reg " + name + ": " + key + "=" + v + " is not one of "
                    + String.join(", ", choices));
        }
        return v;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append('=').append(lambda);
        params.forEach((k, v) -> sb.append(',').append(k).append('=').append(v));
        return sb.toString();
    }
}
