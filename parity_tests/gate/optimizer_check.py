"""Check an optimizer or update rule against a ``torch.optim`` class in one call.

Three styles:

* an update rule ``next_w, config = rule(w, dw, config)`` (cs231n), one config per parameter
* an object with ``update(params, grads)`` on dicts, updating in place ("Deep Learning from Scratch"),
  or on lists ("Deep Learning from Scratch 2": ``params[i] -= ...``; an array replaced instead of
  updated in place is a finding, since the layer holding it never sees the step)
* an object with ``update_params(layer)`` on a layer's ``weights``/``dweights`` and
  ``biases``/``dbiases``, with ``pre_update_params()``/``post_update_params()`` around each step
  ("Neural Networks from Scratch"); the parameters are paired into layers in order (an odd one out
  gets an empty bias), and the state it keeps on each layer (``weight_momentums``, ``weight_cache``)
  is compared like the others
* this project's own: a factory ``make(params) -> optimizer`` with ``step(grads)`` and ``state``

Both sides start from the same parameters and take the same gradients (``trajectory.PARAMS`` and
``trajectory.gradient`` by default: ordinary, tiny and large scales) for ``steps`` steps; parameters
and the declared or known state are compared after every step, and each failure names the first
step it diverged at (the comparison loop is ``trajectory.track``).
"""
import inspect
import re

import numpy as np
import torch

from . import conventions as conv
from .api import where
from .compare import compare, failed
from .report import Report
from .tolerance import tolerance_for
from .trajectory import PARAMS, gradient, track

# user state key -> (torch state key, factor): state compared as numpy == factor * torch.
# Classic momentum keeps v = mu*v - lr*g, torch buf = mu*buf + g: v == -lr * buf while lr is constant.
KNOWN_STATE = {
    "velocity": ("momentum_buffer", "-lr"), "v@momentum": ("momentum_buffer", "-lr"),
    "cache": ("square_avg", 1.0), "h@rmsprop": ("square_avg", 1.0), "h@adagrad": ("sum", 1.0),
    "m": ("exp_avg", 1.0), "v@adam": ("exp_avg_sq", 1.0), "t": ("step", 1.0), "iter": ("step", 1.0),
    # "Neural Networks from Scratch" keeps them on the layer: weight_momentums, bias_cache...
    "momentums@momentum": ("momentum_buffer", "-lr"), "momentums@adam": ("exp_avg", 1.0),
    "cache@adagrad": ("sum", 1.0), "cache@adam": ("exp_avg_sq", 1.0),
}
TORCH_RULE = {torch.optim.SGD: "momentum", torch.optim.RMSprop: "rmsprop", torch.optim.Adagrad: "adagrad",
              torch.optim.Adam: "adam"}


def _style(optimizer):
    if hasattr(optimizer, "update_params"):
        return "layers"
    if hasattr(optimizer, "update"):
        return "lists" if _takes_lists(optimizer.update) else "update"
    if callable(optimizer) and len(inspect.signature(optimizer).parameters) >= 3:
        return "rule"
    if callable(optimizer):
        return "factory"
    raise TypeError(f"{optimizer!r}: expected an update rule (w, dw, config), an object with update(params, grads) "
                    "or a factory make(params) -> optimizer with step(grads)")


def _takes_lists(update):
    """Whether ``update(params, grads)`` works on lists ("Deep Learning from Scratch 2": ``for i in
    range(len(params))``) rather than dicts (the first book: ``for key in params.keys()``), from its source."""
    try:
        src = inspect.getsource(update)
    except (OSError, TypeError):
        return False
    if re.search(r"\.(keys|items|values)\(\)", src) or re.search(r"\[\s*key\s*\]", src) and "range(" not in src:
        return False
    return bool(re.search(r"range\(\s*len\(|enumerate\(|zip\(|\[\s*i\s*\]", src))


def _state_map(torch_cls, declared):
    rule = TORCH_RULE.get(torch_cls, "")
    out = {}
    for key, target in sorted(KNOWN_STATE.items(), key=lambda kv: "@" not in kv[0]):   # the rule's own first
        name, _, scope = key.partition("@")
        if not scope or scope == rule:
            out.setdefault(name, target)
    out.update({k: (v if isinstance(v, tuple) else (v, 1.0)) for k, v in (declared or {}).items()})
    return out


