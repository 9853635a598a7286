"""NumPy vs torch speed, forward + backward, measured side by side in one process.

Each case alternates one NumPy run and one torch run (so both see the same machine state), takes
medians over ``repeat`` rounds after a warm-up, and prints the ratio NumPy/torch and whether it
meets its target. Not a test: timings vary. The ``parity bench`` command.

The header names what the numbers were measured on: the CPU and its SIMD level, NumPy's BLAS and
the kernel it chose, torch's BLAS and oneDNN, thread counts, and the machine's measured copy
bandwidth (the floor of any case bound by memory traffic). ``--json F`` writes the header and every
row; ``--markdown F [F ...]`` turns one or more such files into the README's speed table (ranges
over the files). Training-step rows also report NumPy's peak extra allocation per step
(tracemalloc) against the size of the step's activations.
"""
import json
import platform
import re
import statistics
import time
import tracemalloc

import numpy as np
import torch

import numpy_impl as ni
import numpy_impl.optim as no
from numpy_impl import losses
from numpy_impl.losses import softmax_loss
from numpy_impl.models import build_model
from torch_ref import mirror
from torch_ref.models import l2_penalty, model_loss
from numpy_impl.atomic import atomic_write
from torch_ref.optim import mirror_optimizer

from .. import LOADED_BEFORE, SPIN_SETTINGS
from ..options import UsageError, count, input_file, output_path

# name, layer factory (dtype -> layer), input shape, {dtype: target ratio or None}
LAYERS = [
    ("Conv2d 16->32 3x3 p1 (64,16,28,28)", lambda d: ni.Conv2d(16, 32, 3, padding=1, rng=0, dtype=d),
     (64, 16, 28, 28), {"float64": 1.0, "float32": 2.0}),
    ("Conv2d 3->32 3x3 p1 (128,3,32,32)", lambda d: ni.Conv2d(3, 32, 3, padding=1, rng=0, dtype=d),
     (128, 3, 32, 32), {"float64": 1.3, "float32": 1.3}),
    ("MaxPool2d 2x2 (64,32,28,28)", lambda d: ni.MaxPool2d(2), (64, 32, 28, 28), {"float64": 1.0, "float32": 1.0}),
    ("Linear 784->256 (256,784)", lambda d: ni.Linear(784, 256, rng=0, dtype=d), (256, 784),
     {"float64": 1.2, "float32": 1.2}),
    ("BatchNorm2d 32 (64,32,28,28)", lambda d: ni.BatchNorm2d(32, dtype=d), (64, 32, 28, 28),
     {"float64": 1.5, "float32": 1.5}),
    ("BatchNorm1d 512 (128,512)", lambda d: ni.BatchNorm1d(512, dtype=d), (128, 512),
     {"float64": 1.5, "float32": 1.5}),
    ("LayerNorm 256 (64,64,256)", lambda d: ni.LayerNorm(256, dtype=d), (64, 64, 256),
     {"float64": 1.5, "float32": 1.5}),
    ("Dropout p=0.3 (128,512)", lambda d: ni.Dropout(0.3, rng=0), (128, 512), {"float64": None, "float32": None}),
]
# softmax cross-entropy: (N, C)
LOSSES = [("softmax CE (128,10)", (128, 10), 1.0), ("softmax CE (512,1000)", (512, 1000), 1.0)]
# One training step (forward, loss, backward, optimizer) of each preset; the batch size, optimizer,
# lr and reg are those of ``parity_tests/lab/presets.py`` (the gate does not import the lab; a test
# in the suite holds the two equal).
STEPS = [
    # kind, sample shape, batch size, optimizer name, lr, momentum, reg, target
    ("softmax", (784,), 128, "momentum", 0.1, 0.9, 1e-5, 1.0),
    ("mlp", (784,), 128, "adam", 1e-3, 0.0, 0.0, 1.0),
    ("conv", (1, 28, 28), 64, "adam", 1e-3, 0.0, 0.0, 1.3),
]
DTYPES = ("float64", "float32")


