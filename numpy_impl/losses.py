"""Losses on class scores, each returning ``(loss, dscores)``.

scores: (N, C) float, y: (N,) integer labels in [0, C). Each classification loss comes as the
naive per-sample loop the classic exercises start with and the vectorised version; both are
numerically stable (log-sum-exp, no ``log(p + 1e-7)``).

Conventions (docs/CONVENTIONS.md):
* ``softmax_loss`` is ``F.cross_entropy`` with mean reduction.
* ``svm_loss`` is the cs231n multiclass hinge: ``sum_{j != y} max(0, s_j - s_y + delta) / N``.
  torch's ``nn.MultiMarginLoss`` also divides by C, so ``svm_loss == C * multi_margin_loss``.
* ``mse_loss`` is ``F.mse_loss`` (mean over every element).
* ``l2_penalty(params, reg)`` is ``reg * sum(W**2)`` (cs231n); its gradient ``2 * reg * W`` is
  torch's ``weight_decay = 2 * reg``.
"""
import numpy as np

from . import parallel
from .checks import as_float_array, check_labels, check_ndim
from .rows import rowsum, unbuffered

BLOCK_BYTES = 1 << 20        # rows of scores per block in softmax_loss (numpy_impl.parallel)
LSE_LOSS = 20 * np.log(2)    # a row loss above this (p_y < 2**-20) is taken as log-sum-exp - x_y
# the sums of exponentials softmax_loss takes without a max shift: [1/R, R], R = sqrt(finfo.max)
EXP_RANGE = {np.dtype(t): (1 / np.sqrt(np.finfo(t).max), np.sqrt(np.finfo(t).max)) for t in (np.float32, np.float64)}


def _scores(component, x, y):
    x = as_float_array(component, x, "scores")
    check_ndim(component, x, (2,), "(N, C)", "scores")
    if x.shape[0] == 0:
        raise ValueError(f"{component}: expected at least one sample, got shape {tuple(x.shape)}")
    y = check_labels(component, y, x.shape[0], x.shape[1])
    return x, y


def softmax_loss(x, y):
    """Mean softmax cross-entropy, vectorised. x: (N, C), y: (N,) -> (loss, dx (N, C)).

    Each row is exponentiated as it is, without first subtracting its max: the probabilities
    ``exp(x) / sum(exp(x))`` are the same numbers, and the max and the subtraction are two of the
    five passes over the scores. A row whose sum of exponentials leaves ``[1/R, R]``,
    ``R = sqrt(finfo.max)`` (a log-sum-exp beyond about +-44 in float32, +-355 in float64: an
    overflow, an underflow, NaN or inf), is computed again from ``x - max(x)``, the classic stable
    form. A row's loss is ``-log(p_y)`` (as accurate as log-sum-exp after the shift), or, where
    ``p_y`` is below 2**-20, ``log(sum(exp(x))) - x_y``. A row's result never depends on the other
    rows."""
    x, y = _scores("softmax_loss", x, y)
    n = x.shape[0]
    dx = np.empty_like(x)
    row_loss = np.empty(n, dtype=x.dtype)
    low, high = EXP_RANGE[x.dtype]

    # one exponential per score, the probabilities computed in place in the array returned as dx;
    # rows are independent, so blocks of rows run on threads (numpy_impl.parallel)
    def block(b):
        d, xb, yb = dx[b], x[b], y[b]
        rows = np.arange(len(xb))                   # the block's own row numbers
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            np.exp(xb, out=d)
            total = rowsum(d)
            redo = None
            if not (total.min() >= low and total.max() <= high):      # NaN fails both
                redo = np.flatnonzero(~((total >= low) & (total <= high)))
                top = xb[redo].max(axis=1)          # the stable form for those rows only
                s = np.exp(xb[redo] - top[:, None])
                d[redo], total[redo] = s, rowsum(s)
            e_y = d[rows, yb]
            loss = row_loss[b]
            np.log(total / e_y, out=loss)           # -log(p_y); inf where p_y is 0
        if redo is not None or loss.max() > LSE_LOSS:
            lse = loss > LSE_LOSS                   # p_y < 2**-20: log-sum-exp - x_y keeps the digits
            shift = np.zeros(len(xb), dtype=x.dtype)
            if redo is not None:                    # and as before for the rows computed again
                lse[redo], shift[redo] = True, top
            i = np.flatnonzero(lse)
            loss[i] = np.log(total[i]) - (xb[i, yb[i]] - shift[i])
        scale = 1 / (total * x.dtype.type(n))
        with unbuffered(d):
            d *= scale[:, None]
        d[rows, yb] = (e_y - total) * scale         # (p_y - 1) / N, exactly 0 where p_y rounds to 1

    parallel.over_rows(block, x, BLOCK_BYTES)
    return x.dtype.type(row_loss.sum() / n), dx


