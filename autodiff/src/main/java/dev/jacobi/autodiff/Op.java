package dev.jacobi.autodiff;

/**
 * The primitive ops of the engine: every {@link Var} made by an op carries one of these, and each has exactly one
 * declaration, with its forward kernel and its backward rule, in the class its {@link Kind} names. Everything else
 * {@code Var} offers (softmax, norms, variance, split, …) is a composite of these. {@code docs/AUTODIFF.md} lists
 * them with their rules.
 */
public enum Op {
    ADD(Kind.ELEMENTWISE), ADD_RELU(Kind.ELEMENTWISE), SUB(Kind.ELEMENTWISE), MUL(Kind.ELEMENTWISE), DIV(Kind.ELEMENTWISE),
    MAXIMUM(Kind.ELEMENTWISE), MINIMUM(Kind.ELEMENTWISE), WHERE(Kind.ELEMENTWISE), NEG(Kind.ELEMENTWISE),
    EXP(Kind.ELEMENTWISE), LOG(Kind.ELEMENTWISE), SQRT(Kind.ELEMENTWISE), TANH(Kind.ELEMENTWISE),
    SIGMOID(Kind.ELEMENTWISE), RELU(Kind.ELEMENTWISE), THRESHOLD_BACKWARD(Kind.ELEMENTWISE), ABS(Kind.ELEMENTWISE),
    SQUARE(Kind.ELEMENTWISE), POW(Kind.ELEMENTWISE), POW_TENSOR(Kind.ELEMENTWISE), SIN(Kind.ELEMENTWISE),
    COS(Kind.ELEMENTWISE), CLAMP(Kind.ELEMENTWISE),
    SUM(Kind.REDUCTION), AMAX(Kind.REDUCTION), AMIN(Kind.REDUCTION), NORM(Kind.REDUCTION),
    BATCH_NORM(Kind.NORMALIZATION),
    RESHAPE(Kind.SHAPE), PERMUTE(Kind.SHAPE), EXPAND(Kind.SHAPE), NARROW(Kind.SHAPE), CAT(Kind.SHAPE),
    GATHER(Kind.SHAPE), SCATTER_ADD(Kind.SHAPE), INDEX_SELECT(Kind.SHAPE), INDEX_ADD(Kind.SHAPE),
    MATMUL(Kind.LINALG), ADDMM(Kind.LINALG), INVERSE(Kind.LINALG),
    CONV2D(Kind.CONV_POOL), CONV2D_INPUT(Kind.CONV_POOL), CONV2D_WEIGHT(Kind.CONV_POOL), MAX_POOL2D(Kind.CONV_POOL),
    SCATTER_FLAT(Kind.CONV_POOL), GATHER_FLAT(Kind.CONV_POOL), AVG_POOL2D(Kind.CONV_POOL),
    AVG_POOL2D_ADJOINT(Kind.CONV_POOL), PAD(Kind.CONV_POOL), PAD_ADJOINT(Kind.CONV_POOL),
    PIXEL_SHUFFLE(Kind.CONV_POOL), PIXEL_UNSHUFFLE(Kind.CONV_POOL), GRID_SAMPLE(Kind.CONV_POOL),
    CUSTOM(Kind.CUSTOM);

    /** The groups of primitives, one source file each. */
    public enum Kind {
        /** Element-wise ops, {@code ElementwiseOps.java}. */
        ELEMENTWISE("ElementwiseOps.java"),
        /** Reductions, {@code ReductionOps.java}. */
        REDUCTION("ReductionOps.java"),
        /** Normalisation layers' fused ops, {@code NormOps.java}. */
        NORMALIZATION("NormOps.java"),
        /** Shape and indexing ops, {@code ShapeOps.java}. */
        SHAPE("ShapeOps.java"),
        /** Matrix products, {@code LinalgOps.java}. */
        LINALG("LinalgOps.java"),
        /** Convolution, pooling, padding and sampling, {@code ConvPoolOps.java}. */
        CONV_POOL("ConvPoolOps.java"),
        /** A user's op with its own rule ({@code CustomOp.apply}), {@code CustomOp.java}. */
        CUSTOM("CustomOp.java");

        private final String file;

        Kind(String file) {
            this.file = file;
        }

        /** The source file (in {@code dev.jacobi.autodiff}) that declares the primitives of this kind. */
        public String file() {
            return file;
        }
    }

    private final Kind kind;

    Op(Kind kind) {
        this.kind = kind;
    }

    /** The group of this primitive, which names the file where its forward and backward are declared. */
    public Kind kind() {
        return kind;
    }
}