# -- the machine ----------------------------------------------------------------------------------
def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _simd_level():
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:                                   # NumPy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as feats
    for name in ("AVX512_SPR", "AVX512_ICL", "AVX512_SKX", "AVX512F", "AVX2", "AVX", "SSE42", "ASIMD", "NEON"):
        if feats.get(name):
            return name
    return "baseline"


def _numpy_blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"internal_api": "unknown (pip install threadpoolctl)"}
    for info in threadpool_info():
        if info.get("user_api") == "blas" and "numpy" in info.get("filepath", ""):
            return {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads",
                                              "threading_layer")}
    return {"internal_api": "not found"}


def _torch_blas():
    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=([^,\s]+)", config)
    blas = found.group(1) if found else "unknown"
    return {"blas": blas, "mkldnn": bool(torch.backends.mkldnn.is_available()),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "num_threads": torch.get_num_threads()}


def copy_bandwidth(mbytes=64, repeat=5):
    """The machine's measured memory bandwidth in bytes/s: best of ``repeat`` copies of an array of
    ``mbytes`` MB (bytes read + bytes written), well beyond the caches."""
    src = np.ones(mbytes * 2 ** 20 // 8)
    dst = np.empty_like(src)
    best = min(_time(lambda: np.copyto(dst, src)) for _ in range(repeat))
    return 2 * src.nbytes / best


def header(bandwidth=True):
    import os
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": _cpu_model(),
            "cores": os.cpu_count(), "simd": _simd_level(), "python": platform.python_version(),
            "numpy": np.__version__, "numpy_blas": _numpy_blas(), "torch": torch.__version__,
            "torch_blas": _torch_blas(), "spin": {k: os.environ.get(k) for k in SPIN_SETTINGS},
            "loaded_before_settings": LOADED_BEFORE,
            "copy_bandwidth_gbs": round(copy_bandwidth() / 1e9, 2) if bandwidth else None}


def format_header(h):
    nb, tb = h["numpy_blas"], h["torch_blas"]
    bw = f"; measured copy bandwidth {h['copy_bandwidth_gbs']} GB/s" if h.get("copy_bandwidth_gbs") else ""
    return (f"{h['cpu']} ({h['cores']} cores, SIMD {h['simd']}){bw}\n"
            f"NumPy {h['numpy']}: BLAS {nb.get('internal_api')} {nb.get('version') or ''} kernel "
            f"{nb.get('architecture')}, {nb.get('num_threads')} threads\n"
            f"torch {h['torch']}: BLAS {tb['blas']}, oneDNN {'on' if tb['mkldnn'] else 'off'}, "
            f"CPU capability {tb['cpu_capability']}, {tb['num_threads']} threads" + _spin_line(h))


def _spin_line(h):
    spin = h.get("spin")
    if not spin:                                   # a JSON file written before the settings existed
        return ""
    line = "\nidle threads' spin: " + ", ".join(f"{k}={v}" for k, v in spin.items())
    if h.get("loaded_before_settings"):
        line += (f" (NOT applied: {' and '.join(h['loaded_before_settings'])} was imported before parity_tests; "
                 "the ratios include the other library's spinning threads)")
    return line


# -- timing ---------------------------------------------------------------------------------------
CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}


def _time(fn, clock=time.perf_counter):
    t0 = clock()
    fn()
    return clock() - t0


def interleave(run_numpy, run_torch, repeat=7, warmup=2, clock="wall", floor=None):
    """Medians (and minima) in ms of ``repeat`` alternating rounds after ``warmup``. ``clock="cpu"``
    counts the process's CPU time (all its threads) instead of wall time: robust to other processes
    on a busy machine, and equal to the wall time with one thread. ``floor`` (a callable: the NumPy
    passes the case needs at least) runs in the same rounds, each of its runs after a torch run as
    each NumPy run is (numpy, torch, floor, torch): ``passes_row_ms`` is its best run (a floor takes
    the best run: a slow round must not raise a target). ``torch_ms`` counts the torch runs after
    NumPy's only, as in a row without a floor."""
    tn, tt, tf = [], [], []
    c = CLOCK[clock]
    for i in range(warmup + repeat):
        times = [_time(run_numpy, c), _time(run_torch, c)]
        if floor is not None:
            times += [_time(floor, c), _time(run_torch, c)]
        if i >= warmup:
            tn.append(times[0])
            tt.append(times[1])
            tf += times[2:3]
    out = {"numpy_ms": statistics.median(tn) * 1e3, "torch_ms": statistics.median(tt) * 1e3,
           "numpy_min_ms": min(tn) * 1e3, "torch_min_ms": min(tt) * 1e3}
    if tf:
        out["passes_row_ms"] = min(tf) * 1e3
    return out