def _user_state(style, opt, configs, name):
    """The user's state for parameter ``name``: {key: value}."""
    if style == "rule":
        return configs[name]
    if style == "factory":
        return getattr(opt, "state", {}).get(name, {})
    if style == "layers":                           # configs: {param name: (layer, "weight" or "bias")}
        layer, role = configs[name]
        return {k[len(role) + 1:]: v for k, v in vars(layer).items()
                if k.startswith(role + "_") and isinstance(v, np.ndarray)}
    out = {}
    index = list(configs).index(name)               # "lists": the parameter's place in the list
    for key, value in vars(opt).items():
        if style == "lists" and isinstance(value, list) and len(value) == len(configs):
            out[key] = value[index]
        elif isinstance(value, dict) and name in value:
            out[key] = value[name]
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool) and key in ("iter", "t"):
            out[key] = value
    return out


def check_optimizer(optimizer, torch_optimizer, hyper, *, hints=True, **kwargs):
    """Run ``optimizer`` and ``torch_optimizer(params, **hyper)`` side by side; returns a ``Report``.
    Keywords as ``_check``. A failure that ``adam_eps=folded`` explains exactly carries that hint."""
    import copy
    fresh = copy.deepcopy(optimizer) if hasattr(optimizer, "update") or hasattr(optimizer, "update_params") \
        else optimizer
    report = _check(optimizer, torch_optimizer, hyper, **kwargs)
    if fresh is not optimizer and _style(optimizer) == "update" and \
            any(r.check == "error" and r.note.startswith("raised KeyError at step 1: 0") for r in report.failures):
        # update(params, grads) indexing by position: lists after all ("Deep Learning from Scratch 2" with
        # a loop the source test did not see, for j in range(n))
        kwargs = {**kwargs, "style": "lists"}
        report = _check(copy.deepcopy(fresh), torch_optimizer, hyper, **kwargs)
    declared = conv.parse(kwargs.get("conventions") or {})
    if report.passed:
        return report
    if not hints:
        return _explain_adam(_explain_nesterov(report, fresh, optimizer, torch_optimizer, hyper, kwargs),
                             fresh, optimizer, torch_optimizer, hyper, kwargs)
    adam = torch_optimizer is torch.optim.Adam
    options = [("adam_eps", "folded")] * adam + [("velocity", "torch"), ("velocity", "negated")] * (not adam) \
        + [("adam_t", "next")] * adam
    for name, value in options:
        if name in declared:
            continue
        again = copy.deepcopy(fresh) if fresh is not optimizer else optimizer
        if _check(again, torch_optimizer, hyper, **{**kwargs, "conventions": {**declared, name: value}}).passed:
            for r in report.failures:
                r.note = (r.note + "; " if r.note else "") + "hint: " + conv.hint(name, value)
            return report
    return _explain_adam(_explain_nesterov(report, fresh, optimizer, torch_optimizer, hyper, kwargs),
                         fresh, optimizer, torch_optimizer, hyper, kwargs)


class UncorrectedStepAdam(conv.FoldedEpsAdam):
    """Adam whose bias corrections divide by ``1 - beta1`` and ``1 - beta2`` at every step, the step
    count ``t`` left out of ``1 - beta**t`` (ML-From-Scratch's ``Adam``): the moments as Adam's, the step
    from them without t. Not a convention: used only to say what a failing Adam does."""

    @staticmethod
    def _apply(p, st, group, t, b1, b2):
        p.addcdiv_(st["exp_avg"] / (1 - b1), (st["exp_avg_sq"] / (1 - b2)).sqrt() + group["eps"],
                   value=-group["lr"])


def _explain_adam(report, fresh, optimizer, torch_optimizer, hyper, kwargs):
    """A failing Adam that steps exactly as Adam without ``t`` in its bias corrections says so."""
    import copy
    if report.passed or torch_optimizer is not torch.optim.Adam or fresh is optimizer or \
            conv.parse(kwargs.get("conventions") or {}).get("adam_eps"):
        return report
    if _check(copy.deepcopy(fresh), UncorrectedStepAdam, hyper, **kwargs).passed:
        for r in report.failures:
            r.note = (r.note + "; " if r.note else "") + (
                "it steps as Adam whose bias corrections divide by 1 - beta1 and 1 - beta2: the step count t is "
                "missing (m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t))")
    return report


