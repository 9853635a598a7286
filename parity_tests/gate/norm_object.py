"""A BatchNorm or LayerNorm layer checked as an object (``lr_backward.py``'s styles: CMU 11-785's
``BatchNorm1d`` with ``BW``/``Bb``/``running_M``/``running_V`` and ``forward(Z, eval=False)``, blog-style
classes holding ``gamma``/``beta``/``running_mean``/``running_var`` and a ``training`` flag, a
``LayerNorm(d_model)``):

* ``reference``: its training forward and gradients against torch's ``F.batch_norm`` over the batch
  (and the spatial axes) or ``F.layer_norm`` over the trailing axes gamma covers, gamma and beta told
  apart by their names (else by which order matches), eps its own (``eps``/``epsilon``) or, without
  one, the usual value its output shows; a forward that is not torch's is told what it computes where
  it is one of the usual slips (eps outside the square root, the unbiased variance, no eps);
* ``check_state`` (BatchNorm): the running statistics after a training forward, from what they were
  before: ``w * old + (1 - w) * batch statistic``, ``w`` the larger of its momentum attribute and one
  minus it (11-785's ``alpha=0.9``, cs231n's ``momentum=0.9`` and torch's ``momentum=0.1`` all keep 0.9
  of the old value), the variance torch's unbiased one (``running_var=biased`` declared: the 1/N one);
  then the eval forward (``eval=True``, ``training=False``, ``mode='test'``, ``.eval()`` or a
  ``training`` attribute set False) against torch's from those running statistics, leaving them as
  they were.
"""
import inspect
import re

import numpy as np
import torch
import torch.nn.functional as F

from .compare import add_note as _note

GAMMA = re.compile(r"(gamma|bw|weight|scale|^w$|^g$)", re.I)
BETA = re.compile(r"(beta|bb|bias|shift|offset|^b$)", re.I)
VAR = re.compile(r"(var|sigma|std|(^|_)v$)", re.I)
MEAN = re.compile(r"(mean|mu|avg|average|(^|_)m$)", re.I)
RUNNING = re.compile(r"(running|moving|mov_|ema|global|pop|avg|average)", re.I)
MOMENTUM = re.compile(r"^_?(alpha|momentum|decay|rho|mom|bn_momentum|avg_decay|moving_average\w*|ema\w*|"
                      r"running_momentum|average_factor)$", re.I)
EPS = ("eps", "epsilon", "eps_", "_eps", "epsilon_", "_epsilon")
USUAL_EPS = (1e-5, 1e-8, 1e-7, 1e-6, 1e-3, 1e-4, 1e-12)          # torch, 11-785, Keras/DLFS-like, ... (> 0: torch's)
KEEPS = (0.9, 0.99, 0.999, 0.95, 0.8)                              # w, where it keeps no momentum attribute
# a forward's mode argument, by name: its value in training (eval: the other one)
TRAIN_FLAGS = {"training": True, "train": True, "is_training": True, "train_mode": True, "train_flg": True,
               "is_train": True, "train_flag": True, "eval": False, "evaluation": False, "eval_mode": False,
               "inference": False, "test": False, "testing": False, "is_test": False, "predict": False}
MODES = ("train", "training", "test", "eval", "evaluation", "inference", "predict")


def flag(fn, training=True):
    """The keyword arguments that put ``fn`` (a bound forward) in training (or eval) mode by an argument
    of its own (``eval=False``, ``training=True``, ``mode='train'``); {} where it has none."""
    try:
        ps = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        return {}
    for p in ps:
        n = p.name.lower()
        if n in TRAIN_FLAGS and (p.default is p.empty or isinstance(p.default, (bool, int, type(None)))):
            return {p.name: TRAIN_FLAGS[n] if training else not TRAIN_FLAGS[n]}
        if n == "mode" and isinstance(p.default, str) and p.default.lower() in MODES:
            if training:
                return {p.name: "train"}
            try:
                src = inspect.getsource(fn)
            except (OSError, TypeError):
                src = ""
            return {p.name: next((m for m in ("test", "eval", "inference", "predict", "evaluation")
                                  if f"'{m}'" in src or f'"{m}"' in src), "test")}
    return None if not training else {}


