package dev.jacobi.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void readsFeaturesAndLabelsWithAHeaderAndALabelColumnAnywhere() throws IOException {
        Dataset d = Datasets.csv(write("a.csv", "x1, x2, label\n0.5, -1, 1\n\n2e-1, 3, 0\n"), -1, 0);
        assertEquals(2, d.size());
        assertEquals(2, d.numClasses());
        assertArrayEquals(new int[] {2}, d.sampleShape());
        assertArrayEquals(new int[] {1, 0}, d.labels());
        assertArrayEquals(new double[] {0.5, -1, 0.2, 3}, d.images(new int[] {0, 1}).toDoubleArray(), 1e-7);
        Dataset first = Datasets.csv(write("b.csv", "2,1.5,2.5\n0,4,5\n"), 0, 3);
        assertArrayEquals(new int[] {2, 0}, first.labels());
        assertEquals(3, first.numClasses());
        assertArrayEquals(new double[] {1.5, 2.5}, first.images(new int[] {0}).toDoubleArray(), 1e-7);
    }

    @Test
    void badValuesNameTheFileLineAndField() throws IOException {
        String m = assertThrows(IOException.class, () -> Datasets.csv(write("c.csv", "1,2,0\n1,x,1\n"), -1, 0))
                .getMessage();
        assertTrue(m.contains("c.csv: line 2, field 2: 'x' is not a number"), m);
        m = assertThrows(IOException.class, () -> Datasets.csv(write("d.csv", "1,2,0\n1,2\n"), -1, 0)).getMessage();
        assertTrue(m.contains("d.csv: line 2 has 2 fields, the first has 3"), m);
        m = assertThrows(IOException.class, () -> Datasets.csv(write("e.csv", "1,2,0.5\n"), -1, 0)).getMessage();
        assertTrue(m.contains("label '0.5' is not a whole number"), m);
        m = assertThrows(IOException.class, () -> Datasets.csv(write("f.csv", "1,NaN,1\n"), -1, 0)).getMessage();
        assertTrue(m.contains("line 1, field 2: 'NaN' is not a finite number"), m);
        m = assertThrows(IOException.class, () -> Datasets.csv(write("g.csv", "1,2,3\n"), -1, 2)).getMessage();
        assertTrue(m.contains("label 3 of sample 1 is outside [0, 2)"), m);
        m = assertThrows(IOException.class, () -> Datasets.csv(write("h.csv", "a,b\n"), -1, 0)).getMessage();
        assertTrue(m.contains("h.csv: no samples"), m);
    }
}