class AfterStepNesterov(torch.optim.Optimizer):
    """Nesterov momentum as "Deep Learning from Scratch" (both volumes) writes it: ``v = mu*v - lr*g``
    first, then ``p += mu*mu*v - (1 + mu)*lr*g`` with the velocity AFTER the step. The paper it cites
    (arXiv 1212.0901, eq. 7) and torch add ``mu*mu`` times the velocity BEFORE the step. Not a
    convention: used only to say what a failing Nesterov does."""

    def __init__(self, params, lr, momentum, nesterov=True):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, mu = group["lr"], group["momentum"]
            for p in group["params"]:
                st = self.state[p]
                buf = st.setdefault("momentum_buffer", torch.zeros_like(p))
                buf.mul_(mu).add_(p.grad)                       # v = -lr * buf
                p.add_(mu * mu * buf + (1 + mu) * p.grad, alpha=-lr)


def _explain_nesterov(report, fresh, optimizer, torch_optimizer, hyper, kwargs):
    """A failing Nesterov that steps exactly as the books' form says so (its parameters still fail)."""
    import copy
    if report.passed or torch_optimizer is not torch.optim.SGD or not hyper.get("nesterov"):
        return report
    again = copy.deepcopy(fresh) if fresh is not optimizer else optimizer
    if _check(again, AfterStepNesterov, hyper, **kwargs).passed:
        for r in report.failures:
            r.note = (r.note + "; " if r.note else "") + (
                "it steps as p += mu*mu*v - (1 + mu)*lr*g with v already updated (v = mu*v - lr*g): Nesterov "
                "momentum (arXiv 1212.0901, eq. 7; torch's nesterov=True) adds mu*mu times the velocity before "
                "this step's update; compute the step before updating v")
    return report