def to_eval(obj, fn):
    """Puts ``obj`` in eval mode: ``(forward's keyword arguments, how)``, or None where it has no eval mode."""
    kw = flag(fn, training=False)
    if kw:
        return kw, ", ".join(f"{k}={v!r}" for k, v in kw.items())
    ev = getattr(obj, "eval", None)
    if callable(ev) and not inspect.isclass(ev):
        try:
            if not [p for p in inspect.signature(ev).parameters.values() if p.default is p.empty
                    and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]:
                ev()
                return {}, ".eval()"
        except (TypeError, ValueError):
            pass
    for name, v in vars(obj).items() if hasattr(obj, "__dict__") else ():
        if name.lower() in TRAIN_FLAGS and isinstance(v, (bool, np.bool_)):
            setattr(obj, name, not TRAIN_FLAGS[name.lower()])
            return {}, f"{name} = {not TRAIN_FLAGS[name.lower()]}"
        if name.lower() == "mode" and isinstance(v, str) and v.lower() in MODES:
            setattr(obj, name, "test")
            return {}, f"{name} = 'test'"
    return None


def run_eval(c, obj, names, x, kw, how):
    """``(ran, its eval forward of a copy of x)``; ``ran`` False, with an ``eval_forward`` failure, where it
    raises (an output of None is compared, and fails, as any other)."""
    from .api import where
    from .lr_backward import USER, _kept
    try:                                            # returned, or left in self.output (the nnfs manner)
        return True, _kept(obj, "output", lambda: getattr(obj, names[0])(x.copy(), **kw))
    except USER as e:                               # noqa: BLE001 -- the user's eval mode
        c.fail("eval_forward", f"its eval forward ({how}) raised {type(e).__name__}: {e}{where(e)}")
        return False, None


def _last(k):
    return str(k).rpartition(".")[2]


def _axis(x, c, like=None):
    """The channel axis of ``x`` for ``c`` channels (``like``: gamma's shape, where it says)."""
    if like is not None and len(like) == x.ndim and sum(n != 1 for n in like) == 1:
        return next(i for i, n in enumerate(like) if n != 1)
    if x.ndim >= 2 and x.shape[1] == c:
        return 1
    if x.shape[-1] == c:
        return x.ndim - 1
    return 0 if x.shape[0] == c else None


def _torch_bn(x, gamma, beta, eps, axis, g=None, mean=None, var=None):
    """``(out, dx, dgamma, dbeta)`` of ``F.batch_norm`` along ``axis`` (batch statistics, or the given
    running ones), in float64, the arrays back in the layouts they came in."""
    if np.ndim(x) < 2:
        return None
    xt = torch.tensor(np.moveaxis(np.asarray(x, dtype=np.float64), axis, 1).copy(), requires_grad=True)
    pt = [torch.tensor(np.asarray(p, dtype=np.float64).reshape(-1), requires_grad=True) if p is not None else None
          for p in (gamma, beta)]
    stats = [torch.tensor(np.asarray(s, dtype=np.float64).reshape(-1)) if s is not None else None for s in (mean, var)]
    out = F.batch_norm(xt, stats[0], stats[1], pt[0], pt[1], training=mean is None, momentum=0.0, eps=eps)
    if g is not None:
        (out * torch.tensor(np.moveaxis(np.asarray(g, dtype=np.float64), axis, 1).copy())).sum().backward()
    back = lambda t: np.moveaxis(t.detach().numpy(), 1, axis)       # noqa: E731
    grads = [None if p is None or p.grad is None else p.grad.numpy().reshape(q.shape)
             for p, q in zip(pt, (gamma, beta))]
    return back(out), (back(xt.grad) if xt.grad is not None else None), grads[0], grads[1]


def eps_of(hyper):
    return next((float(hyper[k]) for k in EPS if k in hyper and 0 < float(hyper[k]) < 1), None)


def affine(weights):
    """``[(gamma name, beta name)]`` orders to try among the weights its forward reads (one each:
    by name; else both orders); ``[(None, None)]`` for a normalisation without them."""
    keys = list(weights)
    if not keys:
        return [(None, None)]
    if len(keys) == 1:
        k = keys[0]
        return [(None, k)] if BETA.search(_last(k)) and not GAMMA.search(_last(k)) else [(k, None)]
    if len(keys) != 2:
        return []
    a, b = keys
    named = [(p, q) for p, q in ((a, b), (b, a)) if GAMMA.search(_last(p)) and BETA.search(_last(q))
             and not (GAMMA.search(_last(q)) and BETA.search(_last(p)))]
    return named or [(a, b), (b, a)]


