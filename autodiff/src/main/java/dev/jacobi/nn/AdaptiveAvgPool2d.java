package dev.jacobi.nn;

import dev.jacobi.autodiff.Var;
import dev.jacobi.core.Shapes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Average pooling to a fixed output size, as PyTorch's {@code nn.AdaptiveAvgPool2d}: output cell {@code (i, j)} of
 * an {@code outH × outW} grid averages input rows {@code ⌊i·H/outH⌋ … ⌈(i+1)·H/outH⌉ − 1} and the columns likewise, so
 * windows may differ in size and overlap when {@code H} is not a multiple of {@code outH}. {@code [N, C, H, W] →
 * [N, C, outH, outW]}; {@code (1, 1)} is global average pooling.
 */
public final class AdaptiveAvgPool2d extends Layer {
    private final int outH;
    private final int outW;

    /** Pools to {@code outH × outW}. */
    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be positive, got " + outH + "x"
                    + outW);
        }
        this.outH = outH;
        this.outW = outW;
    }

    /** Pools to {@code size × size}. */
    public AdaptiveAvgPool2d(int size) {
        this(size, size);
    }

    @Override
    public Var forward(Var x) {
        int[] s = x.shape();
        if (s.length != 4) {
            throw error("input " + Shapes.str(s) + " is not [N, C, H, W]");
        }
        int h = s[2];
        int w = s[3];
        if (h % outH == 0 && w % outW == 0 && h / outH == w / outW) {
            return x.avgPool2d(h / outH, h / outH, 0); // equal windows side by side
        }
        return pool(pool(x, 2, outH), 3, outW);
    }

    /** Averages the adaptive windows of dim {@code d} into {@code out} cells. */
    private static Var pool(Var x, int d, int out) {
        int n = x.shape()[d];
        List<Var> cells = new ArrayList<>(out);
        for (int i = 0; i < out; i++) {
            int start = i * n / out;
            int end = ((i + 1) * n + out - 1) / out;
            cells.add(x.narrow(d, start, end - start).mean(d, true));
        }
        return cells.size() == 1 ? cells.get(0) : Var.cat(cells, d);
    }

    @Override
    protected String extraRepr() {
        return "output_size=(" + outH + ", " + outW + ")";
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("output_size", new int[] {outH, outW});
    }
}
