package dev.jacobi.regularizers.lipschitz;

import dev.jacobi.core.Rng;
import dev.jacobi.nn.Layer;
import dev.jacobi.train.Architecture;
import java.util.Set;

/**
 * Rebuilds this package's layers from a model file's architecture ({@link Architecture}), so that the 1-Lipschitz
 * models that {@code jacobi train} writes load in Java with {@code ModelFiles.loadModel}. Registered as a
 * {@link java.util.ServiceLoader} provider.
 */
public final class LipschitzLayerFactory implements Architecture.Factory {
    /** The provider's constructor, for the service loader. */
    public LipschitzLayerFactory() {
    }

    @Override
    public Set<String> types() {
        return Set.of("BjorckLinear", "BcopConv2d", "GroupSort", "MaxMin", "AolLinear", "CplLinear", "SllLinear",
                "AolConv2d", "CplConv2d", "SllConv2d", "SocConv2d", "CayleyLinear", "CayleyConv2d");
    }

    @Override
    public Layer build(String type, Architecture.Arguments a) {
        Rng rng = new Rng(0); // the weights are loaded next
        return switch (type) {
            case "BjorckLinear" -> {
                a.checkWeights((long) a.i("in_features") * a.i("out_features"));
                yield new BjorckLinear(a.i("in_features"), a.i("out_features"), a.b("bias"), a.i("iterations"),
                        a.i("order"), rng);
            }
            case "BcopConv2d" -> {
                long c = Math.max(a.i("in_channels"), a.i("out_channels"));
                a.checkWeights(c * c * a.i("kernel_size") * a.i("kernel_size"));
                yield new BcopConv2d(a.i("in_channels"), a.i("out_channels"), a.i("kernel_size"), a.i("stride"),
                        a.b("bias"), a.i("iterations"), a.i("order"), rng);
            }
            case "AolLinear" -> {
                a.checkWeights((long) a.i("in_features") * a.i("out_features"));
                yield new AolLinear(a.i("in_features"), a.i("out_features"), a.b("bias"), rng);
            }
            case "CplLinear" -> {
                a.checkWeights((long) a.i("features") * a.i("inner"));
                yield new CplLinear(a.i("features"), a.i("inner"), rng);
            }
            case "SllLinear" -> {
                a.checkWeights((long) a.i("features") * a.i("inner"));
                yield new SllLinear(a.i("features"), a.i("inner"), rng);
            }
            case "CayleyLinear" -> {
                a.checkWeights((long) a.i("in_features") * a.i("out_features"));
                yield new CayleyLinear(a.i("in_features"), a.i("out_features"), a.b("bias"), rng);
            }
            case "AolConv2d", "SocConv2d", "CayleyConv2d" -> {
                long c = Math.max(a.i("in_channels"), a.i("out_channels"));
                a.checkWeights(c * c * a.i("kernel_size") * a.i("kernel_size"));
                int cin = a.i("in_channels");
                int cout = a.i("out_channels");
                int k = a.i("kernel_size");
                yield type.equals("AolConv2d") ? new AolConv2d(cin, cout, k, a.b("bias"), rng)
                        : type.equals("SocConv2d") ? new SocConv2d(cin, cout, k, a.b("bias"), rng)
                        : new CayleyConv2d(cin, cout, k, a.b("bias"), rng);
            }
            case "CplConv2d", "SllConv2d" -> {
                a.checkWeights((long) a.i("channels") * a.i("inner") * a.i("kernel_size") * a.i("kernel_size"));
                yield type.equals("CplConv2d") ? new CplConv2d(a.i("channels"), a.i("inner"), a.i("kernel_size"), rng)
                        : new SllConv2d(a.i("channels"), a.i("inner"), a.i("kernel_size"), rng);
            }
            case "GroupSort" -> new GroupSort(a.i("group_size"));
            case "MaxMin" -> new MaxMin();
            default -> throw new IllegalArgumentException("LipschitzLayerFactory: no layer type " + type);
        };
    }
}