def _check(optimizer, torch_optimizer, hyper, *, config=None, steps=20, dtype="float64", seed=0,
           grads=None, params=None, state=None, conventions=None, name=None, tolerances=None, lr_factor=None,
           style=None):
    """One run of the optimizer check.

    ``config``: the initial config of an update rule (copied per parameter). ``grads``: a list of
    {name: array} per step, or ``fn(step, params) -> {name: array}``; default: the fixed problem.
    ``params``: {name: array} start values. ``state``: {user key: torch key or (torch key, factor)}
    added to the known correspondences (velocity, cache, m, v, t, h, iter). ``conventions``:
    ``{"adam_eps": "folded"}`` swaps in Adam with the eps folded into the step size. ``lr_factor``:
    ``fn(i) -> float``, torch's learning rate at the i-th step (from 0) is ``lr * fn(i)`` (a decay
    the optimizer applies itself, "Neural Networks from Scratch"'s ``lr / (1 + decay * iterations)``).
    """
    dtype = np.dtype(dtype)
    cv = conv.parse(conventions or {})
    if lr_factor is not None and not callable(lr_factor):
        raise TypeError(f"check_optimizer: lr_factor= takes a function of the step index (from 0) returning the "
                        f"factor on lr, such as lambda i: 1 / (1 + 0.1 * i); got {type(lr_factor).__name__}")
    label = name or getattr(optimizer, "__name__", type(optimizer).__name__)
    meta = dict(component=label, dtype=dtype.name, sample=f"{steps} steps", seed=seed)
    rng = np.random.default_rng(seed)
    if params is None:
        params = {k: rng.standard_normal(shape) for k, (shape, _) in PARAMS.items()}
    params = {k: np.array(v, dtype=dtype) for k, v in params.items()}
    tensors = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    base_cls = torch_optimizer                      # the state names' (a convention's class keeps them)
    if cv.get("adam_eps") == "folded":
        if torch_optimizer is not torch.optim.Adam:
            raise ValueError(f"convention adam_eps=folded applies to torch.optim.Adam, not {torch_optimizer.__name__}")
        torch_optimizer = conv.FoldedEpsAdam
    # a convention's reference has only the rate, the decay and eps: an optimizer keeping another option
    # (weight decay, RMSprop's momentum) is checked against torch's, so that the option is never dropped
    others = {k for k, v in hyper.items() if v and k not in ("lr", "momentum", "eps", "alpha")}
    if cv.get("momentum") == "average" and torch_optimizer is torch.optim.SGD and not others:
        torch_optimizer = conv.AveragedMomentumSGD
    if cv.get("sqrt_eps") == "inside" and torch_optimizer in (torch.optim.Adagrad, torch.optim.RMSprop) and \
            not others and not hyper.get("momentum"):
        hyper = {"lr": hyper.get("lr", 1e-2), "eps": hyper.get("eps", 1e-10 if torch_optimizer is torch.optim.Adagrad
                                                                 else 1e-8),
                 "alpha": hyper.get("alpha", 0.99) if torch_optimizer is torch.optim.RMSprop else None}
        torch_optimizer = conv.InsideEps
    try:
        style = style or _style(optimizer)
        topt = torch_optimizer(list(tensors.values()), **hyper)
        smap = _state_map(base_cls, state)
        if cv.get("velocity") == "torch":           # v = mu*v + dw; w -= lr*v: the buffer itself
            smap["velocity"] = ("momentum_buffer", 1.0)
        elif cv.get("velocity") == "negated":       # v = mu*v + lr*dw; w -= v: lr times the buffer
            smap["velocity"] = ("momentum_buffer", "lr")
        if cv.get("adam_t") == "next":              # setdefault('t', 1) ... config['t'] = t + 1
            smap["t"] = ("step", "+1")
        configs = _layers(params, dtype) if style == "layers" else {k: dict(config or {}) for k in params}
        opt = optimizer(params) if style == "factory" else optimizer
    except (Exception, SystemExit) as exc:
        return Report([failed(f"raised {type(exc).__name__}: {exc}{where(exc)}", check="error", **meta)])
    lr = hyper.get("lr", 1e-3)

    def grads_at(step):
        if grads is None:
            return {k: gradient(rng, PARAMS[k][0], PARAMS[k][1], step) if k in PARAMS
                    else rng.standard_normal(np.shape(params[k])) for k in params}
        return grads[step - 1] if isinstance(grads, (list, tuple)) else grads(step, params)

    def advance(step):
        g = {k: np.asarray(v).astype(dtype) for k, v in grads_at(step).items()}
        if style == "rule":
            for k in params:
                params[k], configs[k] = optimizer(params[k], g[k].copy(), configs[k])
        elif style == "update":
            optimizer.update(params, {k: v.copy() for k, v in g.items()})
        elif style == "lists":
            findings.extend(_list_step(optimizer, params, g))
        elif style == "layers":
            _layer_step(optimizer, params, configs, g)
        else:
            opt.step({k: v.copy() for k, v in g.items()})
        for k, t in tensors.items():
            t.grad = torch.tensor(g[k])
        if lr_factor is not None:
            factor = float(lr_factor(step - 1))
            if not np.isfinite(factor) or factor < 0:
                raise ValueError(f"lr_factor({step - 1}) returned {factor!r}; expected a finite number >= 0")
            for group in topt.param_groups:
                group["lr"] = lr * factor
        topt.step()
        pairs = [(f"param:{k}", params[k], tensors[k].detach().numpy()) for k in params] + findings
        findings.clear()
        for k, t in tensors.items():
            tstate = topt.state[t]
            for key, value in _user_state(style, opt, configs, k).items():
                tkey, factor = smap.get(key, (key, 1.0))      # same name as torch's: compared as is
                if tkey not in tstate or not isinstance(value, (np.ndarray, int, float, np.number)):
                    continue
                ref = np.asarray(tstate[tkey].detach().numpy() if torch.is_tensor(tstate[tkey]) else tstate[tkey])
                ref, factor = (ref + 1, 1.0) if factor == "+1" else \
                    (ref, {"-lr": -lr, "lr": lr}.get(factor, factor) if isinstance(factor, str) else factor)
                pair = (np.asarray(value, dtype=np.float64 if np.ndim(value) == 0 else None), ref * factor)
                pairs.append((f"state:{k}.{key}",) + pair)
                states.setdefault(f"state:{k}.{key}", []).append((pair[0].copy(), pair[1]))
        return pairs

    states, findings = {}, []
    return _explain_state(track(steps, advance, dtype, meta, tolerances), states, dtype, tolerances, smap)


