package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Property test: random and mutated IDX / CIFAR-10 bytes make the parsers either succeed or throw an
 * {@link IOException} that names the input, without large allocations; never any other exception. (Hangs are what
 * the Jazzer fuzz test of the same readers, {@code IdxJazzerTest}, catches, through libFuzzer's per-input timeout.)
 */
class ParserFuzzTest {
    private static final long MAX_ALLOCATION = 16L << 20;
    private static final List<byte[]> SEEDS;

    static {
        try {
            byte[] img = IdxTest.idx(8, new int[] {3, 4, 4}, IdxTest.randomBytes(48, 21));
            byte[] lab = IdxTest.idx(8, new int[] {3}, new byte[] {1, 0, 9});
            byte[] cifar = new byte[2 * Cifar10.RECORD_BYTES];
            System.arraycopy(IdxTest.randomBytes(cifar.length, 22), 0, cifar, 0, cifar.length);
            cifar[0] = 3;
            cifar[Cifar10.RECORD_BYTES] = 7;
            SEEDS = List.of(img, lab, IdxTest.gzip(img), IdxTest.gzip(lab), cifar);
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A seed file with some bytes overwritten (headers are hit often) and possibly cut or extended. */
    @Provide
    Arbitrary<byte[]> mutated() {
        Arbitrary<Integer> which = Arbitraries.integers().between(0, SEEDS.size() - 1);
        Arbitrary<List<Tuple.Tuple2<Integer, Integer>>> edits = Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.integers().between(0, 15)),
                        Tuple.of(1, Arbitraries.integers().between(0, 7000))),
                Arbitraries.integers().between(0, 255)).as(Tuple::of).list().ofMaxSize(6);
        Arbitrary<Integer> length = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(-1)),
                Tuple.of(1, Arbitraries.integers().between(0, 7000)));
        return Combinators.combine(which, edits, length).as((w, es, len) -> {
            byte[] b = SEEDS.get(w).clone();
            for (Tuple.Tuple2<Integer, Integer> e : es) {
                if (e.get1() < b.length) {
                    b[e.get1()] = (byte) (int) e.get2();
                }
            }
            return len < 0 ? b : Arrays.copyOf(b, len);
        });
    }

    @Provide
    Arbitrary<byte[]> random() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
    }

    @Property(tries = 400, seed = "42", edgeCases = EdgeCasesMode.NONE)
    void mutatedFilesGiveOnlyCleanIoExceptions(@ForAll("mutated") byte[] content) {
        parseAll(content);
    }

    @Property(tries = 200, seed = "43")
    void randomBytesGiveOnlyCleanIoExceptions(@ForAll("random") byte[] content) {
        parseAll(content);
    }

    private static final java.util.concurrent.atomic.AtomicInteger INPUTS = new java.util.concurrent.atomic.AtomicInteger();
    private static final java.util.concurrent.atomic.AtomicInteger PARSED = new java.util.concurrent.atomic.AtomicInteger();

    @net.jqwik.api.lifecycle.AfterContainer
    static void recordFigures() throws IOException {
        java.nio.file.Path dir = java.nio.file.Path.of("..", "target", "reliability");
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("idx-cifar.txt"), "fuzzed IDX and CIFAR-10 files (jqwik)|"
                + INPUTS.get() + " inputs (mutated IDX, gzipped IDX and CIFAR-10 files, and random bytes), each given"
                + " to the IDX reader, the CIFAR-10 reader and the image-label pairing|" + PARSED.get() + " of "
                + 3 * INPUTS.get() + " parses succeeded, every other one was an IOException naming the input; each"
                + " under 16 MB of allocation\n");
    }

    private static void parseAll(byte[] content) {
        INPUTS.incrementAndGet();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        clean(() -> Idx.read(new ByteArrayInputStream(content), "fuzz.idx"));
        clean(() -> Cifar10.read(new ByteArrayInputStream(content), "fuzz.bin"));
        clean(() -> Idx.dataset(Idx.read(new ByteArrayInputStream(SEEDS.get(0)), "img"), "img",
                Idx.read(new ByteArrayInputStream(content), "fuzz.idx"), "fuzz.idx", 10));
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < MAX_ALLOCATION, "allocated " + allocated + " bytes for a " + content.length
                + "-byte input");
    }

    private static void clean(IdxTest.IoRun run) {
        try {
            run.run();
            PARSED.incrementAndGet();
        } catch (IOException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith("fuzz."), e.getMessage());
        }
    }
}
