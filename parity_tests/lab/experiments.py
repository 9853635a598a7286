"""The classic experiments of the from-scratch courses, each a function of a dataset that writes its
PNG and JSON into ``out`` and returns a summary. ``parity experiment NAME`` runs them on
Fashion-MNIST; the tests run them on small synthetic images.

``data``: the dict of ``training.load_data`` for a flat model (``X_train`` (N, D), ``y_train``,
``X_val``, ``y_val``, ``X_test``, ``y_test``, ``classes``) plus ``image_shape``.
``scale`` shrinks every run (iterations, epochs, samples) for a smoke run; 1.0 is the full size.
With ``lockstep`` every network is trained with its torch mirror beside it; the summary then
holds the largest parameter drift of each run.
"""
import functools
import os
import time

import numpy as np

import numpy_impl.layers as L
import numpy_impl.optim as no
from numpy_impl.models import FullyConnectedNet, LinearClassifier, TwoLayerNet

from ..gate.lockstep import trainer_with_mirror
from . import plots
from .presets import load_data, write_json
from ..options import add_data_options, count, number, output_files_in, output_path
from .train import config_from

EXPERIMENTS = {}


def experiment(fn):
    @functools.wraps(fn)
    def run(data, out, log=print, **kw):
        os.makedirs(out, exist_ok=True)
        return fn(data, out, log=log or (lambda *a: None), **kw)
    EXPERIMENTS[fn.__name__] = run
    return run


def _n(value, scale, least=1):
    return max(least, int(round(value * scale)))


