package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class SyntheticTest {
    private static float[] all(Dataset d) {
        int[] idx = new int[d.size()];
        Arrays.setAll(idx, i -> i);
        return d.images(idx).toFloatArray();
    }

    @Test
    void noiselessPointsLieOnTheirCurves() {
        Dataset moons = Synthetic.moons(200, 0, 1);
        float[] x = all(moons);
        for (int i = 0; i < 200; i++) {
            double px = x[2 * i], py = x[2 * i + 1];
            if (moons.label(i) == 0) {
                assertEquals(1, Math.hypot(px, py), 1e-5);
                assertFalse(py < -1e-6);
            } else {
                assertEquals(1, Math.hypot(1 - px, 0.5 - py), 1e-5);
                assertFalse(py > 0.5 + 1e-6);
            }
        }
        Dataset circles = Synthetic.circles(100, 0, 0.3, 2);
        x = all(circles);
        for (int i = 0; i < 100; i++) {
            assertEquals(circles.label(i) == 0 ? 1 : 0.3, Math.hypot(x[2 * i], x[2 * i + 1]), 1e-5);
        }
        Dataset spirals = Synthetic.spirals(90, 3, 0, 3);
        x = all(spirals);
        for (int i = 0; i < 90; i++) {
            double r = Math.hypot(x[2 * i], x[2 * i + 1]);
            double theta = 3 * Math.PI * r + 2 * Math.PI * spirals.label(i) / 3;
            assertEquals(0, Math.hypot(x[2 * i] - r * Math.cos(theta), x[2 * i + 1] - r * Math.sin(theta)), 1e-4);
        }
    }

    @Test
    void blobsCentreOnARingWithTheGivenSpread() {
        int n = 8000;
        Dataset b = Synthetic.blobs(n, 8, 0.1, 4);
        assertArrayEquals(new int[] {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, b.classCounts());
        float[] x = all(b);
        double[] sx = new double[8], sy = new double[8], ss = new double[8];
        for (int i = 0; i < n; i++) {
            sx[b.label(i)] += x[2 * i];
            sy[b.label(i)] += x[2 * i + 1];
        }
        for (int i = 0; i < n; i++) {
            int k = b.label(i);
            ss[k] += Math.pow(x[2 * i] - sx[k] / 1000, 2);
        }
        for (int k = 0; k < 8; k++) {
            assertEquals(2 * Math.cos(2 * Math.PI * k / 8), sx[k] / 1000, 0.02);
            assertEquals(2 * Math.sin(2 * Math.PI * k / 8), sy[k] / 1000, 0.02);
            assertEquals(0.1, Math.sqrt(ss[k] / 999), 0.01);
        }
    }

    @Test
    void seedDeterminesThePoints() {
        assertArrayEquals(all(Synthetic.moons(50, 0.1, 7)), all(Synthetic.moons(50, 0.1, 7)));
        assertFalse(Arrays.equals(all(Synthetic.moons(50, 0.1, 7)), all(Synthetic.moons(50, 0.1, 8))));
        assertArrayEquals(new int[] {2}, Synthetic.spirals(10, 2, 0.1, 1).sampleShape());
        assertThrows(IllegalArgumentException.class, () -> Synthetic.moons(10, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> Synthetic.circles(10, 0, 1.5, 0));
        assertThrows(IllegalArgumentException.class, () -> Synthetic.spirals(10, 0, 0, 0));
    }
}
