package dev.jacobi.examples;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The examples by name, for {@code ./jacobi example NAME [--tiny]}. */
public final class Examples {
    /** A runnable example. */
    @FunctionalInterface
    public interface Main {
        /** Runs it with {@code args}. */
        void run(String[] args) throws Exception;
    }

    /** Name → program, in the order the README lists them. */
    public static final Map<String, Main> ALL = new LinkedHashMap<>();

    static {
        ALL.put("mlp-mnist", MlpMnist::main);
        ALL.put("cnn-gradient-penalty", CnnGradientPenalty::main);
        ALL.put("hessian-eigen", HessianEigen::main);
        ALL.put("conv-spectral-norms", ConvSpectralNorms::main);
        ALL.put("certified-lipschitz", CertifiedLipschitz::main);
        ALL.put("custom-op", CustomOpGradcheck::main);
    }

    private Examples() {
    }

    /** Whether {@code args} ask for the tiny sizes of the CI run. */
    static boolean tiny(String[] args) {
        return Arrays.asList(args).contains("--tiny");
    }

    /** Runs example {@code name}; an unknown name gets an {@link IllegalArgumentException} listing the names. */
    public static void run(String name, String[] args) throws Exception {
        Main m = ALL.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no example '" + name + "'; the examples are " + ALL.keySet());
        }
        m.run(args);
    }
}