def layer_runners(factory, shape, dtype):
    rng = np.random.default_rng(0)
    layer = factory(np.dtype(dtype))
    module = mirror(layer, dtype).module
    x = rng.standard_normal(shape).astype(dtype)
    out = layer.forward(x)
    g = rng.standard_normal(out.shape).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    gt = torch.tensor(g)

    def run_numpy():
        layer.forward(x, training=True)
        layer.backward(g)

    def run_torch():
        xt.grad = None
        module(xt).backward(gt)

    return layer, run_numpy, run_torch


def loss_runners(shape, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.integers(0, shape[1], shape[0])
    xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(y)

    def run_torch():
        xt.grad = None
        torch.nn.functional.cross_entropy(xt, yt).backward()

    return lambda: softmax_loss(x, y), run_torch


def _optimizer(name, params, lr, momentum):
    if name == "momentum":
        return no.SGD(params, lr=lr, momentum=momentum)
    return no.OPTIMIZERS[name](params, lr=lr)


def step_runners(kind, sample, batch, opt_name, lr, momentum, reg, dtype):
    """One training step of ``kind``, NumPy and torch (forward, loss, backward, optimizer)."""
    rng = np.random.default_rng(0)
    model = build_model(kind, sample, 10, reg=reg, seed=0, dtype=dtype)
    opt = _optimizer(opt_name, model.named_parameters(), lr, momentum)
    m = mirror(model, dtype)
    tparams = dict(m.module.named_parameters())
    topt = mirror_optimizer(opt, {k: tparams[p.torch_name] for k, p in m.params.items()})
    x = rng.standard_normal((batch,) + tuple(sample)).astype(dtype)
    y = rng.integers(0, 10, batch)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def run_numpy():
        _, grads = model.loss(x, y)
        opt.step(grads)

    def run_torch():
        topt.zero_grad()
        loss = model_loss(model, m.module(xt), yt) + l2_penalty(model, m.module)
        loss.backward()
        topt.step()

    return model, x, run_numpy, run_torch


def activation_bytes(model, x):
    """Bytes of every layer's output in one training forward (what backward may keep)."""
    total = 0
    for layer in model.layers:
        x = layer.forward(x, training=True)
        total += x.nbytes
    return total


def peak_alloc(run, warmup=1):
    """Peak bytes NumPy allocates during one ``run()`` beyond what was held before it (tracemalloc)."""
    for _ in range(warmup):
        run()
    tracemalloc.start()
    try:
        run()                        # the caches of the previous step are replaced once
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def gemm_shapes(layer, shape):
    """The (m, k, n) of the three matrix products a forward+backward of ``layer`` on ``shape`` does
    (forward, weight gradient, input gradient), or None for a layer without them."""
    if isinstance(layer, ni.Linear):
        n, d = shape
        return [(n, d, layer.out_features), (d, n, layer.out_features), (n, layer.out_features, d)]
    if isinstance(layer, ni.Conv2d) and layer.stride == (1, 1):
        n, c, h, w = shape
        kk = c * layer.kernel_size[0] * layer.kernel_size[1]
        m = n * h * w                                     # "same" padding: output size = input size
        f, ones = layer.out_channels, int("b" in layer.params)   # the bias rides as a row of ones
        return [(f, kk + ones, m), (f, m, kk + ones), (kk, f, m)]
    return None


def gemm_time(shapes, dtype, repeat=5, clock="wall"):
    """Best time (ms) of ``repeat`` runs of NumPy doing just these matrix products: what its BLAS alone
    costs. A floor takes the best run, not the median: a slow round must not raise a target."""
    rng = np.random.default_rng(0)
    pairs = [(rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype))
             for m, k, n in shapes]
    c = CLOCK[clock]
    _time(lambda: [a @ b for a, b in pairs], c)
    return min(_time(lambda: [a @ b for a, b in pairs], c) for _ in range(repeat)) * 1e3


