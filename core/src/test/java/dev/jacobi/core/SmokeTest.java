package dev.jacobi.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void addBroadcasts() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {10, 20, 30}, 3);
        assertEquals(11 + 22 + 33 + 14 + 25 + 36, a.add(b).sum().item(), 1e-6);
    }
}