def _trailing(x, c):
    """How many trailing axes of ``x`` hold ``c`` numbers (a LayerNorm's normalised shape), or None."""
    for k in range(1, x.ndim):
        if int(np.prod(x.shape[-k:])) == c:
            return k
    return None


def _torch_ln(x, gamma, beta, eps, k, g=None):
    """``(out, dx, dgamma, dbeta)`` of ``F.layer_norm`` over the last ``k`` axes, in float64."""
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    shape = tuple(x.shape[-k:])
    pt = [torch.tensor(np.asarray(p, dtype=np.float64).reshape(shape), requires_grad=True) if p is not None else None
          for p in (gamma, beta)]
    out = F.layer_norm(xt, shape, pt[0], pt[1], eps)
    if g is not None:
        (out * torch.tensor(np.asarray(g, dtype=np.float64))).sum().backward()
    grads = [None if p is None or p.grad is None else p.grad.numpy().reshape(q.shape)
             for p, q in zip(pt, (gamma, beta))]
    return out.detach().numpy(), xt.grad.numpy() if xt.grad is not None else None, grads[0], grads[1]


def _layout(kind, x, weights, gamma_k):
    """``(torch's function of (gamma, beta, eps, g), the axes its statistics are over)`` or None."""
    c = next((w.size for w in weights.values()), None) or (x.shape[1] if kind == "batchnorm" and x.ndim > 1
                                                         else x.shape[-1])
    if kind == "layernorm":
        k = _trailing(x, c) if x.ndim > 1 else None
        if k is None:
            return None
        return (lambda gm, bt, e, g=None: _torch_ln(x, gm, bt, e, k, g)), tuple(range(x.ndim - k, x.ndim))
    ref_w = weights.get(gamma_k) if gamma_k else None
    axis = _axis(x, c, ref_w.shape if ref_w is not None else None)
    if axis is None or x.ndim < 2:
        return None
    return (lambda gm, bt, e, g=None: _torch_bn(x, gm, bt, e, axis, g)), tuple(i for i in range(x.ndim) if i != axis)


def reference(kind, weights, x, g, out, hyper):
    """``((out, dx, {weight: grad}[, what it computes instead]), what torch was asked, eps)`` for the
    training forward ``out`` of ``x`` (``kind``: "batchnorm" or "layernorm"), or None where no reading
    gives torch's layout."""
    eps = eps_of(hyper)
    best = None
    for gamma_k, beta_k in affine(weights):
        layout = _layout(kind, x, weights, gamma_k)
        if layout is None:
            continue
        gamma, beta = (weights.get(k) if k else None for k in (gamma_k, beta_k))
        for e in ((eps,) if eps is not None else USUAL_EPS):
            ref = layout[0](gamma, beta, e, g)
            if ref is None or ref[0].shape != np.shape(out):
                continue
            err = float(np.max(np.abs(ref[0] - out))) if np.isfinite(out).all() else np.inf
            if best is None or err < best[0]:
                grads = {k: v for k, v in ((gamma_k, ref[2]), (beta_k, ref[3])) if k is not None}
                best = (err, (ref[0], ref[1], grads), e, gamma_k, beta_k, layout[1], gamma, beta)
    if best is None:
        return None
    _, ref, e, gamma_k, beta_k, axes, gamma, beta = best
    if not _close(out, ref[0]) and (why := _explain(x, out, gamma, beta, e, axes, kind)):
        ref = (ref[0], ref[1], ref[2], why)
    said = f"eps={e:g}" + ("" if eps is not None else ", the usual eps nearest its output: it keeps none")
    roles = ", ".join(f"{k} as {r}" for k, r in ((gamma_k, "gamma"), (beta_k, "beta")) if k and _last(k).lower() != r)
    what = "batch_norm on the batch's statistics" if kind == "batchnorm" else "layer_norm over each sample's features"
    return ref, f"torch ({what}, {said}" + (f"; {roles})" if roles else ")"), e


