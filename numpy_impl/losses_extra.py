"""More losses, each ``loss, dx = fn(x, target, ...)`` matching the torch functional of the same
name (``F.nll_loss``, ``F.binary_cross_entropy``, ...) with ``reduction`` 'mean' or 'sum'.

* ``nll_loss(logp, y, weight=None, ignore_index=-100)``: logp (N, C) or (N, C, d1, ...) log
  probabilities, y (N,) or (N, d1, ...) class ids. The weighted mean divides by the sum of the
  weights of the (non-ignored) targets, as torch does.
* ``cross_entropy_loss(x, y, weight=None, ignore_index=-100, label_smoothing=0.0)``: scores as
  ``nll_loss``; with smoothing eps the loss is ``(1 - eps) * nll + eps / C * sum_c w_c (-logp_c)``,
  both terms divided by the same denominator (torch's definition).
* ``binary_cross_entropy(p, y, weight=None)``: p probabilities, y targets in [0, 1], any shape;
  each log is clamped at -100 and the gradient's denominator at float32(1e-12), as torch.
* ``binary_cross_entropy_with_logits(x, y, weight=None, pos_weight=None)``: stable (softplus
  form); pos_weight broadcasts over the last axis (one per class).
* ``l1_loss``, ``huber_loss(delta)``, ``smooth_l1_loss(beta)`` (beta 0 is L1): any shape; the
  gradient of |d| at d = 0 is 0, as torch.
* ``kl_div_loss(logq, p, reduction='mean', log_target=False)``: torch's ``F.kl_div(input=logq,
  target=p)``, pointwise ``p * (log p - logq)`` (0 where p = 0); 'batchmean' divides the sum by N,
  'mean' by the number of elements (torch's default, which torch itself warns about).
* ``temporal_softmax_loss(x, y, mask=None)``: x (N, T, V), y (N, T), mask (N, T): the cs231n form,
  ``-sum(mask * log softmax(x)[y]) / N`` (summed over the kept steps, divided by N).

All keep the input dtype, never modify their arguments, and raise errors naming the loss and the
expected and actual shapes.
"""
import numpy as np

from .checks import as_float_array, check_flag, check_mask, check_ndim, check_number

REDUCTIONS = ("mean", "sum")
_BCE_EPS = float(np.float32(1e-12))     # torch's EPSILON is the float32 1e-12 (9.9999999600e-13)


