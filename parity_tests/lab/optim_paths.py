"""The classic picture: SGD, Momentum, AdaGrad and Adam from (-7, 2) on f(x, y) = x^2/20 + y^2,
30 steps each, the NumPy path and the torch path overlaid on the contour plot."""
import numpy as np
import torch

import numpy_impl.optim as no
from torch_ref.optim import mirror_optimizer

from .plots import pyplot, save

# the learning rates of the classic comparison ("Deep Learning from Scratch", ch. 6)
SETUPS = {
    "SGD": lambda p: no.SGD(p, lr=0.95),
    "Momentum": lambda p: no.SGD(p, lr=0.1, momentum=0.9),
    "AdaGrad": lambda p: no.Adagrad(p, lr=1.5, eps=1e-7),
    "Adam": lambda p: no.Adam(p, lr=0.3),
}
START = (-7.0, 2.0)


def grad_f(x, y):
    return x / 10.0, 2.0 * y


def paths(steps=30):
    """{name: (numpy path (steps+1, 2), torch path (steps+1, 2))}."""
    out = {}
    for name, make in SETUPS.items():
        params = {"x": np.array(START[0]), "y": np.array(START[1])}
        tensors = {k: torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for k, v in params.items()}
        opt = make(params)
        topt = mirror_optimizer(opt, tensors)
        np_path, t_path = [START], [START]
        for _ in range(steps):
            gx, gy = grad_f(params["x"], params["y"])
            opt.step({"x": np.asarray(gx), "y": np.asarray(gy)})
            topt.zero_grad()
            (tensors["x"] ** 2 / 20 + tensors["y"] ** 2).backward()
            topt.step()
            np_path.append((float(params["x"]), float(params["y"])))
            t_path.append((tensors["x"].item(), tensors["y"].item()))
        out[name] = (np.array(np_path), np.array(t_path))
    return out


def main(out="optim_paths.png", steps=30):
    plt = pyplot()
    result = paths(steps)
    xs, ys = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-5, 5, 100))
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    worst = 0.0
    for ax, (name, (p_np, p_t)) in zip(axes.ravel(), result.items()):
        diff = float(np.max(np.abs(p_np - p_t)))
        worst = max(worst, diff)
        ax.contour(xs, ys, xs ** 2 / 20 + ys ** 2, levels=20, colors="0.75", linewidths=0.7)
        ax.plot(p_t[:, 0], p_t[:, 1], "s", color="tab:orange", ms=7, mfc="none", label="torch")
        ax.plot(p_np[:, 0], p_np[:, 1], "o-", color="tab:blue", ms=3, lw=1, label="NumPy")
        ax.plot(0, 0, "+", color="k")
        ax.set_title(f"{name}  (max |NumPy - torch| = {diff:.1e})")
        ax.set_xlim(-10, 10)
        ax.set_ylim(-5, 5)
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"f(x, y) = x^2/20 + y^2 from {START}, {steps} steps")
    fig.tight_layout()
    save(fig, out, dpi=100)
    for name, (p_np, p_t) in result.items():
        print(f"{name:<9} end NumPy ({p_np[-1, 0]: .6f}, {p_np[-1, 1]: .6f})  torch ({p_t[-1, 0]: .6f}, "
              f"{p_t[-1, 1]: .6f})  max diff {np.max(np.abs(p_np - p_t)):.1e}")
    print(f"wrote {out}")
    return 0 if worst <= 1e-12 else 1


def add_command(sub):
    o = sub.add_parser("optim-paths", help="optimizer paths on x^2/20 + y^2, NumPy vs torch, as PNG")
    from ..options import count, output_path
    o.add_argument("--out", default="optim_paths.png", help="the PNG to write")
    o.add_argument("--steps", type=count(1), default=30, help="steps per optimizer (>= 1)")
    o.set_defaults(func=lambda args: main(output_path(args.out, "--out"), steps=args.steps))