def softmax_loss_naive(x, y):
    """The per-sample loop version of ``softmax_loss`` (a reference, deliberately slow)."""
    x, y = _scores("softmax_loss_naive", x, y)
    n, c = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(n):
        s = x[i] - np.max(x[i])
        log_norm = np.log(np.sum(np.exp(s)))
        loss += log_norm - s[y[i]]
        for j in range(c):
            dx[i, j] = np.exp(s[j] - log_norm)
        dx[i, y[i]] -= 1
    return x.dtype.type(loss / n), dx / x.dtype.type(n)


def _delta(component, delta):
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)) or not np.isfinite(delta):
        raise ValueError(f"{component}: delta must be a finite number, got {delta!r}")


def svm_loss(x, y, delta=1.0):
    """Multiclass SVM hinge loss (cs231n), vectorised. x: (N, C), y: (N,) -> (loss, dx)."""
    x, y = _scores("svm_loss", x, y)
    _delta("svm_loss", delta)
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = x - correct + x.dtype.type(delta)
    margins = np.where(margins > 0, margins, x.dtype.type(0))   # a NaN margin counts 0, as torch and the loop
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n
    dx = (margins > 0).astype(x.dtype)
    dx[np.arange(n), y] = -dx.sum(axis=1)
    return x.dtype.type(loss), dx / x.dtype.type(n)


def svm_loss_naive(x, y, delta=1.0):
    """The per-sample loop version of ``svm_loss`` (a reference, deliberately slow)."""
    x, y = _scores("svm_loss_naive", x, y)
    _delta("svm_loss_naive", delta)
    n, c = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(n):
        for j in range(c):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + delta
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    return x.dtype.type(loss / n), dx / x.dtype.type(n)


def mse_loss(x, target):
    """Mean squared error over every element (``F.mse_loss``). x, target: same shape."""
    x = as_float_array("mse_loss", x)
    target = as_float_array("mse_loss", target, "target")
    if x.shape != target.shape:
        raise ValueError(f"mse_loss: expected target of shape {tuple(x.shape)}, got shape {tuple(target.shape)}")
    if x.size == 0:
        raise ValueError("mse_loss: expected a non-empty input, got shape " + str(tuple(x.shape)))
    diff = x - target.astype(x.dtype, copy=False)
    return x.dtype.type(np.mean(diff * diff)), diff * x.dtype.type(2.0 / x.size)


def _not_a_weight(name):
    """A bias (``b``, the GRU's ``bh``, attention's ``b_in``/``b_out``, ``bias``) or a norm's gamma/beta."""
    return name in ("b", "bh", "bias", "beta", "gamma") or name.startswith(("b_", "bias_"))


def l2_penalty(params, reg, names=None):
    """``reg * sum(W**2)`` over the named parameters (default: weights only, every name whose last part
    is not a bias or a norm's scale and shift: 'b', 'bh', 'b_in', 'b_out', 'bias', 'beta', 'gamma').
    Returns ``(penalty, grads)``; grads are ``2 * reg * W``, which is torch's ``weight_decay = 2 * reg``."""
    if isinstance(reg, bool) or not isinstance(reg, (int, float, np.integer, np.floating)) or not reg >= 0 \
            or not np.isfinite(reg):
        raise ValueError(f"l2_penalty: reg must be a finite number >= 0, got {reg!r}")
    reg = float(reg)                                # a NumPy float64 reg would make float32 gradients float64
    if not hasattr(params, "items"):
        raise TypeError(f"l2_penalty: params must be a dict of name -> array (model.named_parameters()), got "
                        f"{type(params).__name__}")
    if isinstance(names, (str, bytes)):             # would be read letter by letter
        raise TypeError(f"l2_penalty: names must be a list of parameter names, got the string {names!r}")
    if names is None:
        names = [k for k in params if not _not_a_weight(k.split(".")[-1])]
    unknown = [k for k in names if k not in params]
    if unknown:
        raise ValueError(f"l2_penalty: no parameter named {unknown}; the parameters are {sorted(params)}")
    weights = {k: as_float_array(f"l2_penalty: parameter '{k}'", params[k], "array") for k in names}
    penalty = sum(float(np.sum(w * w)) for w in weights.values()) * reg
    return penalty, {k: 2 * reg * w for k, w in weights.items()}


LOSSES = {"softmax": softmax_loss, "softmax_naive": softmax_loss_naive,
          "svm": svm_loss, "svm_naive": svm_loss_naive}