def _reduction(component, reduction, allowed=REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{component}: reduction must be one of {allowed}, got {reduction!r}")


def _pair(component, x, target):
    """x and target float arrays of one shape; target cast to x's dtype (a copy only if needed)."""
    x = as_float_array(component, x)
    target = as_float_array(component, target, "target")
    if x.shape != target.shape:
        raise ValueError(f"{component}: expected target of shape {tuple(x.shape)}, got shape {tuple(target.shape)}")
    if x.size == 0:
        raise ValueError(f"{component}: expected a non-empty input, got shape {tuple(x.shape)}")
    return x, target.astype(x.dtype, copy=False)


def _weight(component, weight, shape, dtype, what="weight"):
    if weight is None:
        return None
    w = as_float_array(component, weight, what)
    try:
        fits = np.broadcast_shapes(w.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{component}: {what} of shape {tuple(w.shape)} does not broadcast to the input "
                         f"shape {tuple(shape)}") from None
    return w.astype(dtype, copy=False)


def _finish(x, total, dx, reduction, count, none_kept=False):
    """Scale by 1/count for 'mean'; return (loss as x's scalar type, dx in x's dtype). Every target
    ignored (``none_kept``): the mean is NaN and the gradient 0, as torch's."""
    if reduction == "mean":
        count = x.dtype.type(count)
        with np.errstate(invalid="ignore", divide="ignore"):
            total, dx = total / count, (dx if none_kept else dx / count)
    dx = np.asarray(dx, dtype=x.dtype)
    if not dx.flags.writeable:                      # a broadcast view: the caller may scale it in place
        dx = dx.copy()
    return x.dtype.type(total), dx


# ---------------------------------------------------------------- class-index losses
def _classes(component, x, y, weight, ignore_index):
    """(N, C, d...) scores and (N, d...) ids -> flat (M, C) scores, (M,) ids, (M,) kept mask, weights."""
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{component}: ignore_index must be an integer (a class id never used), got {ignore_index!r}")
    x = as_float_array(component, x, "input")
    check_ndim(component, x, tuple(range(2, 9)), "(N, C) or (N, C, d1, ...)", "input")
    n, c = x.shape[:2]
    y = np.asarray(y)
    want = (n,) + x.shape[2:]
    if y.shape != want:
        raise ValueError(f"{component}: expected target of shape {want}, got shape {tuple(y.shape)}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{component}: expected integer class ids as target, got dtype {y.dtype}")
    if x.size == 0:
        raise ValueError(f"{component}: expected a non-empty input, got shape {tuple(x.shape)}")
    flat = np.moveaxis(x, 1, -1).reshape(-1, c)
    yf = y.reshape(-1)
    keep = yf != ignore_index
    bad = keep & ((yf < 0) | (yf >= c))
    if bad.any():
        raise ValueError(f"{component}: target ids must lie in [0, {c}) (or be ignore_index={ignore_index}), "
                         f"got {int(yf[bad][0])}")
    w = None
    if weight is not None:
        w = as_float_array(component, weight, "weight")
        if w.shape != (c,):
            raise ValueError(f"{component}: expected weight of shape ({c},), got shape {tuple(w.shape)}")
        w = w.astype(x.dtype, copy=False)
    return x, flat, np.where(keep, yf, 0), keep, w


def _unflatten(dflat, x):
    """(M, C) gradient back to x's (N, C, d...) layout."""
    moved = dflat.reshape((x.shape[0],) + x.shape[2:] + (x.shape[1],))
    return np.ascontiguousarray(np.moveaxis(moved, -1, 1))


def nll_loss(logp, y, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log likelihood on log-probabilities (``F.nll_loss``).
    logp: (N, C) or (N, C, d1, ...), y: (N,) or (N, d1, ...) -> (loss, dlogp of logp's shape)."""
    name = "nll_loss"
    _reduction(name, reduction)
    x, flat, yk, keep, w = _classes(name, logp, y, weight, ignore_index)
    rows = np.arange(flat.shape[0])
    wy = (w[yk] if w is not None else np.ones(len(yk), dtype=x.dtype)) * keep
    with np.errstate(invalid="ignore"):            # an ignored row's -inf or NaN left out, as torch's
        total = -np.where(keep, wy * flat[rows, yk], 0).sum()
    dflat = np.zeros_like(flat)
    dflat[rows, yk] = -wy
    return _finish(x, total, _unflatten(dflat, x), reduction, wy.sum(), not keep.any())


def cross_entropy_loss(x, y, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy on scores (``F.cross_entropy``), class weights and label smoothing.
    x: (N, C) or (N, C, d1, ...), y: (N,) or (N, d1, ...) -> (loss, dx of x's shape)."""
    name = "cross_entropy_loss"
    _reduction(name, reduction)
    if isinstance(label_smoothing, (bool, str, bytes)) or not isinstance(label_smoothing, (int, float, np.integer,
                                                                                         np.floating)) \
            or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    x, flat, yk, keep, w = _classes(name, x, y, weight, ignore_index)
    m, c = flat.shape
    rows = np.arange(m)
    with np.errstate(invalid="ignore"):            # an ignored row of -inf scores (padding): NaN, left out below
        shifted = flat - flat.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        p = np.exp(logp)
    wc = w if w is not None else np.ones(c, dtype=x.dtype)
    wy = wc[yk] * keep
    eps = x.dtype.type(label_smoothing)
    # d/dx of w_y * (-logp_y) is w_y * (p - onehot); of sum_c w_c (-logp_c) it is W * p - w
    # an ignored row (padding, scores all -inf) is left out, not multiplied by 0: its NaN stays out, as torch's
    nll_total = -np.where(keep, wy * logp[rows, yk], 0).sum()
    dnll = np.where(keep[:, None], p * wy[:, None], 0).astype(x.dtype, copy=False)
    dnll[rows, yk] -= wy
    total, dflat = (1 - eps) * nll_total, (1 - eps) * dnll
    if label_smoothing:
        kept = keep[:, None]
        smooth_total = -np.where(kept, logp * wc, 0).sum()
        dsmooth = np.where(kept, p * wc.sum() - wc, 0).astype(x.dtype, copy=False)
        total = total + eps / c * smooth_total
        dflat = dflat + (eps / c) * dsmooth
    count = wy.sum() if w is not None else keep.sum()
    return _finish(x, total, _unflatten(dflat, x), reduction, count, not keep.any())


def temporal_softmax_loss(x, y, mask=None):
    """cs231n's temporal softmax loss. x: (N, T, V) scores, y: (N, T) ids in [0, V), mask: (N, T)
    (True / 1 = counted; default all) -> (loss, dx (N, T, V)). The sum over the kept steps is
    divided by N, not by the number of kept steps."""
    name = "temporal_softmax_loss"
    x = as_float_array(name, x, "scores")
    check_ndim(name, x, (3,), "(N, T, V)", "scores")
    n, t, v = x.shape
    y = np.asarray(y)
    if y.shape != (n, t):
        raise ValueError(f"{name}: expected labels of shape {(n, t)}, got shape {tuple(y.shape)}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name}: expected integer labels, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= v):
        raise ValueError(f"{name}: labels must lie in [0, {v}), got {int(y[(y < 0) | (y >= v)].flat[0])}")
    mask = np.ones((n, t), dtype=bool) if mask is None else check_mask(name, mask)
    if mask.shape != (n, t):
        raise ValueError(f"{name}: expected mask of shape {(n, t)}, got shape {tuple(mask.shape)}")
    if n == 0:
        raise ValueError(f"{name}: expected at least one sequence, got shape {tuple(x.shape)}")
    flat = x.reshape(n * t, v)
    yf, mf = y.reshape(-1), mask.reshape(-1).astype(x.dtype)
    shifted = flat - flat.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n * t)
    loss = -(mf * logp[rows, yf]).sum() / n
    dx = np.exp(logp)
    dx[rows, yf] -= 1
    dx *= mf[:, None] / x.dtype.type(n)
    return x.dtype.type(loss), dx.reshape(n, t, v)


# ---------------------------------------------------------------- elementwise losses
def binary_cross_entropy(p, y, weight=None, reduction="mean"):
    """``F.binary_cross_entropy``: p probabilities in [0, 1], y targets in [0, 1], same shape.
    Each log is clamped at -100 and the gradient is ``w (p - y) / max(p (1 - p), 1e-12)``."""
    name = "binary_cross_entropy"
    _reduction(name, reduction)
    p, y = _pair(name, p, y)
    for what, a in (("probabilities in [0, 1] as input", p), ("targets in [0, 1]", y)):
        if a.size and not (a.min() >= 0 and a.max() <= 1):          # NaN fails too, as in torch
            seen = a[~np.isnan(a)]
            got = [f"values in [{float(seen.min())}, {float(seen.max())}]"] if seen.size else []
            got += ["NaN"] if seen.size < a.size else []
            raise ValueError(f"{name}: expected {what}, got {' and '.join(got)}")
    w = _weight(name, weight, p.shape, p.dtype)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_1mp = np.maximum(np.log1p(-p), -100)
    loss = -(y * log_p + (1 - y) * log_1mp)
    dx = (p - y) / np.maximum((1 - p) * p, p.dtype.type(_BCE_EPS))
    if w is not None:
        loss, dx = loss * w, dx * w
    return _finish(p, loss.sum(), np.broadcast_to(dx, p.shape), reduction, p.size)


def binary_cross_entropy_with_logits(x, y, weight=None, pos_weight=None, reduction="mean"):
    """``F.binary_cross_entropy_with_logits``: ``(1 - y) x + (1 + (pw - 1) y) softplus(-x)``
    times weight, never overflowing. x, y: same shape; pos_weight: (C,) over the last axis."""
    name = "binary_cross_entropy_with_logits"
    _reduction(name, reduction)
    x, y = _pair(name, x, y)
    w = _weight(name, weight, x.shape, x.dtype)
    pw = _weight(name, pos_weight, x.shape, x.dtype, "pos_weight")
    softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))        # -log sigmoid(x)
    z = np.exp(-np.abs(x))
    sig = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    if pw is None:
        loss = (1 - y) * x + softplus_neg
        dx = sig - y
    else:
        log_weight = 1 + (pw - 1) * y
        loss = (1 - y) * x + log_weight * softplus_neg
        dx = (pw * y + 1 - y) * sig - pw * y
    if w is not None:
        loss, dx = loss * w, dx * w
    return _finish(x, loss.sum(), dx, reduction, x.size)


def l1_loss(x, target, reduction="mean"):
    """``F.l1_loss``: |x - target|; the gradient at equality is 0."""
    name = "l1_loss"
    _reduction(name, reduction)
    x, target = _pair(name, x, target)
    d = x - target
    return _finish(x, np.abs(d).sum(), np.sign(d), reduction, x.size)


def huber_loss(x, target, reduction="mean", delta=1.0):
    """``F.huber_loss``: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    name = "huber_loss"
    _reduction(name, reduction)
    delta = check_number(name, "delta", delta, 0, low_open=True)
    x, target = _pair(name, x, target)
    d = x - target
    a = np.abs(d)
    dl = x.dtype.type(delta)
    quad = a < dl
    loss = np.where(quad, 0.5 * d * d, dl * (a - 0.5 * dl))
    return _finish(x, loss.sum(), np.clip(d, -dl, dl), reduction, x.size)


def smooth_l1_loss(x, target, reduction="mean", beta=1.0):
    """``F.smooth_l1_loss``: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta 0: L1)."""
    name = "smooth_l1_loss"
    _reduction(name, reduction)
    beta = check_number(name, "beta", beta, 0)
    if beta == 0:
        return l1_loss(x, target, reduction)
    x, target = _pair(name, x, target)
    d = x - target
    a = np.abs(d)
    b = x.dtype.type(beta)
    quad = a < b
    loss = np.where(quad, 0.5 * d * d / b, a - 0.5 * b)
    return _finish(x, loss.sum(), np.where(quad, d / b, np.sign(d)), reduction, x.size)


def kl_div_loss(logq, p, reduction="mean", log_target=False):
    """``F.kl_div(input=logq, target=p)``: pointwise ``p (log p - logq)`` (0 where p = 0), or with
    ``log_target`` ``exp(p) (p - logq)``. logq, p: same shape, (N, ...).
    reduction: 'batchmean' (sum / N: the KL divergence), 'sum', or 'mean' (sum / number of elements)."""
    name = "kl_div_loss"
    _reduction(name, reduction, ("batchmean", "sum", "mean"))
    log_target = check_flag(name, "log_target", log_target)      # the string "False" would switch it on
    logq, p = _pair(name, logq, p)
    if log_target:
        tp = np.exp(p)
        loss = tp * (p - logq)
        dx = -tp
    else:
        if p.min() < 0:
            raise ValueError(f"{name}: expected a target of probabilities (>= 0), got a minimum of {float(p.min())}")
        safe = np.where(p > 0, p, 1)
        loss = np.where(p > 0, p * np.log(safe), 0) - p * logq
        dx = -p
    total = loss.sum()
    if reduction == "batchmean":
        n = logq.shape[0] if logq.ndim else 1
        return logq.dtype.type(total / n), np.asarray(dx / logq.dtype.type(n), dtype=logq.dtype)
    return _finish(logq, total, dx, reduction, logq.size)


LOSSES_EXTRA = {"nll": nll_loss, "cross_entropy": cross_entropy_loss, "bce": binary_cross_entropy,
                "bce_with_logits": binary_cross_entropy_with_logits, "l1": l1_loss, "huber": huber_loss,
                "smooth_l1": smooth_l1_loss, "kl_div": kl_div_loss, "temporal_softmax": temporal_softmax_loss}
