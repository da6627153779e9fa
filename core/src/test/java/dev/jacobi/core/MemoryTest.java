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

    @Test
    void outOpsMatchTheirOutOfPlaceTwinsAndReturnOut() {
        Tensor x = Tensor.randn(new Rng(13), 3, 4);
        Tensor y = Tensor.randn(new Rng(14), 4);
        Tensor out = Tensor.zeros(3, 4);
        assertSame(out, Tensor.add(x, y, out));
        assertArrayEquals(x.add(y).toFloatArray(), out.toFloatArray());
        assertArrayEquals(x.sub(y).toFloatArray(), Tensor.sub(x, y, out).toFloatArray());
        assertArrayEquals(y.sub(x).toFloatArray(), Tensor.sub(y, x, out).toFloatArray());
        assertArrayEquals(x.mul(y).toFloatArray(), Tensor.mul(x, y, out).toFloatArray());
        assertArrayEquals(x.div(y).toFloatArray(), Tensor.div(x, y, out).toFloatArray());
        assertArrayEquals(x.relu().toFloatArray(), Tensor.relu(x, out).toFloatArray());
        assertArrayEquals(x.exp().toFloatArray(), Tensor.exp(x, out).toFloatArray());
        Tensor xd = x.to(DType.FLOAT64);
        Tensor outd = Tensor.zeros(DType.FLOAT64, 3, 4);
        assertArrayEquals(xd.mul(xd).toDoubleArray(), Tensor.mul(xd, xd, outd).toDoubleArray());
        assertArrayEquals(xd.exp().toDoubleArray(), Tensor.exp(xd, outd).toDoubleArray());
        // a transposed input and a large one, split over the threads
        Tensor xt = Tensor.randn(new Rng(15), 4, 3).transpose(0, 1);
        assertArrayEquals(xt.relu().toFloatArray(), Tensor.relu(xt, out).toFloatArray());
        Tensor big = Tensor.randn(new Rng(16), N);
        assertArrayEquals(big.mul(big).toFloatArray(), Tensor.mul(big, big, Tensor.zeros(N)).toFloatArray());
    }

    @Test
    void outOpsWriteOnlyTheirViewOfALargerBuffer() {
        Tensor x = Tensor.randn(new Rng(17), 3, 4);
        Tensor y = Tensor.randn(new Rng(18), 3, 4);
        // a contiguous view at an offset, and a transposed (non-contiguous) view
        Tensor buf = Tensor.full(7, 14);
        Tensor inner = buf.narrow(0, 1, 12).reshape(3, 4);
        Tensor.add(x, y, inner);
        assertArrayEquals(x.add(y).toFloatArray(), inner.toFloatArray());
        assertEquals(7, buf.get(0));
        assertEquals(7, buf.get(13));
        Tensor t = Tensor.zeros(4, 3).transpose(0, 1);
        assertArrayEquals(x.mul(y).toFloatArray(), Tensor.mul(x, y, t).toFloatArray());
        assertArrayEquals(x.exp().toFloatArray(), Tensor.exp(x, t).toFloatArray());
        // matmul: 2-D, batched, with 1-D operands, into a view at an offset and a transposed one
        Tensor a = Tensor.randn(new Rng(19), 3, 5);
        Tensor b = Tensor.randn(new Rng(20), 5, 4);
        Tensor mbuf = Tensor.full(7, 14);
        Tensor mat = mbuf.narrow(0, 1, 12).reshape(3, 4);
        assertSame(mat, Tensor.matmul(a, b, mat));
        assertArrayEquals(a.matmul(b).toFloatArray(), mat.toFloatArray(), 1e-5f);
        assertEquals(7, mbuf.get(0));
        assertEquals(7, mbuf.get(13));
        assertArrayEquals(a.matmul(b).toFloatArray(),
                Tensor.matmul(a, b, Tensor.zeros(4, 3).transpose(0, 1)).toFloatArray(), 1e-5f);
        Tensor ba = Tensor.randn(new Rng(21), 2, 3, 5);
        assertArrayEquals(ba.matmul(b).toFloatArray(), Tensor.matmul(ba, b, Tensor.zeros(2, 3, 4)).toFloatArray(),
                1e-5f);
        Tensor v = Tensor.randn(new Rng(22), 5);
        assertArrayEquals(a.matmul(v).toFloatArray(), Tensor.matmul(a, v, Tensor.zeros(3)).toFloatArray(), 1e-5f);
        assertArrayEquals(v.matmul(b).toFloatArray(), Tensor.matmul(v, b, Tensor.zeros(4)).toFloatArray(), 1e-5f);
        assertEquals(v.matmul(v).item(), Tensor.matmul(v, v, Tensor.zeros()).item(), 1e-5);
        Tensor ad = a.to(DType.FLOAT64);
        assertArrayEquals(ad.matmul(ad.transpose(0, 1)).toDoubleArray(),
                Tensor.matmul(ad, ad.transpose(0, 1), Tensor.zeros(DType.FLOAT64, 3, 3)).toDoubleArray(), 1e-12);
    }

    @Test
    void outThatIsOrOverlapsAnOperandReadsTheOldValues() {
        Tensor m = Tensor.randn(new Rng(23), 5, 5);
        Tensor w = m.copy();
        Tensor.add(w, w.transpose(0, 1), w);
        assertArrayEquals(m.add(m.transpose(0, 1)).toFloatArray(), w.toFloatArray());
        Tensor s = m.copy();
        Tensor.mul(m, s, s); // out is the second operand
        assertArrayEquals(m.mul(m).toFloatArray(), s.toFloatArray());
        // out one element past the input in the same array
        Tensor buf = Tensor.randn(new Rng(24), N + 1);
        Tensor before = buf.copy();
        Tensor.exp(buf.narrow(0, 0, N), buf.narrow(0, 1, N));
        assertArrayEquals(before.narrow(0, 0, N).exp().toFloatArray(), buf.narrow(0, 1, N).toFloatArray());
        // a row of out broadcast as an operand
        Tensor r = m.copy();
        Tensor.sub(r, r.narrow(0, 0, 1), r);
        assertArrayEquals(m.sub(m.narrow(0, 0, 1)).toFloatArray(), r.toFloatArray());
        // matmul into one of its operands
        Tensor q = m.copy();
        Tensor.matmul(q, q, q);
        assertArrayEquals(m.matmul(m).toFloatArray(), q.toFloatArray(), 1e-5f);
    }

    @Test
    void outOpsAllocateNothingAndBumpTheVersion() {
        Tensor x = Tensor.randn(new Rng(25), N);
        Tensor out = Tensor.zeros(N);
        Tensor view = out.reshape(1, N);
        Tensor.add(x, x, out); // warm
        long[] before = CachingAllocator.counts();
        int version = out.version();
        Tensor.add(x, x, out);
        Tensor.relu(x, out);
        assertArrayEquals(before, CachingAllocator.counts());
        assertEquals(version + 2, out.version());
        assertEquals(version + 2, view.version());
        assertEquals(0, x.version());
        Tensor a = Tensor.randn(new Rng(26), 64, 64);
        Tensor mat = Tensor.zeros(64, 64);
        before = CachingAllocator.counts();
        Tensor.matmul(a, a, mat);
        assertArrayEquals(before, CachingAllocator.counts());
        assertEquals(1, mat.version());
    }

    @Test
    void outMisuseIsAnErrorThatNamesIt() {
        Tensor x = Tensor.randn(new Rng(27), 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.add(x, x, Tensor.zeros(4, 3)));
        assertTrue(e.getMessage().contains("add") && e.getMessage().contains("[4, 3]")
                && e.getMessage().contains("[3, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.exp(x, Tensor.zeros(DType.FLOAT64, 3, 4)));
        assertTrue(e.getMessage().contains("exp") && e.getMessage().contains("FLOAT64"), e.getMessage());
        Tensor expanded = Tensor.zeros(1, 4).expand(3, 4);
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.relu(x, expanded));
        assertTrue(e.getMessage().contains("expanded view"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.matmul(x, Tensor.randn(new Rng(28), 4, 2), Tensor.zeros(3, 3)));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[3, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.mul(x, x.to(DType.FLOAT64), Tensor.zeros(3, 4)));
        Tensor closed = Tensor.zeros(3, 4);
        closed.close();
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> Tensor.add(x, x, closed));
        assertTrue(s.getMessage().contains("released"), s.getMessage());
    }
}