def conv_traffic(n, c, h, w, f, itemsize, k=3, pad=1, bias=False):
    """Bytes NumPy's im2col Conv2d (stride 1) must move per forward+backward: the (C*k*k, N*H*W) column
    buffer (one more row of ones with a bias) is written and read by the forward matmul, read again
    for dW, its gradient (without the ones) written and read back by col2im, which reads and writes
    the padded input gradient k*k times."""
    row = n * h * w * itemsize
    cols = c * k * k * row
    padded = n * c * (h + 2 * pad) * (w + 2 * pad) * itemsize
    return 5 * cols + 3 * row * bool(bias) + 2 * k * k * padded


# Cases bound by elementwise work: the passes their formula needs at least when every NumPy call is
# one pass (NumPy cannot fuse them; torch runs one or two fused kernels), by the kind of NumPy call,
# over the input viewed as rows of ``row`` values (the rows the statistics run along), on the blocks
# the layer uses. Kinds: "same" a * c (two arrays of the input's shape), "col" a * s[:, None] (one
# scalar per row), "row" a * v[None, :] (one value per column), "exp", "rowsum" (one sum per row, the
# fastest NumPy has: a BLAS dot with ones), "colsum" (one sum per column). Elementwise passes run
# unbuffered along rows where the layers do (rows.unbuffered).
# The passes come in stages, in the order the data forces: a stage needs the whole result of the one
# before (the backward runs after the forward has returned; BatchNorm normalises only once the whole
# batch is summed), so each stage sweeps every block before the next begins.
# LayerNorm forward: row mean, centre, row variance, normalise, x gamma, + beta | backward: dbeta,
# dgamma, dxhat = dout x gamma, its row sum, its row dot with xhat, xhat x k, subtract, - c, x invstd.
# BatchNorm2d (rows: one (sample, channel) plane): row sums | centre, row dot | x scale, + beta |
# backward: row sums, row dot | xc x k, subtract from dout, - c, x scale.
# Softmax CE (forward and backward in one call): exp, row sum, scale (``softmax_loss`` subtracts a
# row's max only for rows past exp's range; the bench's scores are not).
PASSES = {"LayerNorm 256 (64,64,256)": (256, ({"rowsum": 2, "col": 2, "row": 2},
                                              {"rowsum": 2, "colsum": 2, "col": 3, "row": 1, "same": 1}),
                                        ni.LayerNorm.block_bytes),
          "BatchNorm2d 32 (64,32,28,28)": (784, ({"rowsum": 1}, {"col": 1, "rowsum": 1}, {"col": 2}, {"rowsum": 2},
                                                 {"col": 3, "same": 1}), ni.BatchNorm2d.block_bytes),
          "softmax CE (512,1000)": (1000, ({"exp": 1, "rowsum": 1, "col": 1},), losses.BLOCK_BYTES)}


def _stages(passes):
    """``passes`` as a tuple of stages: one ``{kind: count}`` dict is one stage."""
    return (passes,) if isinstance(passes, dict) else tuple(passes)


def passes_text(passes):
    return " | ".join(" + ".join(f"{k} {n}" for k, n in stage.items()) for stage in _stages(passes))


