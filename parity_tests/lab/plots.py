"""The pictures: training curves (NumPy and torch overlaid, drift), the search scatter plot,
activation histograms and weight images. Each returns the PNG's path; files are written atomically."""
import os

import numpy as np

from numpy_impl.atomic import atomic_write


def pyplot():
    """pyplot on the Agg backend (files only, no display needed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, path, dpi=90):
    path = os.path.abspath(path)
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi))
    pyplot().close(fig)
    return path


def smooth(values, window=None):
    """Moving average (the classic "smoothed loss curve"); ``window`` defaults to ~1% of the run."""
    v = np.asarray(values, dtype=float)
    window = window or max(1, len(v) // 100)
    if window <= 1 or len(v) < window:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    return (c[window:] - c[:-window]) / window


def training_curves(history, path, title=""):
    """Loss per step (NumPy, and torch in lockstep), the parameter drift per step on a log scale,
    and accuracy per epoch."""
    plt = pyplot()
    steps = history.get("lockstep") or []
    fig, axes = plt.subplots(1, 3 if steps else 2, figsize=(15 if steps else 10, 4))
    ax = axes[0]
    ax.plot(history["loss"], lw=0.6, alpha=0.35, color="C0")
    ax.plot(smooth(history["loss"]), color="C0", label="NumPy")
    if steps:
        tl = [s["loss_torch"] for s in steps]
        ax.plot(smooth(tl), color="C1", ls="--", label="torch (lockstep)")
    ax.set(xlabel="step", ylabel="loss", title="training loss", yscale="log")
    ax.legend()
    ax = axes[1]
    ep = history["epochs"]
    x = [e["epoch"] for e in ep]
    for key, style, label in [("train_acc", "-o", "train"), ("val_acc", "-s", "val"),
                              ("torch_val_acc", "--x", "val (torch)")]:
        vals = [e.get(key) for e in ep]
        if any(v is not None for v in vals):
            ax.plot(x, vals, style, label=label)
    ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    if ax.get_legend_handles_labels()[1]:           # a run stopped in its first epoch has no curve yet
        ax.legend()
    if steps:
        ax = axes[2]
        drift = np.maximum([s["param_drift"] for s in steps], 1e-18)
        ax.semilogy([s["step"] for s in steps], drift, lw=0.6)
        ax.set(xlabel="step", ylabel="max |NumPy - torch| / max |torch|", title="parameter drift")
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def search_scatter(results, path, x="lr", y="reg", title="hyperparameter search"):
    """The classic picture: log lr against log reg, one dot per trial coloured by accuracy
    (train and validation side by side)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    xs = np.log10([r["config"][x] for r in results])
    ys = np.log10([max(r["config"][y], 1e-12) for r in results])
    for ax, key in zip(axes, ("train_acc", "val_acc")):
        acc = [r[key] for r in results]
        sc = ax.scatter(xs, ys, c=acc, s=80, cmap="viridis", edgecolors="k")
        fig.colorbar(sc, ax=ax, label=key.replace("_", " "))
        ax.set(xlabel=f"log10 {x}", ylabel=f"log10 {y}", title=key.replace("_acc", " accuracy"))
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def curves(series, path, xlabel="step", ylabel="loss", title="", log=False, window=None, smooth_it=True):
    """Several named curves on one axis (``series``: label -> values). A label ending in " torch"
    is drawn dashed, in the colour of the curve it mirrors."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colours = {}
    for label, values in series.items():
        base = label[:-len(" torch")] if label.endswith(" torch") else None
        style = dict(color=colours[base], ls="--", lw=1.0) if base in colours else {}
        line, = ax.plot(smooth(values, window) if smooth_it else values, label=label, **style)
        colours.setdefault(label, line.get_color())
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if log:
        ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    return save(fig, path)


def grid_of_curves(panels, path, ncols=4, xlabel="epoch", ylabel="accuracy", title=""):
    """``panels``: list of (panel title, {label: values})."""
    plt = pyplot()
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, (name, series) in zip(axes.flat, panels):
        for label, values in series.items():
            ax.plot(values, label=label)
        ax.set_title(name, fontsize=9)
        ax.set_ylim(0, 1.02)
    axes.flat[0].legend(fontsize=8)
    fig.supxlabel(xlabel)
    fig.supylabel(ylabel)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def histograms(rows, path, title="", bins=30, value_range=None):
    """``rows``: list of (row label, [per-layer activation arrays]) drawn as a grid of histograms
    (rows: initialisations, columns: layers), the classic activation-distribution figure."""
    plt = pyplot()
    ncols = max(len(acts) for _, acts in rows)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(2.4 * ncols, 2.1 * len(rows)), squeeze=False)
    for r, (label, acts) in enumerate(rows):
        for c, a in enumerate(acts):
            ax = axes[r, c]
            ax.hist(np.ravel(a), bins=bins, range=value_range, color=f"C{r}")
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"layer {c + 1}", fontsize=9)
            if c == 0:
                ax.set_ylabel(label, fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def weight_images(W, shape, path, labels=None, ncols=10, title=""):
    """Each column of ``W`` (D, K) as an image of ``shape`` (H, W) or (C, H, W), rescaled to its own
    range: the linear classifier's class templates, or the first layer's filters."""
    plt = pyplot()
    k = W.shape[1]
    nrows = -(-k // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.45 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i in range(k):
        img = W[:, i].reshape(shape)
        if img.ndim == 3:
            img = img.transpose(1, 2, 0).squeeze()
        lo, hi = img.min(), img.max()
        axes.flat[i].imshow((img - lo) / (hi - lo + 1e-12), cmap="gray" if img.ndim == 2 else None)
        if labels is not None:
            axes.flat[i].set_title(str(labels[i]), fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)
