package dev.jacobi.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.PaddingMode;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Tensor;
import dev.jacobi.nn.AdaptiveAvgPool2d;
import dev.jacobi.nn.AvgPool2d;
import dev.jacobi.nn.BatchNorm1d;
import dev.jacobi.nn.BatchNorm2d;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Dropout;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.GELU;
import dev.jacobi.nn.Identity;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.LayerNorm;
import dev.jacobi.nn.LeakyReLU;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Normalize;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Sequential;
import dev.jacobi.nn.Sigmoid;
import dev.jacobi.nn.Tanh;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchitectureTest {
    /** Every layer Architecture covers, in one model for [2, 1, 8, 8] inputs. */
    static Sequential everything(Rng r) {
        return new Sequential(new Normalize(new double[] {0.5}, new double[] {0.25}),
                new Conv2d(1, 4, 3, new Conv2dSpec(1, 1, 1, 1, 1, 1, 1, PaddingMode.CIRCULAR), true, r),
                new BatchNorm2d(4, 1e-3, 0.2), new LeakyReLU(0.1), new MaxPool2d(2, 2, 0),
                new Sequential(new Conv2d(4, 4, 3, Conv2dSpec.of(1, 1).withStride(1), false, r), new GELU("tanh")),
                new AvgPool2d(1, 1, 0), new AdaptiveAvgPool2d(2, 3), new Flatten(), new LayerNorm(new int[] {24}, 1e-4,
                        true), new Linear(24, 16, r), new BatchNorm1d(16), new Tanh(), new Dropout(0.25, r),
                new Identity(), new Sigmoid(), new ReLU(), new Linear(16, 3, false, r));
    }

    @Test
    void aSavedModelIsRebuiltWithTheSameOutputs(@TempDir Path dir) throws IOException {
        Rng r = new Rng(1);
        Sequential net = everything(r);
        // train-mode batch norm moves its running statistics away from the initial ones, so loading matters
        net.forward(Tensor.randn(r, 4, 1, 8, 8));
        net.eval();
        Path file = dir.resolve("m.safetensors");
        ModelFiles.save(net, file, 1, 8, 8);
        Layer back = ModelFiles.loadModel(file);
        assertEquals(net.toString(), back.toString());
        assertFalse(back.isTraining());
        Tensor x = Tensor.randn(r, 2, 1, 8, 8);
        assertArrayEquals(net.forward(x).value().toDoubleArray(), back.forward(x).value().toDoubleArray(), 0);
        assertArrayEquals(new int[] {1, 8, 8}, ModelFiles.inputShape(file));
        assertEquals(Architecture.describe(net), Architecture.describe(back), "the same text every time");
    }

    @Test
    void aModelOfOtherLayersIsSavedWithoutArchitectureAndLoadModelSaysSo(@TempDir Path dir) throws IOException {
        Layer custom = new Sequential(new Linear(2, 2, new Rng(2)), new Layer() {
            @Override
            public Var forward(Var x) {
                return x;
            }
        });
        assertFalse(Architecture.describable(custom));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architecture.describe(custom));
        assertTrue(e.getMessage().contains("layer model.1"), e.getMessage());
        Path file = dir.resolve("c.safetensors");
        ModelFiles.save(custom, file);
        ModelFiles.load(custom, file, true); // still a plain state dict
        IOException io = assertThrows(IOException.class, () -> ModelFiles.loadModel(file));
        assertTrue(io.getMessage().contains("no jacobi.architecture"), io.getMessage());
        assertNull(ModelFiles.inputShape(file));
    }

    @Test
    void badArchitecturesNameTheLayerAndTheField() {
        String m = assertThrows(IOException.class, () -> Architecture.build("{\"type\": \"Sequential\", \"layers\":"
                + " [{\"type\": \"Linear\", \"config\": {\"in_features\": 2, \"out_features\": \"x\", \"bias\": true}}]}",
                "f.safetensors")).getMessage();
        assertTrue(m.contains("f.safetensors: bad architecture: model.0 (Linear): \"out_features\" must be an integer"),
                m);
        m = assertThrows(IOException.class, () -> Architecture.build("{\"type\": \"Conv3d\", \"config\": {}}", "g"))
                .getMessage();
        assertTrue(m.contains("unknown layer type 'Conv3d'"), m);
        m = assertThrows(IOException.class, () -> Architecture.build("{\"type\": \"Linear\", \"config\":"
                + " {\"in_features\": 65536, \"out_features\": 65536, \"bias\": true}}", "h")).getMessage();
        assertTrue(m.contains("would have 4294967296 weights"), m);
        m = assertThrows(IOException.class, () -> Architecture.build("[1]", "i")).getMessage();
        assertTrue(m.contains("model is not an object"), m);
    }
}
