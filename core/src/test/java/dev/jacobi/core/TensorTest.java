package dev.jacobi.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.core.kernel.Backend;
import dev.jacobi.core.kernel.BinaryOp;
import dev.jacobi.core.kernel.Kernels;
import dev.jacobi.core.kernel.ScalarKernels;
import dev.jacobi.core.kernel.UnaryOp;
import dev.jacobi.core.kernel.Workers;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorTest {
    private static Tensor t(double[] v, int... shape) {
        return Tensor.of(v, shape);
    }

    private static void assertValues(double[] expected, Tensor actual) {
        assertArrayEquals(expected, actual.toDoubleArray(), 1e-6, actual.toString());
    }

    @Test
    void factoriesAndAccessors() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertEquals(DType.FLOAT32, a.dtype());
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(new int[] {3, 1}, a.stride());
        assertEquals(6, a.get(1, 2));
        assertEquals(4, a.get(-1, 0));
        assertEquals(6, a.numel());
        assertValues(new double[] {0, 1, 2, 3}, Tensor.arange(4));
        assertValues(new double[] {1, 0, 0, 1}, Tensor.eye(DType.FLOAT64, 2));
        assertValues(new double[] {2.5, 2.5}, Tensor.full(2.5, 2));
        assertValues(new double[] {0, 1, 0, 1, 0, 0}, Tensor.oneHot(new int[] {1, 0}, 3));
        assertEquals(3.5, Tensor.scalar(3.5).item());
        assertEquals(0, Tensor.scalar(1).dim());
        assertTrue(a.toString().startsWith("Tensor[2, 3] float32 [[1.0, 2.0, 3.0],"), a.toString());
    }

    @Test
    void randomIsSeededAndReproducible() {
        Tensor a = Tensor.randn(new Rng(7), 100);
        Tensor b = Tensor.randn(new Rng(7), 100);
        Tensor c = Tensor.randn(new Rng(8), 100);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        assertFalse(a.allClose(c, 0, 0));
        double mean = Tensor.randn(new Rng(1), DType.FLOAT64, 20000).mean().item();
        assertEquals(0, mean, 0.03);
        Tensor u = Tensor.rand(new Rng(2), 1000);
        assertTrue(u.min().item() >= 0 && u.max().item() < 1);
    }

    @Test
    void viewsShareDataAndEqualTheirContiguousCopies() {
        Tensor x = Tensor.arange(DType.FLOAT64, 0, 24, 1).reshape(2, 3, 4);
        Tensor p = x.permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertFalse(p.isContiguous());
        assertEquals(x.get(1, 2, 3), p.get(3, 1, 2));
        assertValues(p.contiguous().toDoubleArray(), p);
        assertEquals(x.get(0, 2, 1), x.transpose(0, 2).get(1, 2, 0));
        Tensor n = x.narrow(2, 1, 2);
        assertArrayEquals(new int[] {2, 3, 2}, n.shape());
        assertEquals(x.get(1, 1, 2), n.get(1, 1, 1));
        assertEquals(x.get(1, 2, 3), x.select(0, 1).get(2, 3));
        Tensor e = Tensor.of(new double[] {1, 2, 3}, 3, 1).expand(3, 4);
        assertArrayEquals(new int[] {0, 0}, new int[] {e.stride()[1], 0});
        assertEquals(3, e.get(2, 3));
        assertArrayEquals(new int[] {3}, Tensor.zeros(1, 3, 1).squeeze().shape());
        assertArrayEquals(new int[] {3, 1}, Tensor.zeros(1, 3, 1).squeeze(0).shape());
        assertArrayEquals(new int[] {2, 1, 3}, Tensor.zeros(2, 3).unsqueeze(1).shape());
        assertArrayEquals(new int[] {2, 3, 1}, Tensor.zeros(2, 3).unsqueeze(-1).shape());
        assertArrayEquals(new int[] {6, 4}, x.flatten(0, 1).shape());
    }

    @Test
    void reshapeCopiesOnlyWhenStridesForceIt() {
        Tensor x = Tensor.arange(DType.FLOAT64, 0, 24, 1).reshape(2, 3, 4);
        Tensor r = x.reshape(6, -1);
        assertArrayEquals(new int[] {6, 4}, r.shape());
        // a narrowed view can still merge its contiguous outer dims
        Tensor nv = x.narrow(2, 0, 2).reshape(6, 2);
        assertEquals(x.get(1, 2, 1), nv.get(5, 1));
        assertArrayEquals(new int[] {4, 1}, nv.stride());
        // a transposed view must copy to flatten
        Tensor tv = x.transpose(1, 2).reshape(2, 12);
        assertTrue(tv.isContiguous());
        assertValues(x.transpose(1, 2).contiguous().toDoubleArray(), tv);
        // views of views reshape correctly
        for (int[] perm : new int[][] {{0, 2, 1}, {2, 1, 0}, {1, 0, 2}}) {
            Tensor v = x.permute(perm);
            assertValues(v.contiguous().toDoubleArray(), v.reshape(-1));
        }
    }

    @Test
    void elementwiseKnownAnswers() {
        Tensor a = t(new double[] {-2, -0.5, 0, 1, 4}, 5);
        assertValues(new double[] {2, 0.5, 0, -1, -4}, a.neg());
        assertValues(new double[] {2, 0.5, 0, 1, 4}, a.abs());
        assertValues(new double[] {0, 0, 0, 1, 4}, a.relu());
        assertValues(new double[] {-1, -1, 0, 1, 1}, a.sign());
        assertValues(new double[] {4, 0.25, 0, 1, 16}, a.square());
        assertValues(new double[] {-1, -0.5, 0, 1, 1}, a.clamp(-1, 1));
        assertValues(new double[] {-8, -0.125, 0, 1, 64}, a.pow(3));
        Tensor p = t(new double[] {0.25, 1, 4}, 3);
        assertValues(new double[] {0.5, 1, 2}, p.sqrt());
        assertValues(new double[] {Math.log(0.25), 0, Math.log(4)}, p.log());
        assertValues(new double[] {Math.exp(0.25), Math.E, Math.exp(4)}, p.exp());
        assertValues(new double[] {Math.tanh(0.25), Math.tanh(1), Math.tanh(4)}, p.tanh());
        assertValues(new double[] {Math.sin(0.25), Math.sin(1), Math.sin(4)}, p.sin());
        assertValues(new double[] {Math.cos(0.25), Math.cos(1), Math.cos(4)}, p.cos());
        Tensor s = t(new double[] {-800, 0, 800}, 3).sigmoid();
        assertValues(new double[] {0, 0.5, 1}, s);
        assertTrue(Double.isNaN(t(new double[] {Double.NaN}, 1).relu().item()));
    }

    @Test
    void binaryOpsBroadcast() {
        Tensor a = t(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor row = t(new double[] {10, 20, 30}, 3);
        Tensor col = t(new double[] {100, 200}, 2, 1);
        assertValues(new double[] {11, 22, 33, 14, 25, 36}, a.add(row));
        assertValues(new double[] {101, 102, 103, 204, 205, 206}, a.add(col));
        assertValues(new double[] {-99, -98, -97, -196, -195, -194}, a.sub(col));
        assertValues(new double[] {10, 40, 90, 40, 100, 180}, a.mul(row));
        assertValues(new double[] {0.1, 0.1, 0.1, 0.4, 0.25, 0.2}, a.div(row));
        assertValues(new double[] {110, 120, 130, 210, 220, 230}, col.add(row));
        assertValues(new double[] {1, 4, 27}, t(new double[] {1, 2, 3}, 3).pow(t(new double[] {5, 2, 3}, 3)));
        assertValues(new double[] {3, 3, 3, 4, 5, 6}, a.maximum(t(new double[] {3}, 1)));
        assertValues(new double[] {1, 2, 3, 3, 3, 3}, a.minimum(Tensor.scalar(DType.FLOAT64, 3)));
        assertValues(new double[] {0, 0, 1, 0, 0, 0}, a.eq(Tensor.scalar(DType.FLOAT64, 3)));
        assertValues(new double[] {1, 1, 0, 0, 0, 0}, a.lt(3));
        assertValues(new double[] {0, 0, 0, 1, 1, 1}, a.gt(3));
        assertValues(new double[] {0, 0, 1, 1, 1, 1}, a.ge(Tensor.scalar(DType.FLOAT64, 3)));
        assertValues(new double[] {1, 1, 1, 0, 0, 0}, a.le(Tensor.scalar(DType.FLOAT64, 3)));
        assertValues(new double[] {1, 1, 0, 1, 1, 1}, a.ne(Tensor.scalar(DType.FLOAT64, 3)));
        assertValues(new double[] {1, 20, 3, 40, 50, 60},
                Tensor.where(t(new double[] {0, 1, 0}, 3).add(t(new double[] {0, 1}, 2, 1)).lt(1)
                        .mul(Tensor.scalar(DType.FLOAT64, 1)), a, a.mul(10)));
        // a strided (transposed) operand: a.t() + a.t() read through strides
        assertValues(new double[] {2, 8, 4, 10, 6, 12}, a.t().add(a.t()));
    }

    @Test
    void reductions() {
        Tensor a = t(new double[] {1, 5, 3, 4, 2, 6}, 2, 3);
        assertEquals(21, a.sum().item());
        assertValues(new double[] {5, 7, 9}, a.sum(0, false));
        assertValues(new double[] {9, 12}, a.sum(1, false));
        assertArrayEquals(new int[] {2, 1}, a.sum(1, true).shape());
        assertValues(new double[] {21}, a.sum(new int[] {0, 1}, true));
        assertEquals(3.5, a.mean().item());
        assertValues(new double[] {3, 4}, a.mean(1, false));
        assertEquals(6, a.max().item());
        assertEquals(1, a.min().item());
        assertValues(new double[] {4, 5, 6}, a.amax(new int[] {0}, false));
        assertValues(new double[] {1, 2}, a.amin(new int[] {1}, false));
        Tensor.ValuesIndices m = a.max(1, false);
        assertValues(new double[] {5, 6}, m.values());
        assertArrayEquals(new int[] {1, 2}, m.indices());
        assertArrayEquals(new int[] {0, 1}, a.min(1, false).indices());
        assertArrayEquals(new int[] {1, 0, 1}, a.argmax(0));
        assertEquals(5, a.argmax());
        Tensor v = t(new double[] {3, -4}, 2);
        assertEquals(7, v.norm(1).item());
        assertEquals(5, v.norm(2).item(), 1e-12);
        assertEquals(4, v.norm(Double.POSITIVE_INFINITY).item());
        Tensor big = t(new double[] {1000, 1000, -1000, 0}, 2, 2);
        assertValues(new double[] {1000 + Math.log(2), Math.log(1 + Math.exp(-1000))}, big.logSumExp(1, false));
        assertTrue(Double.isNaN(t(new double[] {1, Double.NaN, 3}, 3).max().item()));
        // reduction over a middle dim of a 3-D tensor equals a loop
        Tensor x = Tensor.randn(new Rng(3), DType.FLOAT64, 3, 4, 5);
        Tensor s = x.sum(1, false);
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 5; k++) {
                double acc = 0;
                for (int j = 0; j < 4; j++) {
                    acc += x.get(i, j, k);
                }
                assertEquals(acc, s.get(i, k), 1e-12);
            }
        }
    }

    @Test
    void matmulShapesAndTransposedOperands() {
        Tensor a = t(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = t(new double[] {7, 8, 9, 10, 11, 12}, 3, 2);
        assertValues(new double[] {58, 64, 139, 154}, a.matmul(b));
        assertValues(new double[] {58, 64, 139, 154}, a.t().contiguous().t().matmul(b.t().contiguous().t()));
        assertValues(new double[] {14, 32}, a.matmul(t(new double[] {1, 2, 3}, 3)));
        assertValues(new double[] {9, 12, 15}, t(new double[] {1, 2}, 2).matmul(a));
        Rng rng = new Rng(5);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 4, 3, 5, 6);
        Tensor y = Tensor.randn(rng, DType.FLOAT64, 3, 6, 2);
        Tensor z = x.matmul(y);
        assertArrayEquals(new int[] {4, 3, 5, 2}, z.shape());
        for (int bi = 0; bi < 4; bi++) {
            for (int bj = 0; bj < 3; bj++) {
                Tensor ref = x.select(0, bi).select(0, bj).matmul(y.select(0, bj));
                assertTrue(ref.allClose(z.select(0, bi).select(0, bj), 1e-12, 1e-12));
            }
        }
        // transposed views give the same product as their copies, in float32 too
        Tensor p = Tensor.randn(rng, 37, 19);
        Tensor q = Tensor.randn(rng, 23, 37);
        assertTrue(p.t().matmul(q.t()).allClose(p.t().contiguous().matmul(q.t().contiguous()), 1e-5, 1e-5));
    }

    @Test
    void addmmAddsTheProductOntoABroadcastOrStridedInputWithoutChangingIt() {
        Tensor a = t(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = t(new double[] {7, 8, 9, 10, 11, 12}, 3, 2);
        Tensor c = t(new double[] {1, -1, 2, -2}, 2, 2);
        assertValues(new double[] {59, 63, 141, 152}, c.addmm(a, b));
        assertValues(new double[] {1, -1, 2, -2}, c); // the input is copied, never written
        assertValues(new double[] {68, 74, 149, 164}, t(new double[] {10}, 1).addmm(a, b));
        assertValues(new double[] {58, 65, 139, 155}, t(new double[] {0, 1}, 2).addmm(a, b));
        Rng rng = new Rng(6);
        for (DType dt : DType.values()) {
            // every layout: transposed operands, a transposed input, a narrow output (computed transposed)
            for (int n : new int[] {3, 40}) {
                Tensor p = Tensor.randn(rng, dt, 21, 33);
                Tensor q = Tensor.randn(rng, dt, n, 21);
                Tensor in = Tensor.randn(rng, dt, n, 33);
                Tensor expect = in.t().add(p.t().matmul(q.t()));
                assertTrue(in.t().addmm(p.t(), q.t()).allClose(expect, 1e-5, 1e-5), dt + " n=" + n);
                assertTrue(in.t().contiguous().addmm(p.t().contiguous(), q.t()).allClose(expect, 1e-5, 1e-5));
            }
        }
        // in place: into a contiguous matrix and into the transpose of one; a broadcast input gets a new tensor
        Tensor own = c.contiguous().add(0);
        assertSame(own, own.addmmInPlace(a, b));
        assertValues(new double[] {59, 63, 141, 152}, own);
        Tensor ownT = c.t().contiguous().t();
        assertSame(ownT, ownT.addmmInPlace(a, b));
        assertValues(new double[] {59, 63, 141, 152}, ownT);
        Tensor row = t(new double[] {0, 1}, 2);
        assertValues(new double[] {58, 65, 139, 155}, row.addmmInPlace(a, b));
        assertValues(new double[] {0, 1}, row);
        Tensor f = Tensor.randn(rng, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> c.addmm(a, a));
        assertThrows(IllegalArgumentException.class, () -> t(new double[] {1, 2, 3}, 3).addmm(a, b));
        assertThrows(IllegalArgumentException.class, () -> c.addmm(f, b));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.addmm(a.reshape(1, 2, 3), b));
        assertTrue(e.getMessage().startsWith("addmm:"), e.getMessage());
    }

    @Test
    void joinSplitAndIndex() {
        Tensor a = t(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor b = t(new double[] {5, 6}, 1, 2);
        assertValues(new double[] {1, 2, 3, 4, 5, 6}, Tensor.cat(List.of(a, b), 0));
        assertValues(new double[] {1, 2, 5, 3, 4, 6}, Tensor.cat(List.of(a, b.t()), 1));
        Tensor s = Tensor.stack(List.of(a, a.mul(10)), 1);
        assertArrayEquals(new int[] {2, 2, 2}, s.shape());
        assertValues(new double[] {1, 2, 10, 20, 3, 4, 30, 40}, s);
        List<Tensor> parts = Tensor.arange(DType.FLOAT64, 0, 5, 1).split(2, 0);
        assertEquals(3, parts.size());
        assertValues(new double[] {4}, parts.get(2));
        assertValues(new double[] {3, 4, 1, 2, 3, 4}, a.indexSelect(0, new int[] {1, 0, 1}));
        assertValues(new double[] {2, 1, 2, 4, 3, 4}, a.indexSelect(1, new int[] {1, 0, 1}));
        Tensor logits = t(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertValues(new double[] {3, 4}, logits.gather(1, new int[] {2, 0}));
        assertValues(new double[] {4, 2, 6}, logits.gather(0, new int[] {1, 0, 1}));
        Tensor sc = Tensor.zeros(DType.FLOAT64, 2, 3).scatterAdd(1, new int[] {2, 2, 0, 1}, t(new double[] {1, 2, 3, 4}, 2, 2));
        assertValues(new double[] {0, 0, 3, 3, 4, 0}, sc);
    }

    @Test
    void gatherAndScatterAddAreAdjoint() {
        Rng rng = new Rng(11);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 3, 4, 5);
        int[] idx = new int[3 * 2 * 5];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = rng.nextInt(4);
        }
        Tensor y = Tensor.randn(rng, DType.FLOAT64, 3, 2, 5);
        double lhs = x.gather(1, idx).mul(y).sum().item();
        double rhs = x.mul(Tensor.zeros(DType.FLOAT64, 3, 4, 5).scatterAdd(1, idx, y)).sum().item();
        assertEquals(lhs, rhs, 1e-10);
    }

    @Test
    void indexSelectAndIndexAddAreAdjointInBothDtypes() {
        for (DType dt : DType.values()) {
            Rng rng = new Rng(12);
            // a transposed (strided) source, repeated indices
            Tensor x = Tensor.randn(rng, dt, 5, 3).t();
            int[] idx = {4, 0, 4, 2};
            Tensor y = Tensor.randn(rng, dt, 3, 4);
            double lhs = x.indexSelect(1, idx).mul(y).sum().item();
            double rhs = x.mul(Tensor.zeros(dt, 3, 5).indexAdd(1, idx, y)).sum().item();
            assertEquals(lhs, rhs, dt == DType.FLOAT64 ? 1e-10 : 1e-4);
        }
        Tensor ones = Tensor.ones(DType.FLOAT64, 2, 3);
        assertValues(new double[] {1, 3, 1, 1, 3, 1}, ones.indexAdd(1, new int[] {1, 1}, ones.narrow(1, 0, 2)));
        assertThrows(IllegalArgumentException.class, () -> ones.indexAdd(0, new int[] {0}, ones));
        assertThrows(IllegalArgumentException.class, () -> ones.indexAdd(0, new int[] {2}, ones.narrow(0, 0, 1)));
    }

    @Test
    void addWithAlphaIsThisPlusAlphaTimesOther() {
        Rng rng = new Rng(5);
        Tensor x = Tensor.randn(rng, 3, 70_001);
        Tensor y = Tensor.randn(rng, 3, 70_001);
        Tensor want = x.to(DType.FLOAT64).add(y.to(DType.FLOAT64).mul(-0.25));
        int threads = Workers.threads();
        try {
            Workers.setThreads(1);
            Tensor one = x.add(y, -0.25);
            Workers.setThreads(2);
            Tensor two = x.add(y, -0.25);
            assertArrayEquals(one.toFloatArray(), two.toFloatArray(), "thread count changed the bits");
            assertTrue(two.to(DType.FLOAT64).allClose(want, 1e-6, 1e-6));
        } finally {
            Workers.setThreads(threads);
        }
        // views, broadcasting and float64 take the two-op path
        Tensor t = x.t();
        assertTrue(t.add(y.t(), 2).allClose(t.add(y.t().mul(2)), 0, 0));
        assertTrue(x.add(Tensor.ones(70_001), 3).allClose(x.add(3), 1e-6, 1e-6));
        Tensor d = x.to(DType.FLOAT64);
        assertArrayEquals(d.add(d.mul(0.5)).toDoubleArray(), d.add(d, 0.5).toDoubleArray());
    }

    @Test
    void simdMatchesScalarOnAwkwardSizes() {
        Kernels vec = Backend.KERNELS;
        Kernels sca = new ScalarKernels();
        Rng rng = new Rng(99);
        int[] sizes = {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 255, 1000, 4095, 4097};
        for (int n : sizes) {
            float[] a = Tensor.randn(rng, n + 3).toFloatArray();
            float[] b = Tensor.randn(rng, n + 3).toFloatArray();
            double tol = 1e-6 * Math.sqrt(n) + 1e-6;
            // outputs at six offsets within a line: the vector loops start with a few values in plain Java so
            // that their stores fill whole lines (Alignment.head), and each offset gives that head another length
            for (int oo = 0; oo < 16; oo += 3) {
                for (BinaryOp op : BinaryOp.values()) {
                    for (int[] st : new int[][] {{1, 1}, {1, 0}, {0, 1}}) {
                        float[] o1 = new float[oo + n];
                        float[] o2 = new float[oo + n];
                        vec.binary(op, a, 2, st[0], b, 1, st[1], o1, oo, n);
                        sca.binary(op, a, 2, st[0], b, 1, st[1], o2, oo, n);
                        assertArrayEquals(o2, o1, 1e-6f, op + " n=" + n + " at " + oo);
                    }
                }
                for (UnaryOp op : UnaryOp.values()) {
                    float[] o1 = new float[oo + n];
                    float[] o2 = new float[oo + n];
                    vec.unary(op, a, 1, 1, o1, oo, n, -0.5f, 0.5f);
                    sca.unary(op, a, 1, 1, o2, oo, n, -0.5f, 0.5f);
                    for (int i = 0; i < oo + n; i++) {
                        if (!(Float.isNaN(o1[i]) && Float.isNaN(o2[i]))) {
                            assertEquals(o2[i], o1[i], 1e-6 * Math.max(1, Math.abs(o2[i])),
                                    op + " n=" + n + " at " + oo);
                        }
                    }
                }
            }
            // column sums of 5 rows n + 1 apart: the same bits either way
            float[] m = Tensor.randn(rng, 5 * n + 8).toFloatArray();
            float[] c1 = new float[n + 1];
            float[] c2 = new float[n + 1];
            vec.sumRows(m, 2, n + 1, 5, c1, 1, n);
            sca.sumRows(m, 2, n + 1, 5, c2, 1, n);
            assertArrayEquals(c2, c1, "sumRows n=" + n);
            assertEquals(sca.sum(a, 1, n), vec.sum(a, 1, n), tol * 10);
            assertEquals(sca.dot(a, 1, b, 2, n), vec.dot(a, 1, b, 2, n), tol * 10);
            assertEquals(sca.max(a, 3, n), vec.max(a, 3, n));
            assertEquals(sca.min(a, 3, n), vec.min(a, 3, n));
            float[] y1 = b.clone();
            float[] y2 = b.clone();
            vec.axpy(0.75f, a, 0, y1, 1, n);
            sca.axpy(0.75f, a, 0, y2, 1, n);
            assertArrayEquals(y2, y1, 1e-5f);
            // dots: ragged 4x4 blocks (5x6 rows of length n/7), each sum formed as dot forms it, added to out
            int len = n / 7;
            float[] d1 = new float[5 * 9];
            java.util.Arrays.fill(d1, 0.5f);
            float[] d2 = d1.clone();
            float[] d3 = d1.clone();
            if (3 + 6 * (len + 1) <= b.length) {
                vec.dots(a, 1, len, 5, b, 3, len + 1, 6, len, d1, 2, 7);
                sca.dots(a, 1, len, 5, b, 3, len + 1, 6, len, d3, 2, 7);
                for (int i = 0; i < 5; i++) {
                    for (int j = 0; j < 6; j++) {
                        d2[2 + i * 7 + j] += vec.dot(a, 1 + i * len, b, 3 + j * (len + 1), len);
                    }
                }
                assertArrayEquals(d2, d1, "dots n=" + len);
                assertArrayEquals(d2, d3, (float) tol * 10, "scalar dots n=" + len);
            }
        }
    }

    @Test
    void vectorExpHandlesExtremeValues() {
        float[] x = {-1e4f, -104f, -88f, -50f, -1f, -1e-30f, 0f, 1e-30f, 1f, 10f, 50f, 88f, 88.7f, 89f, 1e4f,
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 3.5f, -3.5f, 0.5f, 20f, -20f, 7f,
            -7f, 2f, -2f, 30f, -30f, 60f, -60f, 0.1f};
        Tensor t = Tensor.of(x, x.length);
        for (int warm = 0; warm < 30_000; warm++) {
            t.exp(); // until the JIT compiles the vector kernel, whose lanes may round differently
        }
        float[] y = t.exp().toFloatArray();
        for (int i = 0; i < x.length; i++) {
            float want = (float) Math.exp(x[i]);
            if (Float.isNaN(want) || Float.isInfinite(want) || want == 0) {
                assertEquals(want, y[i], "exp(" + x[i] + ")");
            } else {
                assertEquals(want, y[i], 2e-7 * want, "exp(" + x[i] + ")");
            }
        }
    }

    @Test
    void vectorExpIsWithinTwoUlpOverItsWholeRange() {
        int n = 20_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -105f + 196f * i / n;
        }
        Tensor t = Tensor.of(x, n);
        for (int warm = 0; warm < 200; warm++) {
            t.exp();
        }
        float[] y = t.exp().toFloatArray();
        for (int i = 0; i < n; i++) {
            float want = (float) Math.exp(x[i]);
            float tol = 2 * Math.max(Math.ulp(want), Float.MIN_VALUE);
            assertEquals(want, y[i], tol, "exp(" + x[i] + ")");
        }
    }

    @Test
    void float32AgreesWithFloat64() {
        Rng rng = new Rng(4);
        Tensor x = Tensor.randn(rng, DType.FLOAT64, 17, 33);
        Tensor y = Tensor.randn(rng, DType.FLOAT64, 33);
        Tensor r64 = x.mul(y).add(y).relu().sum(1, false);
        Tensor r32 = x.to(DType.FLOAT32).mul(y.to(DType.FLOAT32)).add(y.to(DType.FLOAT32)).relu().sum(1, false);
        assertTrue(r32.to(DType.FLOAT64).allClose(r64, 1e-5, 1e-5));
    }

    @Test
    void addReluIsAddThenReluInOnePassWithEveryBroadcastAndEdgeValue() {
        Rng rng = new Rng(13);
        for (DType dt : DType.values()) {
            // a bias per column (stride 1), per row (stride 0 in the inner loop), a scalar, and a bias first;
            // 37 columns put elements on the vector path and on the tail
            Tensor x = Tensor.randn(rng, dt, 5, 37);
            Tensor[] others = {Tensor.randn(rng, dt, 37), Tensor.randn(rng, dt, 5, 1), Tensor.randn(rng, dt, 5, 37),
                    Tensor.full(dt, 0.25)};
            for (Tensor b : others) {
                assertArrayEquals(x.add(b).relu().toDoubleArray(), x.addRelu(b).toDoubleArray(), 0, dt.toString());
                assertArrayEquals(b.add(x).relu().toDoubleArray(), b.addRelu(x).toDoubleArray(), 0, dt.toString());
            }
            // the per-channel shift of an NCHW activation, as BatchNorm adds it
            Tensor act = Tensor.randn(rng, dt, 2, 3, 5, 7);
            Tensor shift = Tensor.randn(rng, dt, 1, 3, 1, 1);
            assertArrayEquals(act.add(shift).relu().toDoubleArray(), act.addRelu(shift).toDoubleArray(), 0);
            // NaN stays NaN, a sum of -0 or of opposite values gives +0, infinities (8 copies for the vector kernel)
            double[] av = {Double.NaN, -0.0, 1, -1, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
            double[] bv = {1, -0.0, -1, 0.5, Double.NEGATIVE_INFINITY, 2};
            double[] want = {Double.NaN, 0, 0, 0, Double.NaN, 0};
            double[] aa = new double[48], ba = new double[48], wa = new double[48];
            for (int i = 0; i < 48; i++) {
                aa[i] = av[i % 6];
                ba[i] = bv[i % 6];
                wa[i] = want[i % 6];
            }
            double[] got = Tensor.of(aa).to(dt).addRelu(Tensor.of(ba).to(dt)).toDoubleArray();
            assertArrayEquals(wa, got, 0, dt.toString());
            for (double v : got) {
                assertTrue(v != 0 || 1 / v > 0, "a zero result is +0, as relu gives: " + dt);
            }
            // relu itself on the same values: NaN stays, -0 and negatives give +0, infinities
            double[] rv = {Double.NaN, 0, 1, 0, Double.POSITIVE_INFINITY, 0};
            double[] relu = Tensor.of(aa).to(dt).relu().toDoubleArray();
            for (int i = 0; i < 48; i++) {
                assertEquals(rv[i % 6], relu[i], 0, dt + " relu(" + aa[i] + ")");
                assertTrue(relu[i] != 0 || 1 / relu[i] > 0, "relu gives +0: " + dt);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 3).addRelu(Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("add_relu"), e.getMessage());
    }

    @Test
    void thresholdBackwardPassesTheGradientWhereTheInputIsPositive() {
        Rng rng = new Rng(12);
        for (DType dt : DType.values()) {
            Tensor x = Tensor.randn(rng, dt, 3, 37);
            Tensor g = Tensor.randn(rng, dt, 3, 37);
            // one pass gives what the mask product gives
            assertTrue(g.thresholdBackward(x).allClose(g.mul(x.gt(0)), 0, 0), dt.toString());
            // zero, -0 and NaN inputs block the gradient, even a NaN gradient; a positive input passes a NaN on
            // (8 copies, so that the float32 vector kernel sees them too)
            double[] xv = {0, -0.0, Double.NaN, 2, -1, 3};
            double[] gv = {5, 6, 7, Double.NaN, Double.NaN, -4};
            double[] want = {0, 0, 0, Double.NaN, 0, -4};
            double[] xa = new double[48], ga = new double[48], wa = new double[48], ones = new double[48];
            for (int i = 0; i < 48; i++) {
                xa[i] = xv[i % 6];
                ga[i] = gv[i % 6];
                wa[i] = want[i % 6];
                ones[i] = xv[i % 6] > 0 ? 1 : 0;
            }
            Tensor xs = Tensor.of(xa).to(dt);
            assertArrayEquals(wa, Tensor.of(ga).to(dt).thresholdBackward(xs).toDoubleArray(), 0, dt.toString());
            // broadcasting like the other binary ops
            assertArrayEquals(ones, Tensor.ones(1).to(dt).thresholdBackward(xs).toDoubleArray(), 0);
        }
    }

    @Test
    void elementwiseResultsKeepADenseTransposedLayout() {
        Rng rng = new Rng(13);
        Tensor a = Tensor.randn(rng, 40, 30);
        Tensor b = Tensor.randn(rng, 40, 30);
        Tensor bias = Tensor.randn(rng, 40);
        Tensor sum = a.t().add(b.t());
        // both operands transposed: the result is stored transposed too, and holds the same values
        assertFalse(sum.isContiguous());
        assertTrue(sum.t().isContiguous());
        assertArrayEquals(a.add(b).t().contiguous().toFloatArray(), sum.toFloatArray());
        // a broadcast operand does not change that; exp and relu keep it as well
        Tensor biased = a.t().add(bias);
        assertTrue(biased.t().isContiguous());
        assertArrayEquals(a.add(bias.reshape(40, 1)).t().contiguous().toFloatArray(), biased.toFloatArray());
        assertTrue(a.t().exp().t().isContiguous());
        assertArrayEquals(a.exp().t().contiguous().toFloatArray(), a.t().exp().toFloatArray());
        // a row-major operand decides the layout, and contiguous() still copies into row-major order
        assertTrue(a.t().add(b.t().contiguous()).isContiguous());
        assertTrue(sum.contiguous().isContiguous());
        assertArrayEquals(sum.toFloatArray(), sum.contiguous().toFloatArray());
    }

    @Test
    void sumsAroundKeptDimsMatchFloat64AndThreadCounts() {
        Rng rng = new Rng(12);
        int[][] shapes = {{130, 2100}, {3, 4, 5, 6}, {70, 3, 9, 2}, {2, 5}};
        int[][][] dims = {{{0}}, {{0, 2, 3}, {0}, {0, 1}, {0, 3}, {1, 3}}, {{0, 2, 3}, {0, 1, 2}}, {{0}}};
        int threads = Workers.threads();
        try {
            for (int s = 0; s < shapes.length; s++) {
                Tensor x64 = Tensor.randn(rng, DType.FLOAT64, shapes[s]);
                Tensor x32 = x64.to(DType.FLOAT32);
                for (int[] d : dims[s]) {
                    // the float64 path permutes and copies; the float32 one reads the data in place where it can
                    Tensor want = x64.sum(d, true);
                    Workers.setThreads(1);
                    Tensor one = x32.sum(d, true);
                    Workers.setThreads(2);
                    Tensor two = x32.sum(d, true);
                    String what = java.util.Arrays.toString(shapes[s]) + " over " + java.util.Arrays.toString(d);
                    assertArrayEquals(want.shape(), one.shape(), what);
                    assertTrue(one.to(DType.FLOAT64).allClose(want, 1e-4, 1e-4), what);
                    assertArrayEquals(one.toFloatArray(), two.toFloatArray(), what);
                    // a strided view of the same values takes the copying path and must agree
                    Tensor strided = x32.transpose(0, 1).contiguous().transpose(0, 1);
                    assertTrue(strided.sum(d, true).allClose(one, 1e-5, 1e-5), what);
                }
            }
        } finally {
            Workers.setThreads(threads);
        }
    }

    @Test
    void reductionsOverMiddleDimsMatchTheCopyingPath() {
        // contiguous inputs reduced over a run of dims with kept dims after it combine whole rows in place; a strided
        // view of the same values takes the copying path, and both thread counts give the same bits
        Rng rng = new Rng(13);
        int[][] shapes = {{4, 7, 3, 1500}, {5, 6, 20}, {3, 2, 40}, {3, 4, 5}};
        int[][][] dims = {{{1}, {1, 2}, {0}, {0, 1, 2}}, {{1}, {0}}, {{0, 1}, {1}}, {{1}}};
        int threads = Workers.threads();
        try {
            for (int s = 0; s < shapes.length; s++) {
                for (DType dt : DType.values()) {
                    Tensor x = Tensor.randn(rng, dt, shapes[s]);
                    x = Tensor.where(x.gt(2.5), Tensor.full(dt, Double.NaN, shapes[s]), x); // a few NaNs for max/min
                    Tensor strided = x.transpose(0, 1).contiguous().transpose(0, 1);
                    for (int[] d : dims[s]) {
                        String what = dt + " " + java.util.Arrays.toString(shapes[s]) + " over "
                                + java.util.Arrays.toString(d);
                        Tensor clean = Tensor.where(x.ne(x), Tensor.zerosLike(x), x);
                        Tensor cleanStrided = clean.transpose(0, 1).contiguous().transpose(0, 1);
                        assertTrue(clean.sum(d, false).allClose(cleanStrided.sum(d, false), 1e-5, 1e-5), what);
                        assertTrue(equalOrBothNaN(x.amax(d, true), strided.amax(d, true)), what);
                        assertTrue(equalOrBothNaN(x.amin(d, false), strided.amin(d, false)), what);
                        if (d.length == 1) {
                            // max/min with indices over one dim: the values of amax, indices that point at them
                            assertTrue(equalOrBothNaN(x.max(d[0], false).values(), strided.amax(d, false)), what);
                            Tensor.ValuesIndices m = clean.min(d[0], true);
                            assertTrue(clean.gather(d[0], m.indices()).allClose(m.values(), 0, 0), what);
                        }
                        Workers.setThreads(1);
                        double[] one = clean.sum(d, false).toDoubleArray();
                        Workers.setThreads(2);
                        assertArrayEquals(one, clean.sum(d, false).toDoubleArray(), what);
                    }
                }
            }
        } finally {
            Workers.setThreads(threads);
        }
    }

    @Test
    void longReductionsAreSplitIntoPiecesWithTheSameBitsForAnyThreadCount() {
        Rng rng = new Rng(14);
        Tensor x64 = Tensor.randn(rng, DType.FLOAT64, 2, 200_001);
        Tensor x = x64.to(DType.FLOAT32);
        int threads = Workers.threads();
        try {
            Workers.setThreads(1);
            float[] one = x.sum(new int[] {1}, false).toFloatArray();
            float all = (float) x.sum().item();
            Workers.setThreads(2);
            assertArrayEquals(one, x.sum(new int[] {1}, false).toFloatArray());
            assertEquals(all, (float) x.sum().item());
            assertTrue(x.sum(new int[] {1}, false).to(DType.FLOAT64).allClose(x64.sum(new int[] {1}, false), 1e-4,
                    1e-2));
            assertArrayEquals(x.to(DType.FLOAT64).amax(new int[] {1}, false).toDoubleArray(),
                    x.amax(new int[] {1}, false).toDoubleArray());
            // a NaN in a late piece reaches the result
            Tensor nan = x.narrow(1, 0, 150_000).contiguous().reshape(-1);
            float[] v = nan.toFloatArray();
            v[v.length - 7] = Float.NaN;
            Tensor withNaN = Tensor.of(v, v.length);
            assertTrue(Double.isNaN(withNaN.amax(new int[] {0}, false).item()));
            assertTrue(Double.isNaN(withNaN.amin(new int[] {0}, false).item()));
            assertTrue(Double.isNaN(withNaN.sum().item()));
        } finally {
            Workers.setThreads(threads);
        }
    }

    private static boolean equalOrBothNaN(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            if (!(x[i] == y[i] || (Double.isNaN(x[i]) && Double.isNaN(y[i])))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void largeTensorsUseThreadsAndAgree() {
        Rng rng = new Rng(6);
        Tensor x = Tensor.randn(rng, 1 << 18);
        Tensor y = Tensor.randn(rng, 1 << 18);
        Workers.setThreads(1);
        float[] one = x.mul(y).add(x).toFloatArray();
        Workers.setThreads(2);
        float[] two = x.mul(y).add(x).toFloatArray();
        assertArrayEquals(one, two);
        Workers.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void emptyTensorsWork() {
        Tensor e = Tensor.zeros(2, 0);
        assertTrue(e.isContiguous());
        assertEquals(0, e.toFloatArray().length);
        assertEquals(0, e.transpose(0, 1).contiguous().numel());
        assertArrayEquals(new int[] {2}, e.sum(1, false).shape());
        assertEquals(0, e.add(Tensor.zeros(0)).numel());
        assertEquals(0, e.to(DType.FLOAT64).toDoubleArray().length);
    }

    @Test
    void conversionAndContiguous() {
        Tensor a = Tensor.of(new double[] {1.5, 2.5}, 2);
        assertSame(a, a.to(DType.FLOAT64));
        assertEquals(DType.FLOAT32, a.to(DType.FLOAT32).dtype());
        assertSame(a, a.contiguous());
        assertArrayEquals(new float[] {1.5f, 2.5f}, a.toFloatArray());
    }

    @Test
    void errorsNameTheOpAndTheValues() {
        Tensor a = Tensor.zeros(3, 4);
        Tensor b = Tensor.zeros(5, 2);
        assertEquals("matmul: inner dimensions differ: [3, 4] x [5, 2]",
                assertThrows(IllegalArgumentException.class, () -> a.matmul(b)).getMessage());
        assertEquals("add: shapes do not broadcast: [3, 4] and [5, 2]",
                assertThrows(IllegalArgumentException.class, () -> a.add(b)).getMessage());
        assertEquals("mul: dtypes differ: FLOAT32 and FLOAT64",
                assertThrows(IllegalArgumentException.class, () -> a.mul(Tensor.zeros(DType.FLOAT64, 3, 4))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.reshape(5, -1)).getMessage()
                .contains("reshape: cannot reshape [3, 4] (12 elements) to [5, -1]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.sum(2, false)).getMessage()
                .contains("sum: dim 2 out of range for a tensor of rank 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 2, 3)).getMessage()
                .contains("Tensor.of: 5 values do not fill shape [2, 3] (6 elements)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.get(3, 0)).getMessage()
                .contains("get: index 3 out of range for dim 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.narrow(1, 3, 2)).getMessage()
                .contains("narrow: start 3 length 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.gather(1, new int[] {0, 1, 9})).getMessage()
                .contains("gather: index 9 at position 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(-1, 2)).getMessage()
                .contains("negative size"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.expand(2, 4)).getMessage()
                .contains("expand: cannot expand shape [3, 4] to [2, 4]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tensor.oneHot(new int[] {3}, 3)).getMessage()
                .contains("oneHot: label 3"));
    }
}
