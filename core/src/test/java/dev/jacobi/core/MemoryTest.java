package dev.jacobi.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.kernel.CachingAllocator;
import org.junit.jupiter.api.Test;

/** The caching allocator, {@link Tensor#close()}, and the in-place ops with their version counter. */
class MemoryTest {
    /** Large enough to be cached, and a size no other test in this JVM uses. */
    private static final int N = CachingAllocator.MIN_LENGTH + 17;

    @Test
    void closedMemoryIsReusedAndTheClosedTensorAndItsViewsRefuseUse() {
        Tensor a = Tensor.randn(new Rng(1), N);
        Tensor view = a.narrow(0, 1, 10);
        long hits = CachingAllocator.counts()[0];
        a.close();
        a.close(); // twice is fine
        assertTrue(a.isReleased());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> a.add(1));
        assertTrue(e.getMessage().contains("released by Tensor.close()"), e.getMessage());
        assertThrows(IllegalStateException.class, view::sum);
        assertThrows(IllegalStateException.class, () -> view.reshape(5, 2));
        Tensor b = Tensor.randn(new Rng(2), N);
        Tensor c = b.exp();
        // the next array of that length is the closed one; a is still refused
        assertTrue(CachingAllocator.counts()[0] > hits);
        assertNotSame(b.f(), c.f());
        assertArrayEquals(b.toFloatArray(), c.log().toFloatArray(), 1e-5f);
        assertThrows(IllegalStateException.class, a::toFloatArray);
    }

    @Test
    void liveTensorsNeverShareMemoryWithNewOnes() {
        Tensor[] live = new Tensor[6];
        for (int i = 0; i < live.length; i++) {
            live[i] = Tensor.randn(new Rng(i), N + 1);
            Tensor tmp = live[i].mul(2);
            tmp.close();
        }
        for (int i = 0; i < live.length; i++) {
            Tensor fresh = live[i].add(live[i]);
            for (Tensor t : live) {
                assertNotSame(t.f(), fresh.f());
            }
            assertArrayEquals(live[i].mul(2).toFloatArray(), fresh.toFloatArray());
        }
    }

    @Test
    void aViewKeepsItsBaseFromLookingUnshared() {
        Tensor a = Tensor.randn(new Rng(3), 4, 5);
        assertTrue(a.ownsStorage());
        Tensor v = a.transpose(0, 1);
        assertFalse(a.ownsStorage());
        assertTrue(v.sharesStorage(a));
        // a view that changes nothing is the tensor itself
        assertSame(a, a.reshape(4, 5));
        assertSame(a, a.expand(4, 5));
    }

    @Test
    void cacheLimitIsRespectedAndZeroTurnsCachingOff() {
        long old = CachingAllocator.limit();
        try {
            CachingAllocator.setLimit(0);
            Tensor a = Tensor.randn(new Rng(4), N + 2);
            float[] array = a.f();
            a.close();
            assertEquals(0, CachingAllocator.cachedBytes());
            assertNotSame(array, Tensor.randn(new Rng(5), N + 2).exp().f());
            assertThrows(IllegalArgumentException.class, () -> CachingAllocator.setLimit(-1));
        } finally {
            CachingAllocator.setLimit(old);
        }
    }

    @Test
    void inPlaceOpsMatchTheirOutOfPlaceTwins() {
        Tensor x = Tensor.randn(new Rng(6), 3, 4);
        Tensor y = Tensor.randn(new Rng(7), 4);
        assertArrayEquals(x.add(y).toFloatArray(), x.copy().add_(y).toFloatArray());
        assertArrayEquals(x.sub(y).toFloatArray(), x.copy().sub_(y).toFloatArray());
        assertArrayEquals(x.mul(y).toFloatArray(), x.copy().mul_(y).toFloatArray());
        assertArrayEquals(x.div(y).toFloatArray(), x.copy().div_(y).toFloatArray());
        assertArrayEquals(x.mul(3).toFloatArray(), x.copy().mul_(3).toFloatArray());
        assertArrayEquals(x.div(3).toFloatArray(), x.copy().div_(3).toFloatArray());
        assertArrayEquals(x.add(0.5).toFloatArray(), x.copy().add_(0.5).toFloatArray());
        assertArrayEquals(x.add(x.mul(-0.25)).toFloatArray(), x.copy().add_(x, -0.25).toFloatArray(), 1e-6f);
        assertArrayEquals(x.relu().toFloatArray(), x.copy().relu_().toFloatArray());
        assertArrayEquals(x.exp().toFloatArray(), x.copy().exp_().toFloatArray());
        assertArrayEquals(new float[12], x.copy().zero_().toFloatArray());
        assertArrayEquals(Tensor.full(2.5, 3, 4).toFloatArray(), x.copy().fill_(2.5).toFloatArray());
        Tensor big = Tensor.randn(new Rng(8), N);
        assertArrayEquals(big.exp().toFloatArray(), big.copy().exp_().toFloatArray());
        // a non-contiguous view is written through to its base
        Tensor base = x.copy();
        base.transpose(0, 1).mul_(2);
        assertArrayEquals(x.mul(2).toFloatArray(), base.toFloatArray());
        // float64 too
        Tensor xd = x.to(DType.FLOAT64);
        assertArrayEquals(xd.add(xd).toDoubleArray(), xd.copy().add_(xd).toDoubleArray());
        assertArrayEquals(xd.exp().toDoubleArray(), xd.copy().exp_().toDoubleArray());
        Tensor xdt = xd.copy();
        xdt.transpose(0, 1).relu_();
        assertArrayEquals(xd.relu().toDoubleArray(), xdt.toDoubleArray());
    }

    @Test
    void inPlaceWithAnOverlappingOperandReadsTheOldValues() {
        Tensor m = Tensor.randn(new Rng(9), 5, 5);
        Tensor expected = m.add(m.transpose(0, 1));
        Tensor w = m.copy();
        w.add_(w.transpose(0, 1));
        assertArrayEquals(expected.toFloatArray(), w.toFloatArray());
        Tensor s = m.copy();
        s.add_(s);
        assertArrayEquals(m.mul(2).toFloatArray(), s.toFloatArray());
    }

    @Test
    void inPlaceMisuseIsAnError() {
        Tensor x = Tensor.randn(new Rng(10), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> x.add_(Tensor.randn(new Rng(11), 3, 4)));
        assertTrue(e.getMessage().contains("add_") && e.getMessage().contains("[3, 4]"), e.getMessage());
        Tensor expanded = x.reshape(1, 4).expand(3, 4);
        e = assertThrows(IllegalArgumentException.class, () -> expanded.mul_(2));
        assertTrue(e.getMessage().contains("expanded view"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> x.add_(x.to(DType.FLOAT64)));
        e = assertThrows(IllegalArgumentException.class, () -> x.copy_(Tensor.zeros(5)));
        assertTrue(e.getMessage().contains("copy_"), e.getMessage());
    }

    @Test
    void inPlaceOpsBumpTheVersionThatViewsShare() {
        Tensor x = Tensor.randn(new Rng(12), 4);
        Tensor v = x.reshape(2, 2);
        assertEquals(0, x.version());
        x.add_(1);
        v.mul_(2);
        assertEquals(2, x.version());
        assertEquals(2, v.version());
        assertEquals(0, x.add(1).version());
    }
}