MISREAD = (("eps added outside the square root: torch divides by sqrt(var + eps)",
            lambda xc, v, e, n: xc / (np.sqrt(v) + e)),
           ("the unbiased 1/(N-1) variance: torch normalises by the biased 1/N one",
            lambda xc, v, e, n: xc / np.sqrt(v * n / max(n - 1, 1) + e)),
           ("no eps: torch divides by sqrt(var + eps)", lambda xc, v, e, n: xc / np.sqrt(v)),
           ("the standard deviation where the variance goes: torch divides by sqrt(var + eps)",
            lambda xc, v, e, n: xc / np.sqrt(np.sqrt(v) + e)),
           ("dividing by var + eps, not its square root", lambda xc, v, e, n: xc / (v + e)))


def _explain(x, out, gamma, beta, eps, axes, kind):
    """What a training forward that is not torch's computes instead, or None."""
    xm = np.asarray(x, dtype=np.float64)
    xc = xm - xm.mean(axis=axes, keepdims=True)
    v = xm.var(axis=axes, keepdims=True)
    n = int(np.prod([xm.shape[i] for i in axes]))
    keep = [1 if i in axes else xm.shape[i] for i in range(xm.ndim)] if kind == "batchnorm" else None
    shape = keep if keep else xm.shape[-len(axes):]
    g = np.reshape(gamma, shape) if gamma is not None else 1.0
    b = np.reshape(beta, shape) if beta is not None else 0.0
    what = "the batch" if kind == "batchnorm" else "each sample"
    for why, norm in MISREAD:
        with np.errstate(all="ignore"):
            if _close(g * norm(xc, v, eps, n) + b, out):
                return f"its output is {what} normalised with {why}"
    return None


def _close(got, want):
    return np.shape(got) == np.shape(want) and np.allclose(got, want, rtol=1e-9, atol=1e-12)


def _momenta(hyper):
    """The fractions of the old running value to try: from its momentum attribute, else the usual ones."""
    ms = [float(v) for k, v in hyper.items() if MOMENTUM.match(str(k)) and 0 < float(v) < 1]
    return [max(m, 1 - m) for m in ms] or list(KEEPS)


def _running(before, after, weights, batch, c, grad_names):
    """``{"mean": name, "var": name}``: the arrays of ``c`` numbers, not weights nor their gradients, that
    a training forward changed, kept from before it (or named running_...), not its batch statistics."""
    found = {}
    for k, v in after.items():
        last = _last(k)
        if k in weights or str(k).lower() in grad_names or np.size(v) != c or (k not in before and not RUNNING.search(last)):
            continue
        if k in before and np.array_equal(before[k], v):
            continue
        if not RUNNING.search(last) and any(np.allclose(np.ravel(v), s) for s in batch):
            continue                                # self.mean = the batch's mean: a cache, not a running value
        role = "var" if VAR.search(last) else "mean" if MEAN.search(last) else None
        if role is None and k in before:            # by its start: zeros a mean, ones a variance
            role = "mean" if not np.any(before[k]) else "var" if np.all(before[k] == 1) else None
        if role and role not in found:
            found[role] = k
    return found