def passes_runner(shape, dtype, row, passes, block_bytes=1 << 20):
    """A callable making ``passes`` (``{kind: count}``, kinds as in ``PASSES``, or a sequence of such
    stages) over an input of ``shape`` viewed as rows of ``row`` values, run as the layers run theirs:
    blocks of rows spread over threads (numpy_impl.parallel), every pass of a stage over a block
    before the next block, so a block stays in cache; each stage over all blocks before the next.
    Each pass reads distinct arrays and writes a third (``a * a`` would be a cheaper square)."""
    from numpy_impl import parallel, rows
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(dtype).reshape(-1, row)
    c, out = a + 1, np.empty_like(a)
    s, v = c[:, :1].copy(), c[0].copy()
    kinds = {"same": lambda b: np.multiply(a[b], c[b], out=out[b]),
             "col": lambda b: np.multiply(a[b], s[b], out=out[b]),
             "row": lambda b: np.multiply(a[b], v, out=out[b]),
             "exp": lambda b: np.exp(a[b], out=out[b]),
             "rowsum": lambda b: rows.rowsum(a[b]),
             "colsum": lambda b: a[b].sum(axis=0)}
    stages = _stages(passes)
    unknown = set().union(*stages) - set(kinds)
    if unknown:
        raise ValueError(f"bench passes: unknown pass kind(s) {sorted(unknown)}; known: {sorted(kinds)}")
    reductions = ("rowsum", "colsum")

    def stage_fn(stage):
        calls = [kinds[k] for k, n in stage.items() if k not in reductions for _ in range(n)]
        sums = [kinds[k] for k, n in stage.items() if k in reductions for _ in range(n)]

        def block(b):                               # elementwise passes as the layers run them
            with rows.unbuffered(a):
                for call in calls:
                    call(b)
            for call in sums:
                call(b)
        return block

    blocks = [stage_fn(stage) for stage in stages]
    parts = parallel.blocks(len(a), a[0].nbytes, block_bytes)

    def run_all():
        for block in blocks:
            parallel.run(block, parts, a.nbytes)
    return run_all


def passes_time(shape, dtype, row, passes, block_bytes=1 << 20, repeat=5, clock="wall"):
    """Best time (ms) of ``repeat`` runs of ``passes_runner(...)`` back to back: the passes alone,
    their arrays already in cache (the best case)."""
    fn = passes_runner(shape, dtype, row, passes, block_bytes)
    clk = CLOCK[clock]
    fn()
    return min(_time(fn, clk) for _ in range(repeat)) * 1e3


def _floor_runner(name, shape, dtype):
    if name not in PASSES:
        return None
    length, passes, block_bytes = PASSES[name]
    return passes_runner(shape, dtype, length, passes, block_bytes)


def _passes(row, name, shape, dtype, repeat, clock, notes):
    """The passes floor of a row measured with ``interleave(..., floor=_floor_runner(...))``: its best
    run in the row's rounds, each run after torch's (which evicts the caches) as the layer's are
    (``passes_row_ms``), and, for comparison, its best run alone with its arrays in cache
    (``passes_ms``, what the floor was before)."""
    if name not in PASSES:
        return
    length, passes, block_bytes = PASSES[name]
    hot = passes_time(shape, dtype, length, passes, block_bytes, repeat=max(3, repeat), clock=clock)
    ms = row["passes_row_ms"]
    row.update(passes=passes, passes_ms=hot)
    notes.append(f"unfused NumPy passes: {passes_text(passes)}"
                 + f" on rows of {length}, {block_bytes >> 10} KB blocks = {ms:.2f} ms in the row's rounds "
                 f"({hot:.2f} ms alone in cache)")
    _floor(row, ms, notes, "passes")


def _floor(row, floor_ms, notes, what):
    """Record the floor NumPy cannot go below; a target under it is raised to it (the issue's rule)."""
    ratio = floor_ms / row["torch_ms"]
    row["numpy_floor_ms"], row["numpy_floor_ratio"] = floor_ms, ratio
    notes.append(f"NumPy floor ({what}) {floor_ms:.1f} ms = ratio {ratio:.2f}")
    if row["target"] is not None and ratio > row["target"]:
        row["issue_target"], row["target"] = row["target"], round(ratio, 2)
        notes.append(f"target {row['issue_target']} is below it: raised to {row['target']}")


# -- the run --------------------------------------------------------------------------------------
def _verdict(ratio, target):
    return "-" if target is None else ("meets" if ratio <= target else "MISSES")


