#!/usr/bin/python3
"""Side-by-side timing of Jacobi and PyTorch on the same workloads, on this machine.

Optional: the tests never need Python. The peer is Debian's PyTorch with OpenBLAS:

    apt-get install python3-torch libopenblas0-pthread
    /usr/bin/python3 bench/compare.py [--threads 2] [--java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java] [--only REGEX]
                                      [--rounds N] [--interleave ROWS] [--isa native|avx2]

Use Debian's /usr/bin/python3 (a pyenv python first on PATH lacks torch). PyTorch runs twice: with the environment
as it is, and with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, which lets OpenBLAS pick its AVX-512 kernel on this
CPU; the ratio column compares Jacobi with the faster of the two. Jacobi's side is dev.jacobi.bench.Compare from
bench/target/jacobi.jar (build it with ./jacobi or mvn -DskipTests package). Timing is the same on both sides:
warm up for 1.5 s, then the median of runs over 2 s. With --rounds N every side runs N times in turn and each
workload keeps its best round on each side, which evens out the slow spells of a shared machine. With --interleave
ROWS the sides take turns every ROWS rows instead of every whole pass: in each round every side (each JVM, PyTorch)
keeps one process up, and they time the first ROWS rows in turn, then the next ROWS, and so on, so that the two
sides time a row within a minute of each other and a slow spell of the machine falls on both. With
--interleave and more than one round the table adds a paired ratio per JVM: the median over the rounds of that
round's ratio, which compares the sides within each spell rather than each side's best spell. With --interleave 1
--pairs K each row is then also timed K times per round in windows of 300 ms, the sides taking turns after each
window, and the paired ratio is the median of the windows' ratios (the machine's spells can be shorter than a
row's 3.5 s). --isa avx2 limits
both sides to AVX2 (Jacobi: -XX:UseAVX=2, 256-bit vectors; PyTorch: OPENBLAS_CORETYPE=Haswell,
DNNL_MAX_CPU_ISA=AVX2), to measure on an AVX-512 machine what users of AVX2 CPUs get. Jacobi runs with the
launcher's flags (the parallel collector; -XX:+UseTransparentHugePages where Linux gives huge pages on request), and
each row that makes a tensor closes it, as Python frees the result of a + b that nothing keeps, so that both sides
reuse the memory through their allocators. The limit_* rows (Jacobi's side only) are the machine's copy and triad
bandwidth and its FMA peak, measured with plain Vector API loops.
"""
import argparse
import ctypes
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "bench", "target", "jacobi.jar")


def timeit(fn, quick):
    end = time.perf_counter() + (0.2 if quick else 1.5)
    n = 0
    while n < 3 or time.perf_counter() < end:
        fn()
        n += 1
    return median_ms(fn, 0.3 if quick else 2.0, 5)