def fit(model, opt, X, y, epochs=1, steps=None, batch_size=100, seed=0, val=None, lockstep=False, sched=None):
    """Train quietly; returns ``(history, max_drift or None)``."""
    trainer, mirror = trainer_with_mirror(model, opt, sched, lockstep=lockstep, batch_size=batch_size, seed=seed,
                                          progress=False, log=None, train_acc_samples=1000)
    if steps is not None:
        epochs = -(-steps * batch_size // len(X))
    hist = trainer.fit(X, y, epochs, *(val or (None, None)), max_steps=steps)
    worst = mirror.worst() if mirror else None
    drift = None if not mirror else worst["param_drift"] if worst else 0.0
    if mirror:
        hist["torch_loss"] = [s["loss_torch"] for s in mirror.steps]
    return hist, drift


def _finish(out, name, summary, log):
    files = summary.get("files", [])
    summary["files"] = [os.path.basename(f) for f in files] + [f"{name}.json"]     # relative to out
    files.append(write_json(os.path.join(out, f"{name}.json"), summary))
    for f in files:
        log(f"wrote {f}")
    return summary


@experiment
def optimizers(data, out, scale=1.0, seed=0, lockstep=False, log=print):
    """SGD, Momentum, AdaGrad and Adam on the same 4-layer MLP (3 hidden layers of 100 ReLU units,
    He init), same batches: smoothed training loss per iteration."""
    X, y = data["X_train"], data["y_train"]
    settings = {"SGD (lr 0.01)": lambda p: no.SGD(p, lr=0.01),
                "Momentum (lr 0.01, 0.9)": lambda p: no.SGD(p, lr=0.01, momentum=0.9),
                "AdaGrad (lr 0.01)": lambda p: no.Adagrad(p, lr=0.01),
                "Adam (lr 0.001)": lambda p: no.Adam(p, lr=1e-3)}
    steps = _n(2000, scale, 10)
    series, summary = {}, {"experiment": "optimizers", "steps": steps, "runs": {}}
    for label, make in settings.items():
        model = FullyConnectedNet(X.shape[1], [100, 100, 100], len(data["classes"]), init="he", seed=seed)
        hist, drift = fit(model, make(model.named_parameters()), X, y, steps=steps, batch_size=128, seed=seed,
                          lockstep=lockstep)
        series[label] = hist["loss"]
        if lockstep:
            series[label + " torch"] = hist["torch_loss"]
        summary["runs"][label] = {"final_loss": float(np.mean(hist["loss"][-_n(100, scale):])),
                                  "test_acc": model.accuracy(data["X_test"], data["y_test"]), "max_drift": drift}
        log(f"{label:<26} final loss {summary['runs'][label]['final_loss']:.4f}  "
            f"test acc {summary['runs'][label]['test_acc']:.4f}" + (f"  drift {drift:.1e}" if lockstep else ""))
    summary["files"] = [plots.curves(series, os.path.join(out, "optimizers.png"), xlabel="iteration",
                                     ylabel="training loss (smoothed)", log=True,
                                     title="Optimizers on a 4-layer MLP" + (" (dashed: torch)" if lockstep else ""),
                                     window=max(1, steps // 50))]
    return _finish(out, "optimizers", summary, log)


def _activations(model, X):
    """The output of every activation layer in a forward pass (training mode, no dropout here)."""
    acts, x = [], X
    for layer in model.layers:
        x = layer.forward(x, training=True)
        if isinstance(layer, (L.ReLU, L.Sigmoid, L.Tanh)):
            acts.append(x)
    return acts


@experiment
def init(data, out, scale=1.0, seed=0, lockstep=False, log=print):
    """Weight initialisations (std 0.01, Xavier, He) on a 5-layer ReLU MLP of 100 units: the
    activation histogram of every layer at the start, and the training loss."""
    X, y = data["X_train"], data["y_train"]
    inits = {"std 0.01": ("normal", 0.01), "Xavier (Glorot)": ("xavier", None), "He": ("he", None)}
    steps = _n(2000, scale, 10)
    rows, series, summary = [], {}, {"experiment": "init", "steps": steps, "runs": {}}
    sample = X[np.random.default_rng(seed).choice(len(X), min(1000, len(X)), replace=False)]
    for label, (name, std) in inits.items():
        def make():
            return FullyConnectedNet(X.shape[1], [100] * 5, len(data["classes"]), init=name,
                                     weight_scale=std or 0.01, seed=seed)
        acts = _activations(make(), sample)
        rows.append((label, acts))
        model = make()
        hist, drift = fit(model, no.SGD(model.named_parameters(), lr=0.01), X, y, steps=steps, batch_size=128,
                          seed=seed, lockstep=lockstep)
        series[label] = hist["loss"]
        summary["runs"][label] = {"activation_std_per_layer": [float(a.std()) for a in acts],
                                  "final_loss": float(np.mean(hist["loss"][-_n(100, scale):])),
                                  "test_acc": model.accuracy(data["X_test"], data["y_test"]), "max_drift": drift}
        log(f"{label:<16} activation std by layer "
            + " ".join(f"{a.std():.2g}" for a in acts) + f"  final loss {summary['runs'][label]['final_loss']:.4f}")
    top = max(float(np.percentile(np.concatenate([a.ravel() for a in acts]), 99)) for _, acts in rows)
    summary["files"] = [
        plots.histograms(rows, os.path.join(out, "init_histograms.png"), value_range=(0, max(top, 1e-6)),
                         title="ReLU activations per layer at initialisation"),
        plots.curves(series, os.path.join(out, "init_loss.png"), xlabel="iteration", log=True,
                     ylabel="training loss (smoothed)", title="Initialisations, SGD lr 0.01",
                     window=max(1, steps // 50))]
    return _finish(out, "init", summary, log)


@experiment
def batchnorm(data, out, scale=1.0, seed=0, lockstep=False, log=print):
    """With and without BatchNorm, across initial weight scales (std from 1 to 1e-4): training
    accuracy per epoch of a 5-layer MLP on 1000 samples, SGD lr 0.01."""
    n = _n(1000, scale, 50)
    X, y = data["X_train"][:n], data["y_train"][:n]
    epochs = _n(20, scale, 2)
    panels, summary = [], {"experiment": "batchnorm", "samples": n, "epochs": epochs, "runs": []}
    for w in np.logspace(0, -4, 8) if scale >= 1 else (1.0, 1e-2):
        series, run = {}, {"weight_scale": float(w)}
        for bn in (True, False):
            model = FullyConnectedNet(X.shape[1], [100] * 5, len(data["classes"]), init="normal",
                                      weight_scale=w, batchnorm=bn, seed=seed)
            hist, drift = fit(model, no.SGD(model.named_parameters(), lr=0.01), X, y, epochs=epochs,
                              batch_size=100, seed=seed, lockstep=lockstep)
            label = "BatchNorm" if bn else "no BatchNorm"
            series[label] = [e["train_acc"] for e in hist["epochs"]]
            run[label] = {"final_train_acc": series[label][-1] if series[label] else None, "max_drift": drift,
                          "stopped": hist["stopped"]}
        panels.append((f"w = {w:.1e}", series))
        summary["runs"].append(run)
        def acc(r):
            return "stopped (non-finite loss)" if r["stopped"] else f"{r['final_train_acc']:.3f}"
        log(f"weight scale {w:.1e}: train acc with BN {acc(run['BatchNorm'])}, without {acc(run['no BatchNorm'])}")
    summary["files"] = [plots.grid_of_curves(panels, os.path.join(out, "batchnorm.png"),
                                             title="Training accuracy with and without BatchNorm")]
    return _finish(out, "batchnorm", summary, log)


@experiment
def overfit(data, out, scale=1.0, seed=0, lockstep=False, log=print):
    """300 training samples, a 6-layer MLP of 100 units: train vs test accuracy per epoch, plain,
    with weight decay (L2 in the loss, lambda 0.1) and with dropout (p 0.2)."""
    X, y = data["X_train"][:300], data["y_train"][:300]
    Xt, yt = data["X_test"][:2000], data["y_test"][:2000]
    epochs = _n(200, scale, 2)
    variants = {"plain": {}, "weight decay 0.1": {"reg": 0.1 / 2}, "dropout 0.2": {"dropout": 0.2}}
    panels, summary = [], {"experiment": "overfit", "epochs": epochs, "runs": {}}
    for label, kw in variants.items():
        model = FullyConnectedNet(X.shape[1], [100] * 5, len(data["classes"]), init="he", seed=seed, **kw)
        hist, drift = fit(model, no.SGD(model.named_parameters(), lr=0.01), X, y, epochs=epochs,
                          batch_size=100, seed=seed, val=(Xt, yt), lockstep=lockstep)
        tr = [e["train_acc"] for e in hist["epochs"]]
        te = [e["val_acc"] for e in hist["epochs"]]
        panels.append((label, {"train": tr, "test": te}))
        summary["runs"][label] = {"train_acc": tr[-1], "test_acc": te[-1], "gap": tr[-1] - te[-1], "max_drift": drift}
        log(f"{label:<18} train {tr[-1]:.3f}  test {te[-1]:.3f}  gap {tr[-1] - te[-1]:.3f}")
    summary["files"] = [plots.grid_of_curves(panels, os.path.join(out, "overfit.png"), ncols=3,
                                             title="Overfitting 300 samples: train vs test accuracy")]
    return _finish(out, "overfit", summary, log)


def softmax(scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@experiment
def ensemble(data, out, scale=1.0, seed=0, lockstep=False, log=print, members=5):
    """Several MLPs from different seeds (initialisation, batch order, dropout), then their softmax
    outputs averaged: each member's test accuracy against the ensemble's."""
    X, y, Xt, yt = data["X_train"], data["y_train"], data["X_test"], data["y_test"]
    epochs = _n(5, scale, 1)
    probs, summary = [], {"experiment": "ensemble", "epochs": epochs, "members": []}
    for i in range(members):
        model = FullyConnectedNet(X.shape[1], [256, 128], len(data["classes"]), dropout=0.2, seed=seed + i)
        hist, drift = fit(model, no.Adam(model.named_parameters(), lr=1e-3), X, y, epochs=epochs, batch_size=128,
                          seed=seed + i, lockstep=lockstep)
        p = np.concatenate([softmax(model.forward(Xt[j:j + 1000], training=False)) for j in range(0, len(Xt), 1000)])
        probs.append(p)
        summary["members"].append({"seed": seed + i, "test_acc": float(np.mean(p.argmax(1) == yt)), "max_drift": drift})
        log(f"member {i + 1}: test acc {summary['members'][-1]['test_acc']:.4f}")
    running = [float(np.mean(np.mean(probs[:k], axis=0).argmax(1) == yt)) for k in range(1, members + 1)]
    summary["ensemble_test_acc"], summary["ensemble_by_size"] = running[-1], running
    best = max(m["test_acc"] for m in summary["members"])
    log(f"ensemble of {members}: test acc {running[-1]:.4f} (best member {best:.4f})")
    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar(range(1, members + 1), [m["test_acc"] for m in summary["members"]], color="C0", label="member alone")
    ax.plot(range(1, members + 1), running, "o-", color="C3", label="ensemble of the first k")
    lo = min(min(running), min(m["test_acc"] for m in summary["members"]))
    ax.set(xlabel="member / ensemble size k", ylabel="test accuracy", ylim=(max(0, lo - 0.02), min(1, max(running) + 0.01)),
           title="Averaging the softmax outputs of several nets")
    ax.legend()
    fig.tight_layout()
    summary["files"] = [plots.save(fig, os.path.join(out, "ensemble.png"))]
    return _finish(out, "ensemble", summary, log)


@experiment
def weights(data, out, scale=1.0, seed=0, lockstep=False, log=print):
    """The weight pictures: the softmax classifier's template per class, and the first-layer
    weights of a two-layer net (100 hidden units) as a grid of images."""
    X, y = data["X_train"], data["y_train"]
    shape = data["image_shape"]
    k = len(data["classes"])
    lin = LinearClassifier(X.shape[1], k, reg=1e-4, seed=seed)
    _, d1 = fit(lin, no.SGD(lin.named_parameters(), lr=0.05, momentum=0.9), X, y, epochs=_n(3, scale),
                batch_size=128, seed=seed, lockstep=lockstep)
    two = TwoLayerNet(X.shape[1], 100, k, weight_scale=1e-2, reg=1e-3, seed=seed)
    _, d2 = fit(two, no.Adam(two.named_parameters(), lr=1e-3), X, y, epochs=_n(3, scale), batch_size=128,
                seed=seed, lockstep=lockstep)
    summary = {"experiment": "weights", "softmax_test_acc": lin.accuracy(data["X_test"], data["y_test"]),
               "two_layer_test_acc": two.accuracy(data["X_test"], data["y_test"]), "max_drift": [d1, d2]}
    log(f"softmax test acc {summary['softmax_test_acc']:.4f}, two-layer test acc {summary['two_layer_test_acc']:.4f}")
    W = lin.named_parameters()["0.W"]
    summary["files"] = [
        plots.weight_images(W, shape, os.path.join(out, "softmax_templates.png"), labels=data["classes"],
                            ncols=min(k, 10), title="Softmax classifier: one template per class"),
        plots.weight_images(two.named_parameters()["0.W"], shape, os.path.join(out, "two_layer_weights.png"),
                            ncols=10, title="Two-layer net: first-layer weights")]
    return _finish(out, "weights", summary, log)


# what each experiment writes into --out, checked before any is run
FILES = {"optimizers": ("optimizers.json", "optimizers.png"),
         "init": ("init.json", "init_histograms.png", "init_loss.png"),
         "batchnorm": ("batchnorm.json", "batchnorm.png"), "overfit": ("overfit.json", "overfit.png"),
         "ensemble": ("ensemble.json", "ensemble.png"),
         "weights": ("weights.json", "softmax_templates.png", "two_layer_weights.png")}


def run_command(args):
    names = list(EXPERIMENTS) if args.name == "all" else [args.name]
    output_path(args.out, "--out", folder=True)
    output_files_in(args.out, [f for name in names for f in FILES[name]])
    data = load_data(config_from(args, model="mlp"))
    for name in names:
        t0 = time.perf_counter()
        print(f"== {name}: {summary(EXPERIMENTS[name])}")
        EXPERIMENTS[name](data, args.out, scale=args.scale, seed=args.seed or 0, lockstep=args.lockstep)
        print(f"   ({time.perf_counter() - t0:.1f} s)")
    return 0


def summary(fn):
    """The first paragraph of ``fn``'s docstring as one line (a first line alone stops mid-sentence)."""
    return " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())


def add_command(sub):
    e = sub.add_parser("experiment", help="the classic experiments as PNG and JSON",
                       description=" ".join(f"{k}: {summary(v)}" for k, v in EXPERIMENTS.items()))
    e.add_argument("name", choices=list(EXPERIMENTS) + ["all"])
    add_data_options(e)       # each experiment fixes its own models and training settings
    e.add_argument("--seed", type=count(0), help="seed of the data subset and of every net (default 0)")
    e.add_argument("--scale", type=number(0, 1, low_open=True), default=1.0, help="shrink every run (0.1: a ten times shorter smoke run)")
    e.add_argument("--lockstep", action="store_true", help="train each net with its torch mirror, record drift")
    e.add_argument("--out", default="experiments")
    e.set_defaults(func=run_command)