def check_state(c, make, names, shape, weights, hyper, eps, cv, rng):
    """The running statistics after a training forward and the eval forward from them (``eps``: the one
    the training forward matched)."""
    from . import lr_backward as lrb                # its object helpers (it imports this module)
    obj = lrb._build(make, 0)
    made = {k: np.array(v, copy=True) for k, v in lrb._params(obj).items()}
    built = set(made)                               # made by its constructor (a cache of the forward's is not)
    x1 = rng.standard_normal(shape)
    x2 = 1.5 + 2.0 * rng.standard_normal(shape)     # statistics far from the last ones: an update shows
    x3 = rng.standard_normal(shape) - 0.5
    lrb._run(obj, names, x1.copy())
    before = {k: np.array(v, copy=True) for k, v in lrb._params(obj).items()}
    out = lrb._run(obj, names, x2.copy())
    after = {k: np.array(v, copy=True) for k, v in lrb._params(obj).items()}
    ws = {k: after[k] for k in weights if k in after}
    cs = next((v.size for v in ws.values()), None) or (shape[1] if len(shape) > 1 else None)
    gamma_k, beta_k = next(iter(affine(ws)), (None, None))
    axis = _axis(x2, cs, ws[gamma_k].shape if gamma_k else None) if cs else None
    if axis is None or not isinstance(out, np.ndarray):
        return
    axes = tuple(i for i in range(x2.ndim) if i != axis)
    m = np.prod([x2.shape[i] for i in axes])
    stats = {"mean": x2.mean(axis=axes), "biased": x2.var(axis=axes),
             "unbiased": x2.var(axis=axes) * m / max(m - 1, 1)}
    grad_names = {n for k in ws for n in lrb._grad_names(k)}
    running = _running(before, {k: v for k, v in after.items() if k in built or RUNNING.search(_last(k))}, ws,
                       (stats["mean"], stats["biased"], stats["unbiased"]), cs, grad_names)
    # one named running_... / moving_... that two training steps left as it was made: never updated
    for k, v in made.items():
        last = _last(k)
        if k not in running.values() and k not in ws and RUNNING.search(last) and (MEAN.search(last) or VAR.search(
                last)) and np.size(v) == cs and np.array_equal(v, after.get(k)):
            role = "var" if VAR.search(last) else "mean"
            if role not in running:
                c.fail(f"running_{role}:{lrb._label(obj, k)}", f"two training forwards left {lrb._label(obj, k)} as "
                       "it was made: the running statistics are never updated")
    biased = (cv or {}).get("running_var") == "biased"
    var = stats["biased" if biased else "unbiased"]
    keeps = _momenta(hyper)

    def update(k, stat, w):
        return (w * np.ravel(before[k]) + (1 - w) * stat).reshape(np.shape(after[k]))
    # the fraction kept: its momentum attribute's, else the usual one its mean (or variance) is nearest
    k0, s0 = (running["mean"], stats["mean"]) if "mean" in running else (running.get("var"), var)
    keep = min(keeps, key=lambda w: float(np.max(np.abs(update(k0, s0, w) - after[k0])))) if k0 else keeps[0]
    for role, stat in (("mean", stats["mean"]), ("var", var)):
        k = running.get(role)
        if k is None:
            continue
        c.add(f"running_{role}:{lrb._label(obj, k)}", after[k], update(k, stat, keep))
        r = c.results[-1]
        r.reference = f"torch (its update keeping {keep:g} of the old value" + (
            ", with the biased 1/N batch variance: running_var=biased)" if role == "var" and biased else ")")
        if r.passed:
            continue
        if role == "var" and _close(after[k], update(k, stats["unbiased" if biased else "biased"], keep)):
            _note(r, "it is the update with the " + ("unbiased 1/(N-1)" if biased else "biased 1/N (np.var's)")
                  + " batch variance" + ("" if biased else ": torch keeps the unbiased one (declare "
                                         "running_var=biased if intended)"))
        elif _close(after[k], update(k, stat, 1 - keep)):
            _note(r, f"it keeps {1 - keep:g} of the old value and takes {keep:g} of the batch's: the momentum "
                     "the wrong way round")
    if "mean" not in running or "var" not in running:
        return
    fn = getattr(obj, names[0])
    mode = to_eval(obj, fn)
    if mode is None:                                # no eval mode: nothing reads the running statistics
        return
    kw, how = mode
    held = {k: np.array(v, copy=True) for k, v in lrb._params(obj).items()}
    ran, got = run_eval(c, obj, names, x3, kw, how)
    if not ran:
        return
    ref = _torch_bn(x3, held.get(gamma_k) if gamma_k else None, held.get(beta_k) if beta_k else None,
                    eps, axis,
                    mean=held[running["mean"]], var=held[running["var"]])
    if ref is None:
        return
    c.add("eval_forward", got, ref[0])
    c.results[-1].reference = f"torch (batch_norm from its running statistics, eps={eps:g}; eval by {how})"
    now = lrb._params(obj)
    moved = [lrb._label(obj, k) for k in running.values() if not np.array_equal(now.get(k), held[k])]
    if moved:
        c.fail("eval_forward", f"its eval forward ({how}) changed {', '.join(moved)}: the running statistics "
                               "are updated in training only")
