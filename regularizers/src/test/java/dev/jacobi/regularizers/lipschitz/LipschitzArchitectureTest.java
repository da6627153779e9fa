package dev.jacobi.regularizers.lipschitz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.Sequential;
import dev.jacobi.train.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LipschitzArchitectureTest {
    @Test
    void oneLipschitzModelsAreRebuiltFromTheirFiles(@TempDir Path dir) throws IOException {
        Rng r = new Rng(1);
        Sequential net = new Sequential(new BcopConv2d(1, 4, 3, 1, r), new MaxMin(), new BcopConv2d(4, 8, 4, 2, r),
                new GroupSort(4), new Flatten(), new BjorckLinear(8 * 4 * 4, 10, true, 15, 1, r));
        net.eval();
        Path file = dir.resolve("lip.safetensors");
        ModelFiles.save(net, file, 1, 8, 8);
        Layer back = ModelFiles.loadModel(file);
        assertEquals(net.toString(), back.toString());
        Tensor x = Tensor.randn(r, 2, 1, 8, 8);
        assertArrayEquals(net.forward(x).value().toDoubleArray(), back.forward(x).value().toDoubleArray(), 0);
    }
}