def run(quick=False, repeat=7, only=None, bandwidth=True, out=print, threads=None, clock="wall"):
    """Every case; returns ``{"header": ..., "rows": [...]}``. ``threads`` limits both NumPy's BLAS and
    torch to that many threads."""
    if threads:
        from threadpoolctl import threadpool_limits
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            with threadpool_limits(threads):
                return run(quick, repeat, only, bandwidth, out, None, clock)
        finally:
            torch.set_num_threads(before)
    repeat = 2 if quick else repeat
    warmup = 1 if quick else 2
    h = header(bandwidth=bandwidth and not quick)
    h.update(repeat=repeat, warmup=warmup, clock=clock)
    out(format_header(h))
    out(f"forward+backward (steps: forward, loss, backward, optimizer), median of {repeat} interleaved rounds, "
        f"{'CPU' if clock == 'cpu' else 'wall-clock'} time")
    head = (f"{'case':<38} {'dtype':<8} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6} {'target':>7}  "
            f"{'verdict':<7} notes")
    out(head + "\n" + "-" * len(head))
    rows = []
    bw = (h.get("copy_bandwidth_gbs") or 0) * 1e9

    def emit(row):
        row["ratio"] = row["numpy_ms"] / row["torch_ms"]
        row["verdict"] = _verdict(row["ratio"], row["target"])
        t = "" if row["target"] is None else "<= %.1f" % row["target"]
        out(f"{row['case']:<38} {row['dtype']:<8} {row['numpy_ms']:>9.2f} {row['torch_ms']:>9.2f} "
            f"{row['ratio']:>6.2f} {t:>7}  {row['verdict']:<7} {row.get('notes', '')}".rstrip())
        rows.append(row)

    def wanted(name):
        return not only or any(p.lower() in name.lower() for p in only)

    for name, factory, shape, targets in LAYERS:
        if not wanted(name):
            continue
        for dtype, target in targets.items():
            layer, a, b = layer_runners(factory, shape, dtype)
            row = {"case": name, "kind": "layer", "dtype": dtype, "target": target,
                   **interleave(a, b, repeat, warmup, clock, _floor_runner(name, shape, dtype))}
            notes = []
            shapes = gemm_shapes(layer, shape)
            if shapes:
                row["gemm_ms"] = gemm_time(shapes, dtype, repeat=max(3, repeat), clock=clock)
                row["gemm_ratio"] = row["gemm_ms"] / row["torch_ms"]
                notes.append(f"its 3 matmuls alone: {row['gemm_ms']:.1f} ms = {row['gemm_ratio']:.2f}x torch")
            if name.startswith("Conv2d") and bw:
                n, c, hh, ww = shape
                traffic = conv_traffic(n, c, hh, ww, layer.out_channels, np.dtype(dtype).itemsize, bias="b" in layer.params)
                row["bytes_moved"] = traffic
                row["floor_ms"] = traffic / bw * 1e3
                row["floor_ratio"] = row["floor_ms"] / row["torch_ms"]
                notes.append(f"im2col moves {traffic / 1e6:.0f} MB: >= {row['floor_ms']:.1f} ms "
                             f"(ratio floor {row['floor_ratio']:.2f})")
                if shapes:                                # the matmuls and the copies cannot overlap
                    _floor(row, row["gemm_ms"] + row["floor_ms"], notes, "matmuls + column traffic")
            _passes(row, name, shape, dtype, repeat, clock, notes)
            row["notes"] = "; ".join(notes)
            emit(row)
    for name, shape, target in LOSSES:
        if not wanted(name):
            continue
        for dtype in DTYPES:
            a, b = loss_runners(shape, dtype)
            row = {"case": name, "kind": "loss", "dtype": dtype, "target": target,
                   **interleave(a, b, repeat, warmup, clock, _floor_runner(name, shape, dtype))}
            notes = []
            _passes(row, name, shape, dtype, repeat, clock, notes)
            row["notes"] = "; ".join(notes)
            emit(row)
    for kind, sample, batch, opt_name, lr, mom, reg, target in STEPS:
        name = _step_name(kind, batch, opt_name)
        if not wanted(name):
            continue
        for dtype in DTYPES:
            model, x, a, b = step_runners(kind, sample, batch, opt_name, lr, mom, reg, dtype)
            row = {"case": name, "kind": "step", "dtype": dtype, "target": target,
                   **interleave(a, b, repeat, warmup, clock)}
            act = activation_bytes(model, x)
            params = sum(p.nbytes for p in model.named_parameters().values())
            peak = peak_alloc(a)
            row.update(activation_bytes=act, param_bytes=params, peak_alloc_bytes=peak, alloc_ratio=peak / act,
                       alloc_ratio_with_params=peak / (act + params))
            row["notes"] = (f"peak alloc {peak / 1e6:.2f} MB = {peak / act:.2f}x activations "
                            f"({act / 1e6:.2f} MB), {peak / (act + params):.2f}x activations+params")
            emit(row)
    return {"header": h, "rows": rows}


