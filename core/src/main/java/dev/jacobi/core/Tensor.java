package dev.jacobi.core;

import dev.jacobi.core.Reductions.Reduce;
import dev.jacobi.core.kernel.BinaryOp;
import dev.jacobi.core.kernel.CachingAllocator;
import dev.jacobi.core.kernel.UnaryOp;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array of {@link DType#FLOAT32} or {@link DType#FLOAT64} values: a shape, strides and an offset
 * over a flat array. Views ({@link #reshape}, {@link #transpose}, {@link #permute}, {@link #narrow},
 * {@link #expand}, {@link #squeeze}, {@link #unsqueeze}) share the array; every op returns a new tensor and never
 * modifies its inputs, except the in-place ops named with a trailing underscore ({@link #add_}, {@link #mul_}, ...,
 * which bump {@link #version()}) and {@link #addmmInPlace}, which serves the autodiff engine's own sums. The array
 * comes from a caching allocator and goes back to it on {@link #close()} (see {@link Memory}). Op names follow
 * PyTorch.
 *
 * <p>Binary element-wise ops broadcast like NumPy. Mixing dtypes is an error: convert with {@link #to(DType)}.
 * Results of unary and binary element-wise ops are row-major, except that when every operand that is not broadcast
 * is stored densely in one other dim order (the transpose of a contiguous matrix, say) the result keeps that
 * layout, as in PyTorch; {@link #contiguous()} always gives row-major order.
 * Index-valued results (argmax, max indices) are {@code int[]} in row-major order of the result shape.
 */
public final class Tensor implements AutoCloseable {
    final DType dtype;
    private final float[] fa;
    private final double[] da;
    /** What this tensor shares with its views: whether the array was released, and how many tensors see it. */
    private final Storage storage;
    final int[] shape;
    final int[] strides;
    final int offset;
    private final int numel;

    Tensor(DType dtype, float[] f, double[] d, int[] shape, int[] strides, int offset) {
        this(dtype, f, d, new Storage(), shape, strides, offset);
    }

    /** A view of {@code base}'s array. */
    Tensor(Tensor base, int[] shape, int[] strides, int offset) {
        this(base.dtype, base.f(), base.d(), base.storage, shape, strides, offset);
    }

    private Tensor(DType dtype, float[] f, double[] d, Storage storage, int[] shape, int[] strides, int offset) {
        this.dtype = dtype;
        this.fa = f;
        this.da = d;
        this.storage = storage;
        storage.tensors++;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.numel = Shapes.numel(shape, "Tensor");
    }

    /** The float32 array (null for float64); throws once the storage was released. */
    float[] f() {
        requireLive();
        return fa;
    }

    /** The float64 array (null for float32); throws once the storage was released. */
    double[] d() {
        requireLive();
        return da;
    }

    /** Throws, saying by what, once the storage was released. */
    void requireLive() {
        if (storage.releasedBy != null) {
            throw released();
        }
    }

    private IllegalStateException released() {
        return new IllegalStateException("this tensor " + Shapes.str(shape) + " was released by "
                + storage.releasedBy + ", and its memory now holds other values; keep a copy() of a tensor you need"
                + " after that point");
    }

    /**
     * Returns this tensor's memory to the caching allocator, for the next op of that size to reuse (PyTorch frees it
     * when the last reference goes; the JVM cannot tell). The tensor, and every view that shares its array, can no
     * longer be used: each throws {@link IllegalStateException}. Closing twice does nothing. Use it in
     * try-with-resources for large temporaries in a loop.
     */
    @Override
    public void close() {
        release("Tensor.close()");
    }

    /**
     * Releases the array as {@link #close()}, naming {@code by} in the error of a later use: for engines and
     * trainers that know no one else holds the tensor. Returns false, and releases nothing, when it already was.
     */
    public boolean release(String by) {
        if (storage.releasedBy != null) {
            return false;
        }
        storage.releasedBy = by;
        if (fa != null) {
            CachingAllocator.release(fa);
        } else {
            CachingAllocator.release(da);
        }
        return true;
    }

    /**
     * Whether this tensor alone was made over its array: no view of it, and it no view of another, was ever created.
     * The autodiff engine releases a spent gradient only then.
     */
    public boolean ownsStorage() {
        return storage.tensors == 1;
    }

    /** Whether this tensor and {@code other} are over the same array. */
    public boolean sharesStorage(Tensor other) {
        return storage == other.storage;
    }

    /**
     * A mark in the sequence of tensor memory: {@link #allocatedAfter} tells the tensors whose array was made after
     * it. The autodiff engine uses it to know the gradients that a backward rule made afresh.
     */
    public static long allocationMark() {
        return Storage.mark();
    }

    /** Whether this tensor's array was made (taken from the allocator) after {@code mark}. */
    public boolean allocatedAfter(long mark) {
        return storage.serial > mark;
    }

    /** Whether {@link #close()} (or the engine or trainer) released this tensor's array. */
    public boolean isReleased() {
        return storage.releasedBy != null;
    }

    // ---------------------------------------------------------------- construction (see Factories)

    /** Wraps {@code data} (not copied) as a contiguous float32 tensor. */
    static Tensor wrap(float[] data, int... shape) {
        return new Tensor(DType.FLOAT32, data, null, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** Wraps {@code data} (not copied) as a contiguous float64 tensor. */
    static Tensor wrap(double[] data, int... shape) {
        return new Tensor(DType.FLOAT64, null, data, shape.clone(), Shapes.contiguousStrides(shape), 0);
    }

    /** A fresh zero-filled contiguous tensor, its memory from the caching allocator. */
    static Tensor empty(DType dtype, int[] shape) {
        int n = Shapes.numel(shape, "zeros");
        return dtype == DType.FLOAT32 ? wrap(CachingAllocator.zeroFloats(n), shape)
                : wrap(CachingAllocator.zeroDoubles(n), shape);
    }

    /** A fresh contiguous tensor with arbitrary contents, for an op that writes every element. */
    static Tensor uninitialized(DType dtype, int[] shape) {
        int n = Shapes.numel(shape, "empty");
        return dtype == DType.FLOAT32 ? wrap(CachingAllocator.floats(n), shape)
                : wrap(CachingAllocator.doubles(n), shape);
    }

    /** A float32 tensor holding a copy of {@code data} in row-major order. With no shape, a 1-D tensor. */
    public static Tensor of(float[] data, int... shape) {
        return Factories.of(data, shape);
    }

    /** A float64 tensor holding a copy of {@code data} in row-major order. With no shape, a 1-D tensor. */
    public static Tensor of(double[] data, int... shape) {
        return Factories.of(data, shape);
    }

    /** A 0-dimensional float32 tensor. */
    public static Tensor scalar(double value) {
        return scalar(DType.FLOAT32, value);
    }

    /** A 0-dimensional tensor of the given dtype. */
    public static Tensor scalar(DType dtype, double value) {
        return full(dtype, value);
    }

    /** Float32 zeros. */
    public static Tensor zeros(int... shape) {
        return empty(DType.FLOAT32, shape);
    }

    /** Zeros of the given dtype. */
    public static Tensor zeros(DType dtype, int... shape) {
        return empty(dtype, shape);
    }

    /** Float32 ones. */
    public static Tensor ones(int... shape) {
        return full(DType.FLOAT32, 1, shape);
    }

    /** Ones of the given dtype. */
    public static Tensor ones(DType dtype, int... shape) {
        return full(dtype, 1, shape);
    }

    /** A float32 tensor filled with {@code value}. */
    public static Tensor full(double value, int... shape) {
        return full(DType.FLOAT32, value, shape);
    }

    /** A tensor of the given dtype filled with {@code value}. */
    public static Tensor full(DType dtype, double value, int... shape) {
        return Factories.full(dtype, value, shape);
    }

    /** Zeros with the dtype and shape of {@code t}. */
    public static Tensor zerosLike(Tensor t) {
        return empty(t.dtype, t.shape);
    }

    /** Ones with the dtype and shape of {@code t}. */
    public static Tensor onesLike(Tensor t) {
        return full(t.dtype, 1, t.shape);
    }

    /** Float32 {@code [0, 1, …, n-1]}. */
    public static Tensor arange(int n) {
        return arange(DType.FLOAT32, 0, n, 1);
    }

    /** {@code start, start+step, …} up to but excluding {@code end}. */
    public static Tensor arange(DType dtype, double start, double end, double step) {
        return Factories.arange(dtype, start, end, step);
    }

    /** The {@code n×n} identity. */
    public static Tensor eye(DType dtype, int n) {
        return Factories.eye(dtype, n);
    }

    /** Uniform samples in [0, 1), float32, drawn in row-major order from {@code rng}. */
    public static Tensor rand(Rng rng, int... shape) {
        return rand(rng, DType.FLOAT32, shape);
    }

    /** Uniform samples in [0, 1), drawn in row-major order from {@code rng}. */
    public static Tensor rand(Rng rng, DType dtype, int... shape) {
        return Factories.rand(rng, dtype, shape);
    }

    /** Standard normal samples, float32, drawn in row-major order from {@code rng}. */
    public static Tensor randn(Rng rng, int... shape) {
        return randn(rng, DType.FLOAT32, shape);
    }

    /** Standard normal samples, drawn in row-major order from {@code rng}. */
    public static Tensor randn(Rng rng, DType dtype, int... shape) {
        return Factories.randn(rng, dtype, shape);
    }

    /** One-hot rows: a float32 {@code [labels.length, numClasses]} tensor. */
    public static Tensor oneHot(int[] labels, int numClasses) {
        return oneHot(labels, numClasses, DType.FLOAT32);
    }

    /** One-hot rows of the given dtype: {@code out[i, labels[i]] = 1}. */
    public static Tensor oneHot(int[] labels, int numClasses, DType dtype) {
        return Factories.oneHot(labels, numClasses, dtype);
    }

    /** Writes flat element {@code i} of a fresh contiguous tensor (construction only). */
    void setFlat(int i, double v) {
        if (fa != null) {
            f()[offset + i] = (float) v;
        } else {
            d()[offset + i] = v;
        }
    }

    // ---------------------------------------------------------------- accessors

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dim {@code dim} (negative counts from the end). */
    public int size(int dim) {
        return shape[Shapes.dim(dim, shape.length, "size")];
    }

    /** The number of dims. */
    public int dim() {
        return shape.length;
    }

    /** The number of elements. */
    public int numel() {
        return numel;
    }

    /** A copy of the strides, in elements. */
    public int[] stride() {
        return strides.clone();
    }

    /** Whether the elements are laid out in row-major order without gaps (the offset may be non-zero). */
    public boolean isContiguous() {
        return Views.isContiguous(this);
    }

    /** The element at {@code idx} (negative indices count from the end), as a double. */
    public double get(int... idx) {
        int p = Indexing.flatIndex(this, idx, "get");
        return fa != null ? f()[p] : d()[p];
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (numel != 1) {
            throw new IllegalArgumentException("item: tensor of shape " + Shapes.str(shape)
                    + " has " + numel + " elements, not 1");
        }
        return fa != null ? f()[offset] : d()[offset];
    }

    /** The elements in row-major order, as floats. */
    public float[] toFloatArray() {
        Tensor c = to(DType.FLOAT32).contiguous();
        return Arrays.copyOfRange(c.f(), c.offset, c.offset + numel);
    }

    /** The elements in row-major order, as doubles. */
    public double[] toDoubleArray() {
        Tensor c = to(DType.FLOAT64).contiguous();
        return Arrays.copyOfRange(c.d(), c.offset, c.offset + numel);
    }

    /** This tensor converted to {@code target} ({@code this} if it already is). */
    public Tensor to(DType target) {
        return Elementwise.to(this, target);
    }

    /** {@code this} if contiguous, otherwise a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : unary(UnaryOp.COPY, 0, 0);
    }

    /** A contiguous copy with its own memory (PyTorch's {@code clone}). */
    public Tensor copy() {
        return unary(UnaryOp.COPY, 0, 0);
    }

    // ---------------------------------------------------------------- in-place ops (see Elementwise)
    //
    // PyTorch's trailing-underscore ops: they write this tensor's memory (and so every view that shares it) and
    // return this. Each bumps the memory's version, and a backward that needs a value modified since the forward
    // recorded it throws, as PyTorch's does. The tensor written must not be an expanded view, and the operand
    // broadcasts to its shape, never the other way.

    /** {@code this += other} in place. */
    public Tensor add_(Tensor other) {
        return Elementwise.binaryInPlace(this, BinaryOp.ADD, other);
    }

    /** {@code this += alpha·other} in place (one pass for float32 operands of this shape, both contiguous). */
    public Tensor add_(Tensor other, double alpha) {
        if (Elementwise.axpyApplies(this, other) && !other.sharesStorage(this)) {
            Elementwise.axpy(alpha, other, this);
            modified();
            return this;
        }
        return add_(alpha == 1 ? other : other.mul(alpha));
    }

    /** {@code this += s} in place. */
    public Tensor add_(double s) {
        return add_(full(dtype, s));
    }

    /** {@code this -= other} in place. */
    public Tensor sub_(Tensor other) {
        return Elementwise.binaryInPlace(this, BinaryOp.SUB, other);
    }

    /** {@code this *= other} in place. */
    public Tensor mul_(Tensor other) {
        return Elementwise.binaryInPlace(this, BinaryOp.MUL, other);
    }

    /** {@code this *= s} in place. */
    public Tensor mul_(double s) {
        return mul_(full(dtype, s));
    }

    /** {@code this /= other} in place. */
    public Tensor div_(Tensor other) {
        return Elementwise.binaryInPlace(this, BinaryOp.DIV, other);
    }

    /** {@code this /= s} in place. */
    public Tensor div_(double s) {
        return div_(full(dtype, s));
    }

    /** {@code max(this, 0)} in place. */
    public Tensor relu_() {
        return Elementwise.unaryInPlace(this, UnaryOp.RELU, "relu_");
    }

    /** {@code exp(this)} in place. */
    public Tensor exp_() {
        return Elementwise.unaryInPlace(this, UnaryOp.EXP, "exp_");
    }

    /** Copies {@code src} (converted to this dtype, broadcast to this shape) into this tensor. */
    public Tensor copy_(Tensor src) {
        return Elementwise.copyInPlace(this, src);
    }

    /** Sets every element to {@code v}. */
    public Tensor fill_(double v) {
        return copy_(full(dtype, v));
    }

    /** Sets every element to 0. */
    public Tensor zero_() {
        return fill_(0);
    }

    // ---------------------------------------------------------------- out= ops (see Elementwise, MatMul)
    //
    // PyTorch's out= argument ({@code torch.add(a, b, out=c)}): the result is written into {@code out}, a buffer the
    // caller keeps, and {@code out} is returned; nothing is allocated when {@code out} is contiguous. {@code out} must
    // have the result's shape and dtype (PyTorch resizes an out of another shape; here that is an
    // IllegalArgumentException), must not be an expanded view or released, and has its version bumped as an in-place
    // op's is. It may be an operand itself ({@code add(x, y, x)} is {@code x.add_(y)}); an operand that is another
    // view of {@code out}'s memory is read as it was before the write.

    /** {@code out = input + other}, broadcasting ({@code torch.add(input, other, out=out)}). */
    public static Tensor add(Tensor input, Tensor other, Tensor out) {
        return Elementwise.binaryOut(input, BinaryOp.ADD, other, out);
    }

    /** {@code out = input − other}, broadcasting ({@code torch.sub(input, other, out=out)}). */
    public static Tensor sub(Tensor input, Tensor other, Tensor out) {
        return Elementwise.binaryOut(input, BinaryOp.SUB, other, out);
    }

    /** {@code out = input · other} element-wise, broadcasting ({@code torch.mul(input, other, out=out)}). */
    public static Tensor mul(Tensor input, Tensor other, Tensor out) {
        return Elementwise.binaryOut(input, BinaryOp.MUL, other, out);
    }

    /** {@code out = input / other}, broadcasting ({@code torch.div(input, other, out=out)}). */
    public static Tensor div(Tensor input, Tensor other, Tensor out) {
        return Elementwise.binaryOut(input, BinaryOp.DIV, other, out);
    }

    /** {@code out = max(input, 0)}, NaN kept as {@link #relu()} keeps it. */
    public static Tensor relu(Tensor input, Tensor out) {
        return Elementwise.unaryOut(input, UnaryOp.RELU, out, "relu");
    }

    /** {@code out = exp(input)} ({@code torch.exp(input, out=out)}). */
    public static Tensor exp(Tensor input, Tensor out) {
        return Elementwise.unaryOut(input, UnaryOp.EXP, out, "exp");
    }

    /**
     * {@code out = input·other} with {@link #matmul}'s shapes and broadcasting ({@code torch.matmul(input, other,
     * out=out)}). A contiguous {@code out} that shares no memory with the operands is written by the GEMM directly.
     */
    public static Tensor matmul(Tensor input, Tensor other, Tensor out) {
        return MatMul.matmul(input, other, out);
    }

    /**
     * How many in-place writes this tensor's memory has had (PyTorch's {@code _version}). The autodiff engine
     * records it with each value and checks it before a backward rule reads the value.
     */
    public int version() {
        return storage.version;
    }

    /** Records an in-place write. */
    void modified() {
        storage.version++;
    }

    // ---------------------------------------------------------------- views (see Views)

    /** The same elements with a new shape (one size may be -1); a view unless the strides force a copy. */
    public Tensor reshape(int... newShape) {
        return Views.reshape(this, newShape);
    }

    /** Dims {@code start..end} (inclusive) merged into one. */
    public Tensor flatten(int start, int end) {
        return Views.flatten(this, start, end);
    }

    /** All elements as one dim. */
    public Tensor flatten() {
        return reshape(numel);
    }

    /** Dims {@code dim0} and {@code dim1} swapped (a view). */
    public Tensor transpose(int dim0, int dim1) {
        return Views.transpose(this, dim0, dim1);
    }

    /** The transpose of a matrix (a vector or scalar is returned as is). */
    public Tensor t() {
        if (shape.length > 2) {
            throw new IllegalArgumentException("t: expects a tensor of rank <= 2, got shape " + Shapes.str(shape));
        }
        return shape.length < 2 ? this : transpose(0, 1);
    }

    /** Dims reordered so that dim {@code i} of the result is dim {@code dims[i]} of this (a view). */
    public Tensor permute(int... dims) {
        return Views.permute(this, dims);
    }

    /** Elements {@code start .. start+length-1} of dim {@code dim} (a view). */
    public Tensor narrow(int dim, int start, int length) {
        return Views.narrow(this, dim, start, length);
    }

    /** Index {@code index} of dim {@code dim}, with that dim removed (a view). */
    public Tensor select(int dim, int index) {
        return Views.select(this, dim, index);
    }

    /** Broadcast to {@code sizes} (-1 keeps a size) without copying: expanded dims get stride 0. */
    public Tensor expand(int... sizes) {
        return Views.expand(this, sizes);
    }

    /** All dims of size one removed. */
    public Tensor squeeze() {
        return Views.squeeze(this);
    }

    /** Dim {@code dim} removed if its size is one (PyTorch semantics: otherwise unchanged). */
    public Tensor squeeze(int dim) {
        return Views.squeeze(this, dim);
    }

    /** A dim of size one inserted at {@code dim} (in {@code [-rank-1, rank]}). */
    public Tensor unsqueeze(int dim) {
        return Views.unsqueeze(this, dim);
    }

    // ---------------------------------------------------------------- element-wise (see Elementwise)

    /** {@code op(x; p, q)} element-wise, keeping a dense non-row-major layout (COPY always gives row-major). */
    Tensor unary(UnaryOp op, double p, double q) {
        return Elementwise.unary(this, op, p, q);
    }

    /** {@code -x}. */
    public Tensor neg() {
        return unary(UnaryOp.NEG, 0, 0);
    }

    /** {@code |x|}. */
    public Tensor abs() {
        return unary(UnaryOp.ABS, 0, 0);
    }

    /** {@code e^x}. */
    public Tensor exp() {
        return unary(UnaryOp.EXP, 0, 0);
    }

    /** Natural logarithm. */
    public Tensor log() {
        return unary(UnaryOp.LOG, 0, 0);
    }

    /** Square root. */
    public Tensor sqrt() {
        return unary(UnaryOp.SQRT, 0, 0);
    }

    /** Hyperbolic tangent. */
    public Tensor tanh() {
        return unary(UnaryOp.TANH, 0, 0);
    }

    /** {@code 1 / (1 + e^-x)}, computed without overflow. */
    public Tensor sigmoid() {
        return unary(UnaryOp.SIGMOID, 0, 0);
    }

    /** {@code max(x, 0)} (NaN stays NaN). */
    public Tensor relu() {
        return unary(UnaryOp.RELU, 0, 0);
    }

    /** -1, 0 or 1 by the sign of x (NaN stays NaN). */
    public Tensor sign() {
        return unary(UnaryOp.SIGN, 0, 0);
    }

    /** Sine. */
    public Tensor sin() {
        return unary(UnaryOp.SIN, 0, 0);
    }

    /** Cosine. */
    public Tensor cos() {
        return unary(UnaryOp.COS, 0, 0);
    }

    /** {@code x²}. */
    public Tensor square() {
        return unary(UnaryOp.SQUARE, 0, 0);
    }

    /** {@code x^p} for a scalar exponent. */
    public Tensor pow(double p) {
        return unary(UnaryOp.POW, p, 0);
    }

    /** {@code x} limited to {@code [min, max]}. */
    public Tensor clamp(double min, double max) {
        if (!(min <= max)) {
            throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        }
        return unary(UnaryOp.CLAMP, min, max);
    }

    /** {@code this + other}, broadcasting. */
    public Tensor add(Tensor other) {
        return Elementwise.binary(this, BinaryOp.ADD, other);
    }

    /**
     * {@code this + alpha·other}, broadcasting (PyTorch's {@code torch.add(input, other, alpha=alpha)}), as in an
     * optimizer step {@code θ.add(g, -lr)}. Float32 operands of one shape and contiguous layout take one pass and
     * one output (with a fused multiply-add where the vector kernels run); anything else is
     * {@code add(other.mul(alpha))}.
     */
    public Tensor add(Tensor other, double alpha) {
        return Elementwise.add(this, other, alpha);
    }

    /**
     * {@code max(this + other, 0)}, broadcasting, in one pass and one output instead of {@code add(other).relu()}'s
     * two (PyTorch's {@code _add_relu}): a bias or a BatchNorm shift followed by ReLU. The values are exactly
     * {@code add(other).relu()}'s, NaN included.
     */
    public Tensor addRelu(Tensor other) {
        return Elementwise.binary(this, BinaryOp.ADD_RELU, other);
    }

    /** {@code this - other}, broadcasting. */
    public Tensor sub(Tensor other) {
        return Elementwise.binary(this, BinaryOp.SUB, other);
    }

    /** {@code this * other} element-wise, broadcasting. */
    public Tensor mul(Tensor other) {
        return Elementwise.binary(this, BinaryOp.MUL, other);
    }

    /** {@code this / other} element-wise, broadcasting. */
    public Tensor div(Tensor other) {
        return Elementwise.binary(this, BinaryOp.DIV, other);
    }

    /** {@code this ^ other} element-wise, broadcasting. */
    public Tensor pow(Tensor other) {
        return Elementwise.binary(this, BinaryOp.POW, other);
    }

    /** Element-wise maximum (NaN propagates), broadcasting. */
    public Tensor maximum(Tensor other) {
        return Elementwise.binary(this, BinaryOp.MAX, other);
    }

    /** Element-wise minimum (NaN propagates), broadcasting. */
    public Tensor minimum(Tensor other) {
        return Elementwise.binary(this, BinaryOp.MIN, other);
    }

    /** {@code this + s}. */
    public Tensor add(double s) {
        return Elementwise.binary(this, BinaryOp.ADD, s);
    }

    /**
     * {@code this} where {@code input > 0}, else 0, broadcasting: ReLU's backward for an output gradient {@code this}
     * in one pass, without a mask tensor (PyTorch's {@code threshold_backward} at threshold 0). Where {@code input}
     * is 0, negative or NaN the result is 0, even if {@code this} is NaN there.
     */
    public Tensor thresholdBackward(Tensor input) {
        return Elementwise.binary(this, BinaryOp.THRESHOLD_BACKWARD, input);
    }

    /** {@code this - s}. */
    public Tensor sub(double s) {
        return Elementwise.binary(this, BinaryOp.SUB, s);
    }

    /** {@code this * s}. */
    public Tensor mul(double s) {
        return Elementwise.binary(this, BinaryOp.MUL, s);
    }

    /** {@code this / s}. */
    public Tensor div(double s) {
        return Elementwise.binary(this, BinaryOp.DIV, s);
    }

    /** Mask (1 or 0, same dtype) of {@code this == other}, broadcasting. */
    public Tensor eq(Tensor other) {
        return Elementwise.binary(this, BinaryOp.EQ, other);
    }

    /** Mask of {@code this != other}. */
    public Tensor ne(Tensor other) {
        return Elementwise.binary(this, BinaryOp.NE, other);
    }

    /** Mask of {@code this < other}. */
    public Tensor lt(Tensor other) {
        return Elementwise.binary(this, BinaryOp.LT, other);
    }

    /** Mask of {@code this <= other}. */
    public Tensor le(Tensor other) {
        return Elementwise.binary(this, BinaryOp.LE, other);
    }

    /** Mask of {@code this > other}. */
    public Tensor gt(Tensor other) {
        return Elementwise.binary(this, BinaryOp.GT, other);
    }

    /** Mask of {@code this >= other}. */
    public Tensor ge(Tensor other) {
        return Elementwise.binary(this, BinaryOp.GE, other);
    }

    /** Mask of {@code this > s}. */
    public Tensor gt(double s) {
        return Elementwise.binary(this, BinaryOp.GT, s);
    }

    /** Mask of {@code this < s}. */
    public Tensor lt(double s) {
        return Elementwise.binary(this, BinaryOp.LT, s);
    }

    /** {@code condition != 0 ? x : y} element-wise, broadcasting all three. */
    public static Tensor where(Tensor condition, Tensor x, Tensor y) {
        return Elementwise.where(condition, x, y);
    }

    double rawAt(int p) {
        return fa != null ? f()[p] : d()[p];
    }

    void setRaw(int p, double v) {
        if (fa != null) {
            f()[p] = (float) v;
        } else {
            d()[p] = v;
        }
    }

    // ---------------------------------------------------------------- reductions (see Reductions)

    /** Sum of all elements (a 0-dim tensor). */
    public Tensor sum() {
        return Reductions.reduce(this, Reduce.SUM, Reductions.allDims(shape.length), false, "sum");
    }

    /** Sum over {@code dim}. */
    public Tensor sum(int dim, boolean keepdim) {
        return Reductions.reduce(this, Reduce.SUM, new int[] {dim}, keepdim, "sum");
    }

    /** Sum over {@code dims}. */
    public Tensor sum(int[] dims, boolean keepdim) {
        return Reductions.reduce(this, Reduce.SUM, dims, keepdim, "sum");
    }

    /** Mean of all elements. */
    public Tensor mean() {
        return sum().div(numel);
    }

    /** Mean over {@code dim}. */
    public Tensor mean(int dim, boolean keepdim) {
        return mean(new int[] {dim}, keepdim);
    }

    /** Mean over {@code dims}. */
    public Tensor mean(int[] dims, boolean keepdim) {
        return sum(dims, keepdim).div(Reductions.count(this, dims, "mean"));
    }

    /** Largest element (a 0-dim tensor; NaN if any is NaN). */
    public Tensor max() {
        return Reductions.reduce(this, Reduce.MAX, Reductions.allDims(shape.length), false, "max");
    }

    /** Smallest element (a 0-dim tensor; NaN if any is NaN). */
    public Tensor min() {
        return Reductions.reduce(this, Reduce.MIN, Reductions.allDims(shape.length), false, "min");
    }

    /** Maximum over {@code dims} (values only). */
    public Tensor amax(int[] dims, boolean keepdim) {
        return Reductions.reduce(this, Reduce.MAX, dims, keepdim, "amax");
    }

    /** Minimum over {@code dims} (values only). */
    public Tensor amin(int[] dims, boolean keepdim) {
        return Reductions.reduce(this, Reduce.MIN, dims, keepdim, "amin");
    }

    /** Values and the positions (along the reduced dim) they came from. */
    public record ValuesIndices(Tensor values, int[] indices) {
    }

    /** Maximum over {@code dim} with the index of the first maximum (NaN counts as largest). */
    public ValuesIndices max(int dim, boolean keepdim) {
        return Reductions.extreme(this, dim, keepdim, true, "max");
    }

    /** Minimum over {@code dim} with the index of the first minimum (NaN counts as smallest). */
    public ValuesIndices min(int dim, boolean keepdim) {
        return Reductions.extreme(this, dim, keepdim, false, "min");
    }

    /** Indices of the maxima along {@code dim}, in row-major order of the remaining dims. */
    public int[] argmax(int dim) {
        return max(dim, false).indices();
    }

    /** Flat row-major index of the largest element. */
    public int argmax() {
        return reshape(numel).argmax(0)[0];
    }

    /** p-norm of all elements, p = 1, 2 or infinity. */
    public Tensor norm(double p) {
        return norm(p, Reductions.allDims(shape.length), false);
    }

    /** p-norm over {@code dims}, p = 1, 2 or infinity. */
    public Tensor norm(double p, int[] dims, boolean keepdim) {
        return Reductions.norm(this, p, dims, keepdim);
    }

    /** {@code log Σ exp(x)} over {@code dims}, stable: the maximum is subtracted first. */
    public Tensor logSumExp(int[] dims, boolean keepdim) {
        return Reductions.logSumExp(this, dims, keepdim);
    }

    /** {@code log Σ exp(x)} over {@code dim}. */
    public Tensor logSumExp(int dim, boolean keepdim) {
        return logSumExp(new int[] {dim}, keepdim);
    }

    // ---------------------------------------------------------------- matmul (see MatMul)

    /**
     * Matrix product with PyTorch semantics: 1-D operands are promoted to a row or column, dims before the last
     * two are batch dims and broadcast. Transposed operands are read in place, without a copy.
     */
    public Tensor matmul(Tensor other) {
        return MatMul.matmul(this, other, null);
    }

    /**
     * {@code this + mat1·mat2}: PyTorch's {@code addmm} (with {@code beta = alpha = 1}) for matrices
     * {@code mat1 [m, k]} and {@code mat2 [k, n]}, this broadcastable to {@code [m, n]}. The GEMM accumulates onto a
     * copy of this, so the sum costs no pass of its own over the product, and no second fresh array: the autodiff
     * engine uses it to add a matrix product's gradient onto the gradient summed so far. Transposed operands are read
     * in place.
     */
    public Tensor addmm(Tensor mat1, Tensor mat2) {
        return MatMul.addmm(this, mat1, mat2, false);
    }

    /**
     * {@link #addmm} written into this tensor's own storage, which is returned, changed: the one exception to this
     * class's immutability, for a caller that allocated this tensor and has shown it to no one. The autodiff engine
     * uses it to add a product onto a gradient sum it owns, which saves copying the sum. Anyone else holding this
     * tensor or a view of its storage would see the change, so it must not be used on any other tensor. This must
     * be a contiguous {@code [m, n]} matrix or the transpose of one; otherwise the result is a new tensor, as from
     * {@code addmm}.
     */
    public Tensor addmmInPlace(Tensor mat1, Tensor mat2) {
        return MatMul.addmm(this, mat1, mat2, true);
    }

    // ---------------------------------------------------------------- convolution, pooling (see Conv, Pool, Spatial)

    /** 2-D convolution of this {@code [N, Cin, H, W]} with {@code w [Cout, Cin/groups, kh, kw]}; see {@link Conv#conv2d}. */
    public Tensor conv2d(Tensor w, Tensor bias, Conv2dSpec spec) {
        return Conv.conv2d(this, w, bias, spec);
    }

    /** 2-D convolution with stride 1, no padding and no bias. */
    public Tensor conv2d(Tensor w) {
        return Conv.conv2d(this, w, null, Conv2dSpec.defaults());
    }

    /** Max pooling over {@code k×k} windows with stride {@code stride}, no padding; see {@link Pool#maxPool2d}. */
    public Tensor maxPool2d(int k, int stride) {
        return Pool.maxPool2d(this, k, k, stride, stride, 0, 0).values();
    }

    /** Average pooling over {@code k×k} windows with stride {@code stride}, no padding; see {@link Pool#avgPool2d}. */
    public Tensor avgPool2d(int k, int stride) {
        return Pool.avgPool2d(this, k, k, stride, stride, 0, 0);
    }

    /** Pads the last dims ({@code left, right[, top, bottom]}); see {@link Spatial#pad}. */
    public Tensor pad(int[] pads, PaddingMode mode) {
        return Spatial.pad(this, pads, mode);
    }

    /** {@code [N, C·r², H, W] → [N, C, H·r, W·r]}; see {@link Spatial#pixelShuffle}. */
    public Tensor pixelShuffle(int r) {
        return Spatial.pixelShuffle(this, r);
    }

    /** {@code [N, C, H·r, W·r] → [N, C·r², H, W]}; see {@link Spatial#pixelUnshuffle}. */
    public Tensor pixelUnshuffle(int r) {
        return Spatial.pixelUnshuffle(this, r);
    }

    // ---------------------------------------------------------------- joining, splitting, indexing (see Indexing)

    /** Tensors joined along {@code dim}; all other sizes and the dtype must agree. */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        return Indexing.cat(tensors, dim);
    }

    /** Tensors of one shape stacked along a new dim {@code dim}. */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        return Indexing.stack(tensors, dim);
    }

    /** Views of consecutive pieces of {@code splitSize} along {@code dim} (the last may be smaller). */
    public List<Tensor> split(int splitSize, int dim) {
        return Indexing.split(this, splitSize, dim);
    }

    /** The entries {@code index[0], index[1], …} of dim {@code dim}, in that order. */
    public Tensor indexSelect(int dim, int[] index) {
        return Indexing.indexSelect(this, dim, index);
    }

    /**
     * A copy of this with slice {@code i} of {@code src} along {@code dim} added to slice {@code index[i]}, repeats
     * accumulating: the adjoint of {@link #indexSelect}. {@code src} has this shape with {@code dim} resized to
     * {@code index.length}.
     */
    public Tensor indexAdd(int dim, int[] index, Tensor src) {
        return Indexing.indexAdd(this, dim, index, src);
    }

    /**
     * {@code out[…, j, …] = this[…, index[…, j, …], …]} along {@code dim}. The index has this shape except at
     * {@code dim} (row-major, as an {@code int[]}); so does the result.
     */
    public Tensor gather(int dim, int[] index) {
        return Indexing.gather(this, dim, index);
    }

    /** A copy of this with {@code src[…, j, …]} added at {@code […, index[…, j, …], …]}: the adjoint of gather. */
    public Tensor scatterAdd(int dim, int[] index, Tensor src) {
        return Indexing.scatterAdd(this, dim, index, src);
    }

    // ---------------------------------------------------------------- comparison and text

    /** Whether shapes match and {@code |a - b| <= atol + rtol·|b|} everywhere (NaNs never match). */
    public boolean allClose(Tensor other, double rtol, double atol) {
        return Elementwise.allClose(this, other, rtol, atol);
    }

    /** Shape, dtype and values, e.g. {@code Tensor[2, 2] float32 [[1.0, 2.0], [3.0, 4.0]]}; long dims are elided. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Shapes.str(shape)).append(' ')
                .append(dtype.name().toLowerCase(java.util.Locale.ROOT)).append(' ');
        int edge = numel > 1000 ? 3 : Integer.MAX_VALUE;
        appendValues(sb, 0, offset, edge);
        return sb.toString();
    }

    private void appendValues(StringBuilder sb, int dim, int pos, int edge) {
        if (dim == shape.length) {
            double v = rawAt(pos);
            sb.append(dtype == DType.FLOAT32 ? Float.toString((float) v) : Double.toString(v));
            return;
        }
        sb.append('[');
        int n = shape[dim];
        for (int i = 0; i < n; i++) {
            if (n > 2 * edge && i == edge) {
                sb.append("..., ");
                i = n - edge;
            }
            appendValues(sb, dim + 1, pos + i * strides[dim], edge);
            if (i < n - 1) {
                sb.append(dim == shape.length - 1 ? ", " : ",\n" + " ".repeat(dim + 1));
            }
        }
        sb.append(']');
    }
}