def _explain_state(report, states, dtype, tolerances, smap):
    """A failure of the kept state alone, while every parameter matches at every step, says so; a
    state that is the exact opposite of the expected one at every step says that too (cs231n's
    ``v = mu*v + lr*dw; w -= v`` steps like ``v = mu*v - lr*dw; w += v`` but keeps -velocity)."""
    bad = report.failures
    if not bad or not all(r.check.startswith("state:") and r.note.startswith("first diverged") for r in bad) \
            or not any(r.check.startswith("param:") for r in report.results):
        return report
    for r in bad:
        key = r.check.rsplit(".", 1)[-1]
        tkey, factor = smap.get(key, (key, 1.0))
        expected = f"torch's {tkey}" + ("" if factor == 1.0 else " times -lr" if factor == "-lr" else f" times {factor}")
        r.note += (f"; the parameters match torch's at every step: only the kept state {key!r} differs "
                   f"(expected: {expected})")
        steps = states.get(r.check, [])
        if steps and all(compare(-a, e, tolerance_for(dtype, r.check, tolerances), component="", check="").passed and np.any(e != 0)
                         for a, e in steps):
            r.note += ", and it is that value's exact opposite at every step: its sign is kept the other way round"
    return report


class _Layer:
    """The parameters of one layer as "Neural Networks from Scratch" keeps them."""


def _layers(params, dtype):
    """``{param name: (layer, role)}``: the parameters paired in order into layers, ``weights`` then
    ``biases`` (an odd one out gets an empty bias of shape (1, 0))."""
    names, out = list(params), {}
    for i in range(0, len(names), 2):
        layer = _Layer()
        out[names[i]] = (layer, "weight")
        if i + 1 < len(names):
            out[names[i + 1]] = (layer, "bias")
        else:
            layer.biases, layer.dbiases = np.zeros((1, 0), dtype), np.zeros((1, 0), dtype)
    return out


def _layer_step(optimizer, params, layers, g):
    """One step: ``pre_update_params()``, ``update_params(layer)`` for each layer, ``post_update_params()``;
    a layer whose arrays were replaced rather than updated in place has them copied back."""
    plural = {"weight": "weights", "bias": "biases"}
    for k, (layer, role) in layers.items():
        setattr(layer, plural[role], params[k])
        setattr(layer, "d" + plural[role], g[k].copy())
    if pre := hook(optimizer, "pre_update"):
        pre()
    for layer in dict.fromkeys(layer for layer, _ in layers.values()):
        optimizer.update_params(layer)
    if post := hook(optimizer, "post_update"):
        post()
    for k, (layer, role) in layers.items():
        new = getattr(layer, plural[role])
        if new is not params[k]:
            params[k][...] = new


def hook(optimizer, prefix):
    """Its bound method ``<prefix>_params()`` ("Neural Networks from Scratch"'s ``pre_update_params``), or
    another of no arguments whose name begins with ``prefix`` (vanillanets' ``pre_update_lr``), or None."""
    names = [f"{prefix}_params"] + sorted(n for n in dir(type(optimizer)) if n.startswith(prefix))
    for n in names:
        fn = getattr(optimizer, n, None)
        if callable(fn):
            try:
                if not [p for p in inspect.signature(fn).parameters.values()
                        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]:
                    return fn
            except (TypeError, ValueError):
                continue
    return None


def _list_step(optimizer, params, g):
    """One ``update(params, grads)`` on lists in the parameters' order; an array the update replaced
    (``params[i] = params[i] - ...``) is copied back and reported: in the book the list holds the
    layers' own arrays, so a replaced one never reaches the layer."""
    names = list(params)
    plist = [params[k] for k in names]
    optimizer.update(plist, [g[k].copy() for k in names])
    found = []
    for i, (k, new) in enumerate(zip(names, plist)):
        if new is not params[k]:
            params[k][...] = new
            found.append((f"in_place:{k}", f"update() replaced params[{i}] with a new array instead of updating "
                                           f"it in place; the layer holding the array never sees the step "
                                           f"(write params[i] -= ...)", None))
    return found


def assert_optimizer_parity(optimizer, torch_optimizer, hyper, **kwargs):
    """``check_optimizer`` that raises ``ParityError`` naming the first step and parameter that diverge."""
    return check_optimizer(optimizer, torch_optimizer, hyper, **kwargs).raise_if_failed()
