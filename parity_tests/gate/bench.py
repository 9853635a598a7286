"""NumPy vs torch speed, forward + backward, measured side by side in one process.

Each case alternates one NumPy run and one torch run (so both see the same machine state), takes
medians over ``repeat`` rounds after a warm-up, and prints the ratio NumPy/torch and whether it
meets its target. Not a test: timings vary. The ``parity bench`` command.
"""
import statistics
import time

import numpy as np
import torch

import numpy_impl as ni
from torch_ref import mirror

CASES = [
    # name, layer factory, input shape, dtypes, target ratio
    ("Conv2d 16->32 3x3 p1 (64,16,28,28)", lambda d: ni.Conv2d(16, 32, 3, padding=1, rng=0, dtype=d),
     (64, 16, 28, 28), {"float64": 1.0, "float32": 2.5}),
    ("Conv2d 3->32 3x3 p1 (128,3,32,32)", lambda d: ni.Conv2d(3, 32, 3, padding=1, rng=0, dtype=d),
     (128, 3, 32, 32), {"float64": 1.3, "float32": 1.3}),
    ("MaxPool2d 2x2 (64,32,28,28)", lambda d: ni.MaxPool2d(2), (64, 32, 28, 28), {"float64": 1.3, "float32": 1.3}),
    ("Linear 784->256 (256,784)", lambda d: ni.Linear(784, 256, rng=0, dtype=d), (256, 784),
     {"float64": None, "float32": None}),
    ("BatchNorm2d 32 (64,32,28,28)", lambda d: ni.BatchNorm2d(32, dtype=d), (64, 32, 28, 28),
     {"float64": None, "float32": None}),
]


def _time(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(factory, shape, dtype, repeat=7, warmup=2):
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

    tn, tt = [], []
    for i in range(warmup + repeat):
        a, b = _time(run_numpy), _time(run_torch)
        if i >= warmup:
            tn.append(a)
            tt.append(b)
    return statistics.median(tn), statistics.median(tt)


def main(quick=False, repeat=7):
    repeat = 2 if quick else repeat
    print(f"NumPy {np.__version__} vs torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"forward+backward, median of {repeat} interleaved rounds")
    head = f"{'case':<38} {'dtype':<8} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6} {'target':>7}  verdict"
    print(head + "\n" + "-" * len(head))
    for name, factory, shape, targets in CASES:
        for dtype, target in targets.items():
            tn, tt = measure(factory, shape, dtype, repeat=repeat, warmup=1 if quick else 2)
            ratio = tn / tt
            verdict = "-" if target is None else ("meets" if ratio <= target else "MISSES")
            print(f"{name:<38} {dtype:<8} {tn * 1e3:>9.2f} {tt * 1e3:>9.2f} {ratio:>6.2f} "
                  f"{'' if target is None else '<= %.1f' % target:>7}  {verdict}", flush=True)
    return 0


def add_command(sub):
    b = sub.add_parser("bench", help="NumPy/torch speed ratios")
    b.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    from ..options import count
    b.add_argument("--repeat", type=count(1), default=7, help="timed rounds per case (>= 1)")
    b.set_defaults(func=lambda args: main(quick=args.quick, repeat=args.repeat))