# -- the README table -----------------------------------------------------------------------------
def _span(values, fmt="%.2f"):
    lo, hi = min(values), max(values)
    return fmt % lo if fmt % lo == fmt % hi else f"{fmt % lo}-{fmt % hi}"


def markdown(results):
    """The README's speed table from one or more ``run`` results (each cell: the range over them)."""
    cells, order, targets, notes = {}, [], {}, {}
    for res in results:
        for r in res["rows"]:
            if r["case"] not in order:
                order.append(r["case"])
            cells.setdefault((r["case"], r["dtype"]), []).append(r["ratio"])
            if r["target"] is not None:
                targets.setdefault((r["case"], r["dtype"]), []).append(r["target"])
            if "issue_target" in r:
                notes[(r["case"], r["dtype"], "issue")] = r["issue_target"]
            if "numpy_floor_ratio" in r:
                notes.setdefault((r["case"], r["dtype"], "numpy_floor"), []).append(r["numpy_floor_ratio"])
            if "alloc_ratio" in r:
                notes.setdefault((r["case"], r["dtype"]), []).append(r["alloc_ratio"])
                notes.setdefault((r["case"], r["dtype"], "params"), []).append(r["alloc_ratio_with_params"])
            if "floor_ratio" in r:
                notes.setdefault((r["case"], r["dtype"], "floor"), []).append(r["floor_ratio"])
            if "gemm_ratio" in r:
                notes.setdefault((r["case"], r["dtype"], "gemm"), []).append(r["gemm_ratio"])
    lines = []
    headers = []
    for res in results:                           # the bandwidth varies run to run: quoted as a range
        text = format_header({**res["header"], "copy_bandwidth_gbs": None})
        if text not in headers:
            headers.append(text)
    for text in headers:
        lines += ["> " + line for line in text.splitlines()]
    bws = [res["header"]["copy_bandwidth_gbs"] for res in results if res["header"].get("copy_bandwidth_gbs")]
    if bws:
        lines.append(f"> measured copy bandwidth {_span(bws, '%.1f')} GB/s")
    dates = sorted(res["header"]["date"] for res in results)
    reps = sorted({res["header"].get("repeat") for res in results})
    clocks = sorted({res["header"].get("clock", "wall") for res in results})
    lines += [f"> {len(results)} run(s) of `parity bench` ({dates[0]} to {dates[-1]}, median of "
              f"{'/'.join(map(str, reps))} interleaved rounds, {'/'.join(clocks)} clock); each cell is the range "
              "of NumPy/torch over the runs",
              "", "| case | float64 NumPy/torch (target) | float32 NumPy/torch (target) | notes |", "|---|---|---|---|"]
    for case in order:
        row, note = [], []
        for d in DTYPES:
            v = cells.get((case, d))
            t = targets.get((case, d))
            raised = (case, d, "issue") in notes
            row.append("-" if v is None else _span(v) + ("" if t is None else
                                                         f" (<= {_span(t)}{', floor' if raised else ''})"))
            if (case, d, "numpy_floor") in notes:
                note.append(f"{d}: NumPy floor {_span(notes[(case, d, 'numpy_floor')])}"
                            + (f" (issue target {notes[(case, d, 'issue')]})" if raised else ""))
            if (case, d) in notes:
                note.append(f"{d}: peak alloc {_span(notes[(case, d)])}x activations, "
                            f"{_span(notes[(case, d, 'params')])}x activations+params")
            if (case, d, "gemm") in notes:
                note.append(f"{d}: matmuls alone {_span(notes[(case, d, 'gemm')])}x torch")
            if (case, d, "floor") in notes:
                note.append(f"{d}: traffic floor {_span(notes[(case, d, 'floor')])}")
        lines.append(f"| {case} | {row[0]} | {row[1]} | {'; '.join(note)} |")
    return "\n".join(lines)