def median_ms(fn, seconds, least):
    """The median milliseconds of runs of fn over `seconds`, and at least `least` runs."""
    ms = []
    end = time.perf_counter() + seconds
    while len(ms) < least or time.perf_counter() < end:
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    return ms[len(ms) // 2]


def torch_workloads(torch):
    F = torch.nn.functional
    g = torch.Generator().manual_seed(1)
    w = {}

    def randn(*s):
        return torch.randn(*s, generator=g)

    for n in (64, 128, 192, 256, 384, 512, 768, 1024, 2048):
        a, b = randn(n, n), randn(n, n)
        w["gemm_n%d" % n] = (lambda a=a, b=b: a @ b, 2.0 * n ** 3)
    for m, k, n in ((128, 784, 512), (128, 512, 512)):
        x, wt, gy = randn(m, k), randn(k, n), randn(m, n)
        dims, fl = "%dx%dx%d" % (m, k, n), 2.0 * m * k * n
        w["gemm_ab_" + dims] = (lambda x=x, wt=wt: x @ wt, fl)
        w["gemm_atb_" + dims] = (lambda x=x, gy=gy: x.t() @ gy, fl)
        w["gemm_abt_" + dims] = (lambda gy=gy, wt=wt: gy @ wt.t(), fl)
    a, b = randn(1 << 22), randn(1 << 22)
    w["copy_4M"] = (lambda: a.clone(), 0)
    w["add_4M"] = (lambda: a + b, 0)
    w["mul_4M"] = (lambda: a * b, 0)
    w["relu_4M"] = (lambda: torch.relu(a), 0)
    w["exp_4M"] = (lambda: torch.exp(a), 0)
    w["sum_4M"] = (lambda: a.sum(), 0)
    act = randn(64, 32, 28, 28)
    w["sum_dim1_64x32x28x28"] = (lambda: act.sum(1), 0)
    # BatchNorm2d in training mode then ReLU, forward and backward to the input, weight and bias
    bn = torch.nn.BatchNorm2d(32)
    actg, gact = act.clone().requires_grad_(), randn(64, 32, 28, 28)
    w["bn_relu_fwdbwd_64x32x28x28"] = (
        lambda: torch.autograd.grad(torch.relu(bn(actg)), (actg, bn.weight, bn.bias), gact), 0)

    for name, xs, ws in (("ref", (64, 32, 28, 28), (64, 32, 3, 3)), ("mnist", (128, 1, 28, 28), (32, 1, 3, 3)),
                         ("c64", (32, 64, 32, 32), (64, 64, 3, 3))):
        x, k = randn(*xs), randn(*ws)
        w["conv_%s_fwd" % name] = (lambda x=x, k=k: F.conv2d(x, k, padding=1), 0)
        xg, kg = x.clone().requires_grad_(), k.clone().requires_grad_()
        gy = randn(*F.conv2d(x, k, padding=1).shape)

        def fwdbwd(xg=xg, kg=kg, gy=gy):
            y = F.conv2d(xg, kg, padding=1)
            torch.autograd.grad(y, (xg, kg), gy)
        w["conv_%s_fwdbwd" % name] = (fwdbwd, 0)

    # the MNIST first layer's forward at other batch sizes (conv_mnist_fwd is batch 128)
    for batch in (1, 8, 32, 256):
        x, k = randn(batch, 1, 28, 28), randn(32, 1, 3, 3)
        w["conv_mnist_fwd_b%d" % batch] = (lambda x=x, k=k: F.conv2d(x, k, padding=1), 0)

    kern = randn(64, 64, 3, 3)
    w["circ_norm_64x64x3x3_32"] = (
        lambda: torch.linalg.matrix_norm(torch.fft.fft2(kern, s=(32, 32)).permute(2, 3, 0, 1), ord=2).max(), 0)

    # Gram iteration (Delattre et al. 2023), the authors' compute_delattre2023 (lip4conv bounds.py) on the CPU, in
    # float64 as Jacobi's GramIteration, 6 steps on a 64x64x5x5 kernel at n = 12 (the authors' notebook example)
    kern5 = randn(64, 64, 5, 5).double()

    def gram6(kern5=kern5, n=12, n_iter=6):
        cout, cin = kern5.shape[0], kern5.shape[1]
        ct = torch.fft.rfft2(kern5, s=(n, n)).reshape(cout, cin, -1).permute(2, 0, 1)
        log_curr = torch.zeros(ct.shape[0], dtype=torch.float64)
        inv = 1.0
        for _ in range(n_iter):
            nrm = ct.norm(dim=(1, 2))
            ct = ct / nrm.reshape(-1, 1, 1)
            log_curr = 2 * log_curr + nrm.log()
            ct = torch.bmm(ct.conj().transpose(1, 2), ct)
            inv /= 2
        return (ct.norm(dim=(1, 2)).pow(inv) * (2 * inv * log_curr).exp()).max()
    w["gram6_64x64x5x5_12"] = (gram6, 0)
    # the same over channels and input sizes (issue #28's grid: 16 to 256 channels, 16x16 to 64x64 inputs), 3x3
    for c, n in ((16, 16), (16, 64), (64, 32), (256, 32)):
        k3 = randn(c, c, 3, 3).double()
        w["gram6_%dx%dx3x3_%d" % (c, c, n)] = ((lambda k3=k3, n=n: gram6(k3, n, 6)), 0)

    # the zero-padding bound (Delattre et al. 2024), the authors' compute_spectral_rescaling_conv, 3 steps
    def zeropad(kern, n_iter=3):
        kkt = kern
        log_curr = 0
        for _ in range(n_iter):
            nrm = kkt.norm()
            kkt = kkt / nrm
            log_curr = 2 * (log_curr + nrm.log())
            kkt = F.conv2d(kkt, kkt, padding=kkt.shape[-1] - 1)
        inv = 2.0 ** -n_iter
        return (kkt.abs().sum(dim=(1, 2, 3)).pow(inv) * torch.exp(log_curr * inv)).max()
    for c in (16, 64):
        kz = randn(c, c, 3, 3).double()
        w["zeropad3_%dx%dx3x3" % (c, c)] = ((lambda kz=kz: zeropad(kz)), 0)

    # MLP 784-512-512-10, batch 128, softmax cross-entropy
    x = torch.rand(128, 784, generator=g)
    y = torch.randint(0, 10, (128,), generator=g)
    dims = (784, 512, 512, 10)
    params = []
    for i in range(3):
        params += [(randn(dims[i], dims[i + 1]) * (2.0 / dims[i]) ** 0.5).requires_grad_(),
                   torch.zeros(dims[i + 1], requires_grad=True)]
    vs = [randn(*p.shape) for p in params]
    xdir = randn(128, 784)

    def mlp_loss(inp):
        h = inp
        for i in range(3):
            h = h @ params[2 * i] + params[2 * i + 1]
            if i < 2:
                h = torch.relu(h)
        return F.cross_entropy(h, y)

    w["mlp_grad"] = (lambda: torch.autograd.grad(mlp_loss(x), params), 0)

    def mlp_hvp():
        # the gradients differentiated again with v as their cotangents, as Jacobi's Mlp.hvp does
        gs = torch.autograd.grad(mlp_loss(x), params, create_graph=True)
        torch.autograd.grad(gs, params, grad_outputs=vs)
    w["mlp_hvp"] = (mlp_hvp, 0)

    def power10():
        xi = x.clone().requires_grad_()
        gx, = torch.autograd.grad(mlp_loss(xi), xi, create_graph=True)
        v = xdir
        for _ in range(10):
            hv, = torch.autograd.grad((gx * v).sum(), xi, retain_graph=True)
            v = hv / (hv.norm() + 1e-12)
    w["mlp_input_hessian_power10"] = (power10, 0)

    cnn_r = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Flatten(), torch.nn.Linear(3136, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    ropt = torch.optim.SGD(cnn_r.parameters(), lr=0.01, momentum=0.9)
    xr = torch.rand(128, 1, 28, 28, generator=g)

    def cnn_step_gradl2():
        ropt.zero_grad()
        xi = xr.clone().requires_grad_()
        losses = F.cross_entropy(cnn_r(xi), y, reduction="none")
        gx, = torch.autograd.grad(losses.sum(), xi, create_graph=True)
        (losses.mean() + 0.1 * gx.pow(2).sum() / xi.shape[0]).backward()
        ropt.step()
    w["cnn_step_gradl2"] = (cnn_step_gradl2, 0)

    def cnn_step_hessian():
        ropt.zero_grad()
        loss = F.cross_entropy(cnn_r(xr), y)
        xs = xr[:32].clone().requires_grad_()
        gx, = torch.autograd.grad(F.cross_entropy(cnn_r(xs), y[:32], reduction="sum"), xs, create_graph=True)
        dims = (1, 2, 3)
        v = gx.detach() / gx.detach().pow(2).sum(dim=dims, keepdim=True).sqrt().clamp_min(1e-30)
        for _ in range(5):
            hv, = torch.autograd.grad((gx * v).sum(), xs, retain_graph=True)
            v = hv / hv.pow(2).sum(dim=dims, keepdim=True).sqrt().clamp_min(1e-30)
        hv, = torch.autograd.grad((gx * v).sum(), xs, create_graph=True)
        pen = (v * hv).sum(dim=dims).abs().mean()
        (loss + 0.1 * pen).backward()
        ropt.step()
    w["cnn_step_hessian"] = (cnn_step_hessian, 0)

    model = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                                torch.nn.ReLU(), torch.nn.Linear(512, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def sgd_step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    w["mlp_sgd_step"] = (sgd_step, 0)

    def sgd_step_gradpen():
        opt.zero_grad()
        xi = x.clone().requires_grad_()
        loss = F.cross_entropy(model(xi), y)
        gx, = torch.autograd.grad(loss, xi, create_graph=True)
        (loss + 0.1 * gx.pow(2).sum()).backward()
        opt.step()
    w["mlp_sgd_step_gradpen"] = (sgd_step_gradpen, 0)

    w["cnn_sgd_step"] = (cnn_training(torch, g, y), 0)
    w["cnn_bn_sgd_step"] = (cnn_training(torch, g, y, batch_norm=True), 0)
    return w


def cnn_training(torch, g, y, batch_norm=False):
    """The comparison's CNN SGD step (batch 128, lr 0.01, momentum 0.9), as a function; with batch_norm, a
    BatchNorm2d after each convolution (before its ReLU), as Jacobi's cnn_bn_sgd_step."""
    F = torch.nn.functional
    nn = torch.nn

    def bn(c):
        return [nn.BatchNorm2d(c)] if batch_norm else []
    cnn = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), *bn(32), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3, padding=1), *bn(64), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    copt = torch.optim.SGD(cnn.parameters(), lr=0.01, momentum=0.9)
    xc = torch.rand(128, 1, 28, 28, generator=g)

    def cnn_step():
        copt.zero_grad()
        F.cross_entropy(cnn(xc), y).backward()
        copt.step()
    return cnn_step


def memory_worker(args):
    """PyTorch's side of --memory: the CNN step 20 times, then 200 timed, and the process's peak resident set."""
    import resource
    import torch
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    step = cnn_training(torch, g, torch.randint(0, 10, (128,), generator=g))
    for _ in range(20):
        step()
    t0 = time.perf_counter()
    for _ in range(200):
        step()
    print(json.dumps({"memory": {"steps": 200, "ms_per_step": (time.perf_counter() - t0) * 5,
                                 "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3}}))


def openblas_info():
    for lib in ("libopenblas.so.0", "libopenblasp-r0.3.21.so"):
        try:
            ob = ctypes.CDLL(lib)
            ob.openblas_get_corename.restype = ctypes.c_char_p
            ob.openblas_get_config.restype = ctypes.c_char_p
            return "%s, %d threads (%s)" % (ob.openblas_get_corename().decode(), ob.openblas_get_num_threads(),
                                            ob.openblas_get_config().decode())
        except (OSError, AttributeError):
            continue
    return "unknown"


def torch_worker(args):
    import torch
    torch.set_num_threads(args.threads)
    env = {"torch": torch.__version__, "torch_threads": torch.get_num_threads(), "openblas": openblas_info(),
           "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
           "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", "(unset)")}
    torch.randn(64, 64) @ torch.randn(64, 64)
    blas = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l})
    env["blas_libraries"] = ", ".join(blas)
    print(json.dumps({"env": env}), flush=True)
    w = torch_workloads(torch)
    if args.serve:  # names from stdin, one per line, each timed as it comes (--interleave); "NAME MS": a window
        for line in sys.stdin:
            name, *window = line.split() or [""]
            if name not in w:
                rec = {"workload": name}
            elif window:
                rec = {"workload": name, "ms": median_ms(w[name][0], float(window[0]) / 1e3, WINDOW_RUNS)}
            else:
                rec = {"workload": name, "ms": timeit(w[name][0], args.quick)}
            print(json.dumps(rec), flush=True)
        return
    for name, (fn, fl) in w.items():
        if re.search(args.only, name):
            print(json.dumps({"workload": name, "ms": timeit(fn, args.quick)}), flush=True)


def interleaved(sides, names, rows, pairs=0):
    """One round with the sides taking turns every `rows` rows: each side's process (cmd --serve) stays up for the
    round and times the rows it is sent. With pairs (and rows = 1), each row is then timed `pairs` more times in
    short windows, the sides taking turns after each window. Returns (meta, results, windows) per side, as collect
    does, windows being each row's list of window times."""
    procs = [subprocess.Popen(cmd + ["--serve"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) for cmd, env in sides]
    try:
        metas = [json.loads(p.stdout.readline())["env"] for p in procs]
        results = [{} for _ in procs]
        windows = [{} for _ in procs]

        def ask(side, request):
            p = procs[side]
            p.stdin.write(request + "\n")
            p.stdin.flush()
            line = p.stdout.readline()
            if not line:
                sys.exit("compare.py: %s ended at workload %s (exit code %s)" % (sides[side][0][0], request, p.wait()))
            return json.loads(line).get("ms")

        for g in range(0, len(names), rows):
            for side, res in enumerate(results):
                for name in names[g:g + rows]:
                    ms = ask(side, name)
                    if ms is not None:
                        res[name] = ms
            for _ in range(pairs):
                name = names[g]
                for side, win in enumerate(windows):
                    if name in results[side]:
                        win.setdefault(name, []).append(ask(side, "%s %d" % (name, WINDOW_MS)))
        return list(zip(metas, results, windows))
    finally:
        for p in procs:
            p.stdin.close()
            p.wait()


# --pairs: each window times a row for this long, and at least this many runs
WINDOW_MS = 300
WINDOW_RUNS = 3


def collect(cmd, env=None):
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
    res, meta = {}, {}
    for line in out.splitlines():
        rec = json.loads(line)
        if "env" in rec:
            meta = rec["env"]
        else:
            res[rec["workload"]] = rec.get("ms")  # none with Compare --list
    return meta, res, {}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--java", action="append", help="java executable(s) to run Jacobi with (default: java on PATH)")
    p.add_argument("--only", default=".", help="regex of workload names")
    p.add_argument("--quick", action="store_true", help="short timing windows (smoke run)")
    p.add_argument("--rounds", type=int, default=1,
                   help="run every side this many times, one after the other, and keep each workload's best round "
                        "(the same for both sides; steadier when the machine has slow spells)")
    p.add_argument("--interleave", type=int, default=0, metavar="ROWS",
                   help="let the sides take turns every ROWS rows (one process per side and round, as without it), "
                        "so that both sides time a row at nearly the same time; 0 (the default): every side runs "
                        "all rows before the next side starts")
    p.add_argument("--pairs", type=int, default=0, metavar="K",
                   help="with --interleave 1: after its full timing, time each row K more times in windows of %d ms, "
                        "the sides taking turns after each window, and give the median of the windows' ratios as "
                        "the paired ratio (and each further JVM's time over the first's)" % WINDOW_MS)
    p.add_argument("--isa", choices=("native", "avx2"), default="native",
                   help="native: each side picks its widest vectors; avx2: both sides limited to AVX2 (Jacobi with "
                        "-XX:UseAVX=2, so 256-bit vectors; PyTorch with OPENBLAS_CORETYPE=Haswell and "
                        "DNNL_MAX_CPU_ISA=AVX2), which measures the AVX2 path on an AVX-512 machine")
    p.add_argument("--memory", action="store_true",
                   help="instead of the timings: the memory of 200 CNN training steps on each side (allocation per "
                        "step and per second, heap, peak resident set)")
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--memory-worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_worker:
        return torch_worker(args)
    if args.memory_worker:
        return memory_worker(args)
    if not os.path.exists(JAR):
        sys.exit("compare.py: %s is missing; build it with ./jacobi or mvn -DskipTests package" % JAR)
    common = ["--threads", str(args.threads), "--only", args.only] + (["--quick"] if args.quick else [])
    if args.rounds < 1:
        sys.exit("compare.py: --rounds must be at least 1, got %d" % args.rounds)
    if args.interleave < 0:
        sys.exit("compare.py: --interleave must be 0 (off) or a number of rows, got %d" % args.interleave)
    if args.pairs < 0 or (args.pairs and args.interleave != 1):
        sys.exit("compare.py: --pairs K needs K >= 0 and --interleave 1 (got --pairs %d, --interleave %d)" % (
            args.pairs, args.interleave))
    javas = args.java or ["java"]
    worker = [sys.executable, os.path.abspath(__file__), "--torch-worker"] + common
    # OpenBLAS keeps its own thread pool, which torch.set_num_threads does not limit
    threads_env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    fast_env = {k: v for k, v in threads_env.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    # the launcher's flags (./jacobi): the parallel collector, arrays on 64-byte lines, and huge pages where Linux
    # gives them on request
    java_flags = ["-XX:+UseParallelGC", "-XX:ObjectAlignmentInBytes=64"]
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            if "[madvise]" in f.read():
                java_flags.append("-XX:+UseTransparentHugePages")
    except OSError:
        pass
    if args.isa == "avx2":
        java_flags.append("-XX:UseAVX=2")
        threads_env = dict(threads_env, OPENBLAS_CORETYPE="Haswell", DNNL_MAX_CPU_ISA="AVX2")
        fast_env = None  # the environment is fixed: no second PyTorch run with OpenBLAS's own choice
    if args.memory:
        return memory(args, javas, java_flags, threads_env)
    java_res, java_meta = [{} for _ in javas], [{} for _ in javas]
    torch_default, torch_fast = {}, {}
    # PyTorch's faster time of each row over each JVM's, per window (--pairs) or per round, for the paired ratio
    paired = [{} for _ in javas]
    jdk_paired = [{} for _ in javas]  # each further JVM's time of a row over the first JVM's, paired likewise

    def keep_best(best, res):
        for k, v in res.items():
            best[k] = min(v, best.get(k, v))

    def jacobi(java, extra=()):
        return [java] + java_flags + ["--add-modules", "jdk.incubator.vector", "-cp", JAR,
                                     "dev.jacobi.bench.Compare"] + common + list(extra)

    names = []
    if args.interleave:
        # Jacobi's names, in its order (PyTorch has no row that Jacobi lacks)
        names = list(collect(jacobi(javas[0], ["--list"]))[1])
        if not names:
            sys.exit("compare.py: no workload matches --only %s" % args.only)
    sides = [(jacobi(java), None) for java in javas] + [(worker, threads_env)] + \
        ([(worker, fast_env)] if fast_env is not None else [])
    for _ in range(args.rounds):
        if args.interleave:
            runs = interleaved(sides, names, args.interleave, args.pairs)
        else:
            runs = [collect(cmd, env) for cmd, env in sides]
        for i in range(len(javas)):
            java_meta[i] = runs[i][0]
            keep_best(java_res[i], runs[i][1])
        meta_d = runs[len(javas)][0]
        keep_best(torch_default, runs[len(javas)][1])
        if fast_env is not None:
            meta_f = runs[-1][0]
            keep_best(torch_fast, runs[-1][1])
        # the times paired up: the windows' (--pairs), else this round's; PyTorch's faster side in each
        at = (lambda r, n: r[2].get(n, [])) if args.pairs else (lambda r, n: [r[1][n]] if n in r[1] else [])
        for n in runs[len(javas)][1]:
            torch_ms = [min(t) for t in zip(*(at(r, n) for r in runs[len(javas):]))]
            for i in range(len(javas)):
                paired[i].setdefault(n, []).extend(t / j for t, j in zip(torch_ms, at(runs[i], n)))
        for n in runs[0][1]:
            for i in range(1, len(javas)):
                jdk_paired[i].setdefault(n, []).extend(j / j0 for j, j0 in zip(at(runs[i], n), at(runs[0], n)))
    columns, envs = [], []
    for meta, res in zip(java_meta, java_res):
        columns.append(("Jacobi JDK " + meta.get("jdk", "?").split("+")[0], res))
        envs.append("Jacobi: JDK %s, %s, %s threads, %s" % (meta.get("jdk"), meta.get("simd"), meta.get("threads"),
                                                            " ".join(java_flags)))
    runs = [("AVX2: OPENBLAS_CORETYPE=Haswell, DNNL_MAX_CPU_ISA=AVX2", meta_d)] if fast_env is None else \
        [("as is", meta_d), ("OPENBLAS_CORETYPE/L2_SIZE unset", meta_f)]
    for label, meta in runs:
        envs.append("PyTorch %s (%s): %s threads, OpenBLAS %s, OPENBLAS_CORETYPE=%s, OPENBLAS_L2_SIZE=%s, BLAS %s" % (
            meta.get("torch"), label, meta.get("torch_threads"), meta.get("openblas"), meta.get("OPENBLAS_CORETYPE"),
            meta.get("OPENBLAS_L2_SIZE"), meta.get("blas_libraries")))
    if args.rounds > 1:
        envs.append("best of %d rounds per workload and side" % args.rounds)
    if args.interleave:
        envs.append("sides taking turns every %d rows" % args.interleave)
    print("\n".join("- " + e for e in envs))
    print()
    # with turns, a row's times on both sides in one round (or one turn of windows) are seconds apart: the median of
    # their ratios compares the sides within each spell of the machine, not their best spells
    pair = args.interleave and (args.rounds > 1 or args.pairs)
    head = ["workload"] + [c[0] + " ms" for c in columns] + ["PyTorch best ms", "PyTorch env as is ms"] + \
        ["ratio " + c[0] for c in columns] + (["paired ratio " + c[0] for c in columns] if pair else []) + \
        (["paired time %s / %s" % (c[0], columns[0][0]) for c in columns[1:]] if pair else [])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    names = list(dict.fromkeys(list(torch_default) + [n for _, r in columns for n in r]))
    for n in names:
        best = min([v for v in (torch_default.get(n), torch_fast.get(n)) if v is not None], default=None)
        row = [n] + ["%.3f" % c[1][n] if n in c[1] else "-" for c in columns]
        row += ["%.3f" % best if best else "-", "%.3f" % torch_default[n] if n in torch_default else "-"]
        row += ["%.2fx" % (best / c[1][n]) if best and n in c[1] else "-" for c in columns]
        if pair:
            row += ["%.2fx" % statistics.median(p[n]) if p.get(n) else "-" for p in paired]
            row += ["%.2f" % statistics.median(p[n]) if p.get(n) else "-" for p in jdk_paired[1:]]
        print("| " + " | ".join(row) + " |")
    print("\nratio = PyTorch's best time / Jacobi's time: above 1 means Jacobi is faster.")
    if pair and args.pairs:
        print("paired ratio = the median over the %d windows of %d ms per round (%d rounds) of each window's ratio "
              "(PyTorch's faster time / Jacobi's), the sides taking turns after each window; paired time = the "
              "median of a JVM's window time over the first JVM's, likewise." % (args.pairs, WINDOW_MS, args.rounds))
    elif pair:
        print("paired ratio = the median over the rounds of that round's ratio (PyTorch's faster time in the round /"
              " Jacobi's), both sides' times of a row in a round being taken seconds to a minute apart; paired time ="
              " the median over the rounds of a JVM's time over the first JVM's.")


def memory(args, javas, java_flags, torch_env):
    """Prints the memory of the CNN training run on each side as a table."""
    rows = []
    for java in javas:
        version = subprocess.run([java, "-version"], stderr=subprocess.PIPE, text=True).stderr.split('"')[1]
        # the JVM's default heap (a quarter of the RAM) grows as it likes; 256 MB is what the run needs
        for heap in ([], ["-Xmx256m"]):
            out = subprocess.run([java] + java_flags + heap + ["--add-modules", "jdk.incubator.vector", "-cp", JAR,
                                                               "dev.jacobi.bench.MemoryProbe", "--threads",
                                                               str(args.threads)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
            rows.append(("Jacobi JDK %s%s" % (version, (", " + heap[0]) if heap else ", default heap"),
                         json.loads(out.strip().splitlines()[-1])["memory"]))
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-worker", "--threads",
                          str(args.threads)], env=torch_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, check=True).stdout
    rows.append(("PyTorch", json.loads(out.strip().splitlines()[-1])["memory"]))
    print("CNN SGD step (batch 128), 200 steps after 20 of warm-up, %d threads; Jacobi: %s" % (
        args.threads, " ".join(java_flags)))
    print()
    keys = ["ms_per_step", "alloc_mb_per_step", "alloc_mb_per_s", "heap_pools_peak_mb", "heap_committed_mb",
            "cache_mb", "peak_rss_mb"]
    print("| side | " + " | ".join(keys) + " |")
    print("|" + "---|" * (len(keys) + 1))
    for name, m in rows:
        print("| %s | " % name + " | ".join("%.1f" % m[k] if k in m else "-" for k in keys) + " |")


if __name__ == "__main__":
    main()
