package dev.jacobi.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.blas.Gemm;
import dev.jacobi.core.blas.ScalarGemmKernel;
import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.ScalarKernels;
import org.junit.jupiter.api.Test;

/**
 * Which kernels {@link Backend} picked. CI runs the core and autodiff tests twice: with {@code --add-modules
 * jdk.incubator.vector} (the Vector API kernels must then load) and without it, with
 * {@code -Djacobi.expectScalar=true}, where the plain-Java kernels must be in use because the module is absent.
 */
class SimdFallbackTest {
    private static final boolean MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    private static final boolean DISABLED = "false".equalsIgnoreCase(System.getProperty("jacobi.simd", "true"));

    @Test
    void kernelsFollowTheModuleAndTheSwitch() {
        String d = Backend.describe();
        boolean vector = d.startsWith("Vector API");
        assertTrue(vector || d.startsWith("scalar (plain Java)"), d);
        assertEquals(vector, Backend.vectorized(), d);
        // with the module present and SIMD not switched off, a failed load is a bug, not a silent fallback
        assertEquals(MODULE && !DISABLED, Backend.vectorized(), d);
        assertEquals(Backend.vectorized(), !(Gemm.KERNEL instanceof ScalarGemmKernel), Gemm.KERNEL.describe());
        assertEquals(Backend.vectorized(), Conv.shiftedPath(), "the shifted-rows convolutions run with the Vector API");
    }

    @Test
    void plainJavaKernelsRunWhenTheBuildExpectsThem() {
        boolean expectScalar = Boolean.getBoolean("jacobi.expectScalar");
        String d = Backend.describe();
        if (!expectScalar) {
            assertEquals(MODULE && !DISABLED, d.startsWith("Vector API"), d);
            return;
        }
        assertFalse(Backend.vectorized(), d);
        assertSame(ScalarKernels.class, Backend.KERNELS.getClass(), d);
        assertSame(ScalarGemmKernel.class, Gemm.KERNEL.getClass(), Gemm.KERNEL.describe());
        if (DISABLED) {
            assertTrue(d.contains("disabled by -Djacobi.simd=false"), d);
        } else {
            assertFalse(MODULE, "-Djacobi.expectScalar=true, but the test JVM has jdk.incubator.vector");
            assertTrue(d.contains("jdk.incubator.vector is not available"), d);
        }
    }
}
