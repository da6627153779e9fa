package dev.jacobi.core.kernel;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Where the data of a {@code float[]} start relative to a 64-byte cache line, when the JVM makes that knowable. A
 * HotSpot JVM places objects on multiples of {@code -XX:ObjectAlignmentInBytes} (8 by default, so an array's data
 * can start anywhere in a line, and move when the garbage collector copies it). With
 * {@code -XX:ObjectAlignmentInBytes=64} every array's data start the same {@link #FLOAT_PAD} floats before a line,
 * wherever the array is, and a kernel that skips them reads whole lines with 64-byte vectors: a 512-bit load that
 * straddles two lines costs an Intel core a second pass through the load port (the GEMM micro-kernel alone on one
 * core of an Intel Xeon: 114 GFLOP/s from a packed B one line in 4 off, 147 from an aligned one). The launcher, the
 * JMH forks and {@code bench/compare.py} pass the flag; without it, or on a JVM that does not say, the pad is 0 and
 * the kernels run as before (nothing is wrong, only slower there).
 */
public final class Alignment {
    /** The cache line, and the widest vector (512 bits), in bytes. */
    public static final int LINE = 64;
    /**
     * Floats to skip from index 0 of any {@code float[]} so that the next one starts a 64-byte line: 12 with
     * {@code -XX:ObjectAlignmentInBytes=64} and the default 16-byte array header, 0 when the JVM does not align
     * objects to lines (or does not say).
     */
    public static final int FLOAT_PAD = floatPad();

    private Alignment() {
    }

    /**
     * How many floats from {@code index} of a {@code float[]} to the next start of a vector of {@code lanes} floats
     * that lies within one line ({@code lanes} a power of two up to 16): the values a kernel does in plain Java
     * before its vector loop, so that a vector never straddles two lines. 0 when {@link #FLOAT_PAD} is 0.
     */
    public static int head(int index, int lanes) {
        return FLOAT_PAD == 0 ? 0 : (FLOAT_PAD - index) & (lanes - 1);
    }

    private static int floatPad() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            int objects = Integer.parseInt(vm.getVMOption("ObjectAlignmentInBytes").getValue());
            // read reflectively: a compile-time reference to sun.misc.Unsafe draws a warning that cannot be suppressed
            int base = Class.forName("sun.misc.Unsafe").getField("ARRAY_FLOAT_BASE_OFFSET").getInt(null);
            return objects % LINE != 0 || base % Float.BYTES != 0 ? 0 : (LINE - base % LINE) % LINE / Float.BYTES;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // a JVM without the management or jdk.unsupported module, or not HotSpot: alignment unknown, which costs
            // only speed
            return 0;
        }
    }
}
