package dev.jacobi.bench;

import dev.jacobi.autodiff.Autodiff;
import dev.jacobi.autodiff.Var;
import dev.jacobi.cli.run.Json;
import dev.jacobi.core.Batch;
import dev.jacobi.core.Conv;
import dev.jacobi.core.Conv2dSpec;
import dev.jacobi.core.Parallel;
import dev.jacobi.core.Rng;
import dev.jacobi.core.Simd;
import dev.jacobi.core.Tensor;
import dev.jacobi.core.linalg.ConvSpectra;
import dev.jacobi.nn.BatchNorm2d;
import dev.jacobi.nn.Conv2d;
import dev.jacobi.nn.Flatten;
import dev.jacobi.nn.Linear;
import dev.jacobi.nn.Losses;
import dev.jacobi.nn.MaxPool2d;
import dev.jacobi.nn.Layer;
import dev.jacobi.nn.ReLU;
import dev.jacobi.nn.Reduction;
import dev.jacobi.nn.Sequential;
import dev.jacobi.optim.SGD;
import dev.jacobi.regularizers.inputspace.HessianNormPenalty;
import dev.jacobi.train.Trainer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The Jacobi side of the PyTorch comparison ({@code bench/compare.py}): the same named workloads, timed the same
 * way (warm-up for at least 1 s, then the median of runs over at least 2 s), printed as one JSON object per line.
 * Usage: {@code java --add-modules jdk.incubator.vector -cp jacobi.jar dev.jacobi.bench.Compare [--threads N]
 * [--only REGEX] [--quick] [--list | --serve]}; {@code --list} prints the names of the selected workloads without
 * timing them, {@code --serve} is described at {@link #main}.
 */
public final class Compare {
    private Compare() {
    }

    /** A workload: setup happens in the supplier, the returned runnable is what is timed. */
    record Workload(String name, double flops, Supplier<Runnable> setup) {
    }

    /**
     * Times {@code op} and closes its result, as Python frees the result of {@code a + b} when nothing keeps it:
     * the next call then reuses that memory through the caching allocator, as PyTorch's does.
     */
    private static Runnable dropping(Supplier<Tensor> op) {
        return () -> op.get().close();
    }

    static List<Workload> workloads() {
        List<Workload> w = new ArrayList<>();
        Limits.add(w);
        for (int n : new int[] {64, 128, 192, 256, 384, 512, 768, 1024, 2048}) {
            w.add(new Workload("gemm_n" + n, 2.0 * n * n * n, () -> {
                Rng r = new Rng(1);
                Tensor a = Tensor.randn(r, n, n);
                Tensor b = Tensor.randn(r, n, n);
                return dropping(() -> a.matmul(b));
            }));
        }
        for (int[] s : new int[][] {{128, 784, 512}, {128, 512, 512}}) {
            String dims = s[0] + "x" + s[1] + "x" + s[2];
            double fl = 2.0 * s[0] * s[1] * s[2];
            Supplier<Tensor[]> ops = () -> {
                Rng r = new Rng(1);
                return new Tensor[] {Tensor.randn(r, s[0], s[1]), Tensor.randn(r, s[1], s[2]), Tensor.randn(r, s[0], s[2])};
            };
            w.add(new Workload("gemm_ab_" + dims, fl, () -> {
                Tensor[] t = ops.get();
                return dropping(() -> t[0].matmul(t[1]));
            }));
            w.add(new Workload("gemm_atb_" + dims, fl, () -> {
                Tensor[] t = ops.get();
                return dropping(() -> t[0].t().matmul(t[2]));
            }));
            w.add(new Workload("gemm_abt_" + dims, fl, () -> {
                Tensor[] t = ops.get();
                return dropping(() -> t[2].matmul(t[1].t()));
            }));
        }
        int n4 = 1 << 22;
        Supplier<Tensor[]> ew = () -> {
            Rng r = new Rng(2);
            return new Tensor[] {Tensor.randn(r, n4), Tensor.randn(r, n4)};
        };
        w.add(new Workload("copy_4M", 0, () -> { Tensor[] t = ew.get(); return dropping(() -> t[0].copy()); }));
        w.add(new Workload("add_4M", 0, () -> { Tensor[] t = ew.get(); return dropping(() -> t[0].add(t[1])); }));
        w.add(new Workload("mul_4M", 0, () -> { Tensor[] t = ew.get(); return dropping(() -> t[0].mul(t[1])); }));
        w.add(new Workload("relu_4M", 0, () -> { Tensor[] t = ew.get(); return dropping(() -> t[0].relu()); }));
        w.add(new Workload("exp_4M", 0, () -> { Tensor[] t = ew.get(); return dropping(() -> t[0].exp()); }));
        w.add(new Workload("sum_4M", 0, () -> { Tensor[] t = ew.get(); return () -> t[0].sum(); }));
        // a sum over a middle dim (per-channel statistics of an NCHW activation), and over the channel dim
        Supplier<Tensor> act = () -> Tensor.randn(new Rng(3), 64, 32, 28, 28);
        w.add(new Workload("sum_dim1_64x32x28x28", 0, () -> {
            Tensor t = act.get();
            return dropping(() -> t.sum(1, false));
        }));
        w.add(new Workload("bn_relu_fwdbwd_64x32x28x28", 0, () -> {
            BnRelu b = new BnRelu(act.get());
            return () -> b.run(true);
        }));
        for (Object[] c : new Object[][] {{"ref", new int[] {64, 32, 28, 28}, new int[] {64, 32, 3, 3}},
                {"mnist", new int[] {128, 1, 28, 28}, new int[] {32, 1, 3, 3}},
                {"c64", new int[] {32, 64, 32, 32}, new int[] {64, 64, 3, 3}}}) {
            int[] xs = (int[]) c[1];
            int[] ks = (int[]) c[2];
            Conv2dSpec pad1 = Conv2dSpec.of(1, 1);
            Supplier<Tensor[]> ops = () -> {
                Rng r = new Rng(4);
                Tensor x = Tensor.randn(r, xs);
                Tensor k = Tensor.randn(r, ks);
                return new Tensor[] {x, k, Tensor.randn(r, Conv.conv2d(x, k, null, pad1).shape())};
            };
            w.add(new Workload("conv_" + c[0] + "_fwd", 0, () -> {
                Tensor[] t = ops.get();
                return dropping(() -> Conv.conv2d(t[0], t[1], null, pad1));
            }));
            w.add(new Workload("conv_" + c[0] + "_fwdbwd", 0, () -> {
                Tensor[] t = ops.get();
                return () -> {
                    Conv.conv2d(t[0], t[1], null, pad1).close();
                    for (Tensor g : Conv.conv2dBackward(t[0], t[2], t[1], pad1)) {
                        g.close();
                    }
                };
            }));
        }
        // the MNIST first layer's forward at other batch sizes (conv_mnist_fwd is batch 128)
        for (int batch : new int[] {1, 8, 32, 256}) {
            w.add(new Workload("conv_mnist_fwd_b" + batch, 0, () -> {
                Rng r = new Rng(4);
                Tensor x = Tensor.randn(r, batch, 1, 28, 28);
                Tensor k = Tensor.randn(r, 32, 1, 3, 3);
                return dropping(() -> Conv.conv2d(x, k, null, Conv2dSpec.of(1, 1)));
            }));
        }
        w.add(new Workload("circ_norm_64x64x3x3_32", 0, () -> {
            Tensor k = Tensor.randn(new Rng(5), 64, 64, 3, 3);
            return () -> ConvSpectra.operatorNorm(k, 32, 32);
        }));
        w.add(new Workload("gram6_64x64x5x5_12", 0, () -> {
            Tensor k = Tensor.randn(new Rng(5), 64, 64, 5, 5).to(dev.jacobi.core.DType.FLOAT64);
            return () -> dev.jacobi.core.linalg.GramIteration.circular(k, 12, 12, 6);
        }));
        for (int[] cn : new int[][] {{16, 16}, {16, 64}, {64, 32}, {256, 32}}) {
            w.add(new Workload("gram6_" + cn[0] + "x" + cn[0] + "x3x3_" + cn[1], 0, () -> {
                Tensor k = Tensor.randn(new Rng(5), cn[0], cn[0], 3, 3).to(dev.jacobi.core.DType.FLOAT64);
                return () -> dev.jacobi.core.linalg.GramIteration.circular(k, cn[1], cn[1], 6);
            }));
        }
        for (int c : new int[] {16, 64}) {
            w.add(new Workload("zeropad3_" + c + "x" + c + "x3x3", 0, () -> {
                Tensor k = Tensor.randn(new Rng(5), c, c, 3, 3).to(dev.jacobi.core.DType.FLOAT64);
                return () -> {
                    try (var ignored = Autodiff.noGrad()) {
                        dev.jacobi.regularizers.spectral.GramBound.zeroPadding(Var.of(k), 3).value().item();
                    }
                };
            }));
        }
        w.add(new Workload("mlp_grad", 0, () -> {
            Mlp m = new Mlp();
            return m::grad;
        }));
        w.add(new Workload("mlp_hvp", 0, () -> {
            Mlp m = new Mlp();
            return m::hvp;
        }));
        w.add(new Workload("mlp_input_hessian_power10", 0, () -> {
            Mlp m = new Mlp();
            return () -> {
                Var x = Var.param(m.x);
                Var gx = Autodiff.grad(m.loss(x), List.of(x), null, true).get(0);
                Tensor v = m.xdir;
                for (int it = 0; it < 10; it++) {
                    Tensor hv = Autodiff.grad(gx.mul(v).sum(), List.of(x), null, false).get(0).value();
                    v = hv.div(hv.norm(2).item() + 1e-12);
                }
            };
        }));
        w.add(new Workload("cnn_step_gradl2", 0, () -> {
            Cnn c = new Cnn();
            return () -> {
                c.opt.zeroGrad();
                Var x = Var.param(c.x);
                Var losses = Losses.crossEntropy(c.model.forward(x), c.y, Reduction.NONE);
                Var gx = Autodiff.grad(losses.sum(), List.of(x), null, true).get(0);
                losses.mean().add(gx.square().sum().div(c.y.length).mul(0.1)).backward();
                c.opt.step();
            };
        }));
        w.add(new Workload("cnn_step_hessian", 0, () -> {
            Cnn c = new Cnn();
            HessianNormPenalty pen = new HessianNormPenalty(5, 32, HessianNormPenalty.Mode.EXACT);
            return () -> {
                c.opt.zeroGrad();
                Var loss = Losses.crossEntropy(c.model.forward(Var.of(c.x)), c.y);
                loss.add(pen.penalty(c.model, c.x, c.y).mul(0.1)).backward();
                c.opt.step();
            };
        }));
        w.add(new Workload("mlp_sgd_step", 0, () -> {
            StepSetup s = new StepSetup(false);
            return () -> s.trainer.step(s.batch);
        }));
        w.add(new Workload("mlp_sgd_step_gradpen", 0, () -> {
            StepSetup s = new StepSetup(false);
            return () -> {
                // loss + 0.1·‖∇ₓ loss‖² by double backprop, as compare.py
                s.opt.zeroGrad();
                Var x = Var.param(s.batch.x());
                Var loss = Losses.crossEntropy(s.model.forward(x), s.batch.y());
                Var gx = Autodiff.grad(loss, List.of(x), null, true).get(0);
                loss.add(gx.square().sum().mul(0.1)).backward();
                s.opt.step();
            };
        }));
        w.add(new Workload("cnn_sgd_step", 0, () -> {
            StepSetup s = new StepSetup(true);
            return () -> s.trainer.step(s.batch);
        }));
        w.add(new Workload("cnn_bn_sgd_step", 0, () -> {
            StepSetup s = new StepSetup("cnn_bn");
            return () -> s.trainer.step(s.batch);
        }));
        return w;
    }

    /**
     * One SGD step (lr 0.01, momentum 0.9) of PyTorch-initialised models on a batch of 128: the MLP 784-512-512-10
     * or the CNN conv(1→32)-ReLU-pool-conv(32→64)-ReLU-pool-linear(3136→128)-ReLU-linear(128→10).
     */
    public static final class StepSetup {
        final Sequential model;
        final SGD opt;
        /** The trainer whose {@code step} is timed. */
        public final Trainer trainer;
        /** The batch of 128 examples. */
        public final Batch batch;

        /** The CNN's setup if {@code cnn}, else the MLP's. */
        public StepSetup(boolean cnn) {
            this(cnn ? "cnn" : "mlp");
        }

        /**
         * The setup of {@code model}: {@code mlp}, {@code cnn}, or {@code cnn_bn}, the CNN with a BatchNorm2d after
         * each convolution (before its ReLU), as {@code compare.py}'s {@code cnn_bn_sgd_step}.
         */
        public StepSetup(String model) {
            Rng r = new Rng(4);
            boolean cnn = model.startsWith("cnn");
            boolean bn = model.equals("cnn_bn");
            if (!cnn && !model.equals("mlp")) {
                throw new IllegalArgumentException("StepSetup: model must be mlp, cnn or cnn_bn, got '" + model + "'");
            }
            if (cnn) {
                this.model = new Sequential(new Conv2d(1, 32, 3, 1, 1, r));
                if (bn) {
                    this.model.append(new BatchNorm2d(32));
                }
                this.model.append(new ReLU()).append(new MaxPool2d(2)).append(new Conv2d(32, 64, 3, 1, 1, r));
                if (bn) {
                    this.model.append(new BatchNorm2d(64));
                }
                this.model.append(new ReLU()).append(new MaxPool2d(2)).append(new Flatten())
                        .append(new Linear(3136, 128, r)).append(new ReLU()).append(new Linear(128, 10, r));
            } else {
                this.model = new Sequential(new Linear(784, 512, r), new ReLU(), new Linear(512, 512, r), new ReLU(),
                        new Linear(512, 10, r));
            }
            opt = new SGD(this.model.parameters(), 0.01, 0.9, 0, 0, false);
            trainer = Trainer.builder(this.model, opt).build();
            int[] y = new int[128];
            for (int i = 0; i < y.length; i++) {
                y[i] = r.nextInt(10);
            }
            batch = new Batch(cnn ? Tensor.rand(r, 128, 1, 28, 28) : Tensor.rand(r, 128, 784), y);
        }
    }

    /**
     * BatchNorm2d(32) in training mode then ReLU on a {@code [64, 32, 28, 28]} activation, forward and backward to
     * the input, weight and bias with a random cotangent: the {@code bn_relu_fwdbwd} row; shared with JMH.
     */
    public static final class BnRelu {
        private final Sequential net = new Sequential(new BatchNorm2d(32), new ReLU());
        private final List<Var> wrt = new ArrayList<>();
        private final Var gy = Var.of(Tensor.randn(new Rng(4), 64, 32, 28, 28));

        /** The setup on the activation {@code x}. */
        public BnRelu(Tensor x) {
            wrt.add(Var.param(x));
            net.parameters().forEach(p -> wrt.add(p.var()));
        }

        /**
         * One forward and backward: through {@code Sequential.forward}, which runs the two layers as one node if
         * {@code fused}, else layer by layer through {@code Layer.call} (the unfused form). The values the call made
         * and no one keeps are closed, as Python frees them, so the next call reuses their memory through the
         * caching allocator, as PyTorch's does; returns the sum of the input gradient (so the work is used).
         */
        public double run(boolean fused) {
            Var y = wrt.get(0);
            List<Var> made = new ArrayList<>();
            if (fused) {
                y = net.forward(y);
            } else {
                for (Layer m : net) {
                    y = m.call(y);
                    made.add(y);
                }
            }
            made.add(y);
            List<Var> g = Autodiff.grad(y, wrt, gy, false);
            made.addAll(g);
            double s = g.get(0).value().sum().item();
            for (Var v : made) {
                v.value().close(); // closing twice does nothing
            }
            return s;
        }
    }

    /** MLP 784-512-512-10 (ReLU), batch 128, softmax cross-entropy, weights stored [in, out]; shared with JMH. */
    public static final class Mlp {
        /** Inputs [128, 784]. */
        public final Tensor x;
        /** A random input direction. */
        public final Tensor xdir;
        /** Labels. */
        public final int[] y = new int[128];
        /** Weights and biases. */
        public final List<Var> params = new ArrayList<>();
        /** One random direction per parameter. */
        public final List<Tensor> v = new ArrayList<>();

        /** Builds the network and data from a fixed seed. */
        public Mlp() {
            Rng r = new Rng(3);
            x = Tensor.rand(r, 128, 784);
            xdir = Tensor.randn(r, 128, 784);
            for (int i = 0; i < y.length; i++) {
                y[i] = r.nextInt(10);
            }
            int[] dims = {784, 512, 512, 10};
            for (int l = 0; l < 3; l++) {
                params.add(Var.param(Tensor.randn(r, dims[l], dims[l + 1]).mul(Math.sqrt(2.0 / dims[l]))));
                params.add(Var.param(Tensor.zeros(dims[l + 1])));
            }
            for (Var p : params) {
                v.add(Tensor.randn(r, p.shape()));
            }
        }

        /** The logits of {@code in}. */
        public Var logits(Var in) {
            Var h = in;
            for (int l = 0; l < 3; l++) {
                h = h.matmul(params.get(2 * l)).add(params.get(2 * l + 1));
                if (l < 2) {
                    h = h.relu();
                }
            }
            return h;
        }

        /** The same logits from the {@code Tensor} kernels directly: the baseline of the no-graph overhead. */
        public Tensor logitsTensor() {
            Tensor h = x;
            for (int l = 0; l < 3; l++) {
                h = h.matmul(params.get(2 * l).value()).add(params.get(2 * l + 1).value());
                if (l < 2) {
                    h = h.relu();
                }
            }
            return h;
        }

        /** The mean cross-entropy of {@code in}. */
        public Var loss(Var in) {
            return logits(in).logSoftmax(1).gather(1, y).mean().neg();
        }

        /** The gradient of the loss with respect to the parameters. */
        public List<Var> grad() {
            return Autodiff.grad(loss(Var.of(x)), params, null, false);
        }

        /**
         * The Hessian-vector product with respect to the parameters along {@link #v}: reverse over reverse, the
         * gradients differentiated again with {@code v} as their cotangents.
         */
        public List<Var> hvp() {
            List<Var> g = Autodiff.grad(loss(Var.of(x)), params, null, true);
            return Autodiff.grad(g, params, v.stream().map(Var::of).toList(), false);
        }
    }

    /** The issue-5 CNN (conv 1→32, ReLU, pool, conv 32→64, ReLU, pool, 3136→128, ReLU, 128→10), batch 128, SGD. */
    static final class Cnn {
        final Tensor x;
        final int[] y = new int[128];
        final Layer model;
        final SGD opt;

        Cnn() {
            Rng r = new Rng(4);
            x = Tensor.rand(r, 128, 1, 28, 28);
            for (int i = 0; i < y.length; i++) {
                y[i] = r.nextInt(10);
            }
            model = new Sequential(new Conv2d(1, 32, 3, 1, 1, r), new ReLU(), new MaxPool2d(2),
                    new Conv2d(32, 64, 3, 1, 1, r), new ReLU(), new MaxPool2d(2), new Flatten(),
                    new Linear(3136, 128, r), new ReLU(), new Linear(128, 10, r));
            opt = new SGD(model.parameters(), 0.01, 0.9, 0, 0, false);
        }
    }

    /** Median milliseconds of {@code op} after warm-up. */
    static double time(Runnable op, boolean quick) {
        long warmEnd = System.nanoTime() + (quick ? 200_000_000L : 1_500_000_000L);
        int warm = 0;
        while (warm < 3 || System.nanoTime() < warmEnd) {
            op.run();
            warm++;
        }
        return medianMs(op, quick ? 300_000_000L : 2_000_000_000L, 5);
    }

    /** Median milliseconds of runs of {@code op} over {@code nanos}, and at least {@code least} runs. */
    static double medianMs(Runnable op, long nanos, int least) {
        List<Double> ms = new ArrayList<>();
        long end = System.nanoTime() + nanos;
        while (ms.size() < least || System.nanoTime() < end) {
            long t0 = System.nanoTime();
            op.run();
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        double[] a = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a[a.length / 2];
    }

    /**
     * Runs the workloads and prints JSON lines. With {@code --serve} it reads workload names from standard input, one
     * per line, and times each as it comes ({@code compare.py --interleave}, which takes turns between the sides in
     * one process per side); a name it does not have gets a line without a time. A line {@code NAME MS} times the
     * workload set up and timed last again, without setup or warm-up, over a window of {@code MS} milliseconds (at
     * least 3 runs; {@code compare.py --pairs}).
     */
    public static void main(String[] args) throws IOException {
        int threads = Runtime.getRuntime().availableProcessors();
        Pattern only = Pattern.compile(".*");
        boolean quick = false;
        boolean list = false;
        boolean serve = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--only" -> only = Pattern.compile(args[++i]);
                case "--quick" -> quick = true;
                case "--list" -> list = true;
                case "--serve" -> serve = true;
                default -> throw new IllegalArgumentException("Compare: unknown argument " + args[i]
                        + " (known: --threads N, --only REGEX, --quick, --list, --serve)");
            }
        }
        Parallel.setThreads(threads);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("jdk", Runtime.version().toString());
        env.put("simd", Simd.describe());
        env.put("threads", Integer.toString(threads));
        System.out.println(Json.line(Map.of("env", env)));
        if (serve) {
            Map<String, Workload> byName = new LinkedHashMap<>();
            workloads().forEach(w -> byName.put(w.name(), w));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String lastName = null;
            Runnable last = null;
            for (String line; (line = in.readLine()) != null; ) {
                String[] parts = line.trim().split("\\s+");
                Workload w = byName.get(parts[0]);
                Map<String, Object> out;
                if (w == null) {
                    out = Map.of("workload", parts[0]);
                } else if (parts.length == 1) {
                    last = w.setup().get();
                    lastName = w.name();
                    out = row(w, time(last, quick));
                } else {
                    out = row(w, medianMs(last, windowNanos(line, parts, lastName), 3));
                }
                System.out.println(Json.line(out));
                System.out.flush();
            }
            return;
        }
        for (Workload w : workloads()) {
            if (!only.matcher(w.name()).find()) {
                continue;
            }
            System.out.println(Json.line(list ? Map.of("workload", w.name()) : row(w, time(w.setup().get(), quick))));
            System.out.flush();
        }
    }

    /** The window of a {@code --serve} line {@code NAME MS}, which must name the workload timed last. */
    private static long windowNanos(String line, String[] parts, String lastName) {
        if (parts.length != 2 || !parts[0].equals(lastName)) {
            throw new IllegalArgumentException("Compare --serve: line '" + line + "': a timing window is NAME MS, for"
                    + " the workload timed last (" + lastName + "); send NAME alone first");
        }
        try {
            long ms = Long.parseLong(parts[1]);
            if (ms > 0) {
                return ms * 1_000_000L;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("Compare --serve: line '" + line + "': the window must be a positive"
                + " number of milliseconds, got " + parts[1]);
    }

    /** One workload's JSON line with its time. */
    private static Map<String, Object> row(Workload w, double ms) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("workload", w.name());
        row.put("ms", ms);
        if (w.flops() > 0) {
            row.put("gflops", w.flops() / ms / 1e6);
        }
        return row;
    }

    static String names() {
        return Arrays.toString(workloads().stream().map(Workload::name).toArray());
    }
}
