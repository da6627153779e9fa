package dev.jacobi.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RngStateTest {
    @Test
    void restoredStateContinuesTheSameSequenceIncludingTheCachedGaussian() {
        Rng a = new Rng(123);
        a.nextLong();
        a.nextGaussian(); // leaves the pair's second value cached
        Rng b = new Rng(999);
        b.setState(a.state());
        assertEquals(a.nextGaussian(), b.nextGaussian()); // the cached one
        for (int i = 0; i < 5; i++) {
            assertEquals(a.nextLong(), b.nextLong());
            assertEquals(a.nextGaussian(), b.nextGaussian());
        }
    }

    @Test
    void badStateIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Rng(1).setState(new long[3]));
        assertTrue(e.getMessage().contains("Rng.setState") && e.getMessage().contains("3"), e.getMessage());
    }
}