def _step_name(kind, batch, opt_name):
    return f"train step {kind} (batch {batch}, {opt_name})"


def case_names():
    return [c[0] for c in LAYERS] + [c[0] for c in LOSSES] + [_step_name(c[0], c[2], c[3]) for c in STEPS]


def main(quick=False, repeat=7, json_path=None, only=None, threads=None, clock="wall"):
    res = run(quick=quick, repeat=repeat, only=only, threads=threads, clock=clock)
    if json_path:
        text = json.dumps(res, indent=1)
        atomic_write(json_path, lambda f: f.write(text.encode("utf-8")))
        print(f"wrote {json_path}")
    return 0


def markdown_command(paths):
    results = []
    for p in paths:
        try:
            with open(p) as f:
                res = json.load(f)
        except (OSError, ValueError) as e:
            raise UsageError(f"cannot read bench JSON {p}: {e}") from None
        rows = res.get("rows") if isinstance(res, dict) else None
        if not isinstance(res, dict) or not isinstance(res.get("header"), dict) or not isinstance(rows, list) or \
                not all(isinstance(r, dict) and {"case", "dtype", "ratio", "target"} <= set(r) for r in rows):
            raise UsageError(f"{p} is not a 'parity bench --json' file (it needs a header and rows of case, dtype, "
                             "ratio and target)")
        bad = next((r for r in rows if isinstance(r["ratio"], bool) or not isinstance(r["ratio"], (int, float))
                    or (r["target"] is not None and (isinstance(r["target"], bool)
                                                     or not isinstance(r["target"], (int, float))))), None)
        if bad is not None:
            raise UsageError(f"{p}: row {bad['case']!r} {bad['dtype']!r} has ratio {bad['ratio']!r} and target "
                             f"{bad['target']!r}; a bench file's are numbers (the target may be null)")
        try:                                        # an older or hand-edited file: its missing field named
            markdown([res])
        except KeyError as e:
            raise UsageError(f"{p}: not a complete 'parity bench --json' file: no field {e} "
                             "(written by an older version? run 'parity bench --json' again)") from None
        except (TypeError, ValueError, AttributeError) as e:
            raise UsageError(f"{p}: not a complete 'parity bench --json' file ({type(e).__name__}: {e})") from None
        results.append(res)
    print(markdown(results))
    return 0


def add_command(sub):
    b = sub.add_parser("bench", help="NumPy/torch speed ratios")
    b.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    b.add_argument("--repeat", type=count(1), default=7, help="timed rounds per case (>= 1)")
    b.add_argument("--only", help="comma-separated substrings of case names")
    b.add_argument("--threads", type=count(1), help="limit NumPy's BLAS and torch to N threads (default: as found)")
    b.add_argument("--clock", choices=sorted(CLOCK), default="wall",
                   help="wall (default) or cpu: CPU time of the process, robust to a busy machine")
    b.add_argument("--json", metavar="FILE", help="write the header and every row as JSON")
    b.add_argument("--markdown", metavar="FILE", nargs="+",
                   help="print the README speed table from bench JSON file(s) (no timing run)")
    b.set_defaults(func=command)


def command(args):
    if args.markdown:
        for path in args.markdown:
            input_file(path, "--markdown")
        return markdown_command(args.markdown)
    output_path(args.json, "--json")
    only = [p.strip() for p in args.only.split(",") if p.strip()] if args.only is not None else None
    unmatched = [p for p in only or () if not any(p.lower() in name.lower() for name in case_names())]
    if only is not None and (not only or unmatched):
        raise UsageError(f"--only {args.only!r}: " + (f"{unmatched} match no bench case" if unmatched else
                         "expected comma-separated case name fragments") + f" (cases: {', '.join(case_names())})")
    return main(quick=args.quick, repeat=args.repeat, json_path=args.json, only=only, threads=args.threads,
                clock=args.clock)
