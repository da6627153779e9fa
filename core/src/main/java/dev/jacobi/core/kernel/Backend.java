package dev.jacobi.core.kernel;

import java.util.logging.Logger;

/**
 * Chooses the kernel implementation once per JVM. The Vector API path is used when {@code jdk.incubator.vector}
 * is present; otherwise the plain-Java path is used and the reason is logged once.
 * <ul>
 *   <li>{@code -Djacobi.simd=false} forces the scalar path.</li>
 *   <li>{@code -Djacobi.simd.bits=128|256|512} forces a vector width (default: the CPU's preferred width).</li>
 * </ul>
 */
public final class Backend {
    private static final Logger LOG = Logger.getLogger("dev.jacobi.core");
    private static final String VECTOR_KERNELS = "dev.jacobi.core.kernel.VectorKernels";
    public static final Kernels KERNELS = load(VECTOR_KERNELS, Kernels.class, new ScalarKernels());
    private static volatile String fallbackReason;

    private Backend() {
    }

    /** Whether the Vector API kernels are in use. */
    public static boolean vectorized() {
        return !(KERNELS.getClass() == ScalarKernels.class);
    }

    /**
     * A one-line description of the kernels in use (species and lane count, or why the scalar path runs), and whether
     * float arrays start on 64-byte lines ({@link Alignment}).
     */
    public static String describe() {
        String d = KERNELS.describe() + (Alignment.FLOAT_PAD > 0 ? ", arrays on 64-byte lines" : "");
        return fallbackReason == null ? d : d + " (" + fallbackReason + ")";
    }

    /**
     * Loads the vector implementation {@code className} of {@code type}, or returns {@code fallback} (logging once
     * why) when SIMD is disabled or the incubator module is missing.
     */
    public static <T> T load(String className, Class<T> type, T fallback) {
        if ("false".equalsIgnoreCase(System.getProperty("jacobi.simd", "true"))) {
            fallbackReason = "disabled by -Djacobi.simd=false";
            return fallback;
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            String why = "jdk.incubator.vector is not available; run with --add-modules jdk.incubator.vector";
            if (fallbackReason == null) {
                LOG.info("Jacobi uses its scalar kernels: " + why);
            }
            fallbackReason = why;
            return fallback;
        }
        try {
            return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            String why = "could not load " + className + ": " + e;
            LOG.warning("Jacobi uses its scalar kernels: " + why);
            fallbackReason = why;
            return fallback;
        }
    }
}
