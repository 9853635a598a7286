"""``parity scan`` on optimizers built on a model: ``SGD(model, lr, momentum)``, ``Adam(model, lr, beta1,
beta2, eps)``, ``AdamW(..., weight_decay)`` whose ``step()`` updates each of ``model.layers``' weights
from the gradient the layer's backward left beside it (CMU 11-785's MyTorch: ``layer.W`` and
``layer.dLdW``, ``layer.b`` and ``layer.dLdb``).

The weight and gradient attributes are read from the class's source (``W`` and ``dLdW``, ``weight``
and ``grad_weight``...). A model of two layers is built for it and each step's gradients are set on
the layers; ``optimizer_check`` then runs it beside ``torch.optim``'s namesake for its steps, comparing
every weight after every step (the first step that diverges is named).
"""
import ast
import inspect
import re
import textwrap

import numpy as np
import torch

from .lr_backward import LR_NAMES, _grad_names
from .optimizer_check import check_optimizer

MODEL_NAMES = {"model", "net", "network", "mlp", "nn"}
TORCH = [("adamw", torch.optim.AdamW), ("adam", torch.optim.Adam), ("sgd", torch.optim.SGD)]
# the layers' arrays, by the place of the (weight, gradient) pair: a weight (out, in), then a bias (out, 1)
SHAPES = [[(3, 4), (2, 3)], [(3, 1), (2, 1)], [(3,), (2,)]]
STEPS = 20


def _required(fn):
    try:
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]
    except (TypeError, ValueError):
        return None


def recognise(cls):
    """Whether ``cls`` is an optimizer built on a model: ``__init__(model, ...)`` and ``step()``."""
    init, step = _required(cls.__init__), _required(getattr(cls, "step", None)) if callable(
        getattr(cls, "step", None)) else None
    return bool(init) and init[0].lower() in MODEL_NAMES and step == []


def _nodes(cls):
    """Every AST node of the class's source and its bases'."""
    for c in cls.__mro__[:-1]:
        try:
            yield from ast.walk(ast.parse(textwrap.dedent(inspect.getsource(c))))
        except (OSError, TypeError, SyntaxError):
            continue


def _attributes(cls):
    """The attribute names its methods read (``.W``, ``.dLdW``, ``.lr``, and ``getattr(layer, "W")``)."""
    return {n.attr for n in _nodes(cls) if isinstance(n, ast.Attribute)} | \
        {n.value for n in _nodes(cls) if isinstance(n, ast.Constant) and isinstance(n.value, str)
         and n.value.isidentifier()}


def pairs(cls):
    """``[(weight attribute, gradient attribute)]`` its step reads: ``W`` with ``dLdW``, ``b`` with ``dLdb``."""
    names = sorted(_attributes(cls))
    found = []
    for w in names:
        g = next((g for g in names if g != w and g.lower() in _grad_names(w)), None)
        if g:
            found.append((w, g))
    # the weight first, then the bias (W before b, weight before bias)
    return sorted(found, key=lambda p: (p[0].lower().startswith("b"), p[0]))


def unlike(name, cls):
    """Why it is not checked, or None."""
    if _torch(name) is None:
        return (f"an optimizer built on a model ({name}(model, ...)) parity scan does not recognise by name "
                "(it checks SGD, Adam and AdamW)")
    if not any(k.lower() in LR_NAMES for k in inspect.signature(cls.__init__).parameters):
        return f"an optimizer built on a model that takes no learning rate ({name}(model, lr, ...) is checked)"
    if not pairs(cls):
        return ("an optimizer built on a model whose step() reads no weight beside its gradient (W and dLdW, "
                "W and dW, weight and grad_weight) that parity scan could find in its source")
    return None


def _torch(name):
    n = name.lower()
    return next((t for key, t in TORCH if key in n), None)


class _Stub:
    """A layer, or the model holding them."""


def _layer_class(cls):
    """The class its step picks layers by (``isinstance(layer, Linear)``), from its module, else ``_Stub``."""
    names = {n.args[1].id for n in _nodes(cls) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "isinstance" and len(n.args) == 2 and isinstance(n.args[1], ast.Name)}
    space = getattr(cls.__init__, "__globals__", {})
    return next((space[n] for n in sorted(names) if inspect.isclass(space.get(n))), _Stub)


class _OnModel:
    """``update(params, grads)`` (``optimizer_check``'s "update" style) for an optimizer built on a model:
    the weights and gradients are set on the model's layers, ``step()`` runs, the weights are read back.
    ``between``: an activation (no weights) after each layer in ``model.layers`` (an optimizer taking
    ``model.layers[::2]``)."""

    def __init__(self, cls, kwargs, found, between=False):
        self.cls, self.kwargs, self.pairs, self.opt, self.between = cls, kwargs, found, None, between

    def _place(self, k):
        layer, attr = re.fullmatch(r"layers\[(\d+)\]\.(\w+)", k).groups()
        return self.layers[int(layer)], attr

    def update(self, params, grads):
        grad_of = dict(self.pairs)
        if self.opt is None:
            kind = _layer_class(self.cls)
            self.layers = [object.__new__(kind) if kind is not _Stub else _Stub() for _ in SHAPES[0]]
            for k, v in params.items():
                layer, attr = self._place(k)
                setattr(layer, attr, v.copy())
                setattr(layer, grad_of[attr], np.zeros_like(v))
            model = _Stub()
            model.layers = [x for layer in self.layers for x in ((layer, _Stub()) if self.between else (layer,))]
            self.opt = self.cls(model, **self.kwargs)
        for k, v in params.items():
            layer, attr = self._place(k)
            setattr(layer, attr, v.copy())
            setattr(layer, grad_of[attr], grads[k].copy())
        self.opt.step()
        for k in params:
            params[k][...] = getattr(*self._place(k))


def _hyper(cls, torch_cls, momentum):
    """``(its keyword arguments, torch's)``: lr, momentum, and its own defaults for the betas, eps and
    weight decay (torch is given the same)."""
    sig = inspect.signature(cls.__init__).parameters
    default = {k.lower(): p.default for k, p in sig.items() if p.default is not p.empty}
    mine, theirs = {}, {}
    lr_name = next(k for k in sig if k.lower() in LR_NAMES)
    mine[lr_name] = theirs["lr"] = 0.1 if torch_cls is torch.optim.SGD else 0.01
    if torch_cls is torch.optim.SGD:
        mu = next((k for k in sig if k.lower() in ("momentum", "mu")), None)
        if mu:
            mine[mu] = momentum
            theirs["momentum"] = momentum
        return mine, theirs
    b1 = float(default.get("beta1", default.get("beta_1", 0.9)))
    b2 = float(default.get("beta2", default.get("beta_2", 0.999)))
    theirs["betas"] = (b1, b2)
    theirs["eps"] = float(default.get("eps", default.get("epsilon", 1e-8)))
    if torch_cls is torch.optim.AdamW:
        theirs["weight_decay"] = float(default.get("weight_decay", default.get("wd", 0.01)))
    return mine, theirs


class EpsInsideAdam(torch.optim.Optimizer):
    """Adam (AdamW with ``weight_decay``) dividing by ``sqrt(v_hat + eps)``, as 11-785's handout writes it;
    torch adds eps after the root, ``sqrt(v_hat) + eps``. Used only to say what a failing Adam does."""

    def __init__(self, params, lr, betas, eps, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            (b1, b2), lr, eps, wd = group["betas"], group["lr"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                st = self.state[p]
                st["step"] = st.get("step", 0) + 1
                m = st.setdefault("exp_avg", torch.zeros_like(p)).mul_(b1).add_(p.grad, alpha=1 - b1)
                v = st.setdefault("exp_avg_sq", torch.zeros_like(p)).mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                p.mul_(1 - lr * wd)
                p.sub_(lr * (m / (1 - b1 ** st["step"])) / torch.sqrt(v / (1 - b2 ** st["step"]) + eps))


def check(label, cls, seed=0):
    """A ``Report`` over its configurations (SGD: momentum 0 and 0.9), float64, ``STEPS`` steps each."""
    from .report import Report
    torch_cls, found = _torch(label), pairs(cls)
    sig = inspect.signature(cls.__init__).parameters
    momenta = [0.0, 0.9] if torch_cls is torch.optim.SGD and any(k.lower() in ("momentum", "mu") for k in sig) \
        else [0.0]
    params = {}
    for j, (w, _) in enumerate(found[:len(SHAPES)]):
        for i, shape in enumerate(SHAPES[j]):
            params[f"layers[{i}].{w}"] = np.random.default_rng(seed + 7 * i + j).standard_normal(shape)
    report = Report()
    for mu in momenta:
        mine, theirs = _hyper(cls, torch_cls, mu)
        name = label if len(momenta) == 1 else f"{label}(momentum={mu})"
        run = dict(hints=False, steps=STEPS, seed=seed, name=name)
        got = check_optimizer(_OnModel(cls, mine, found), torch_cls, theirs,
                              params={k: v.copy() for k, v in params.items()}, **run)
        if not got.passed:                          # its model holds an activation after each layer
            again = check_optimizer(_OnModel(cls, mine, found, between=True), torch_cls, theirs,
                                    params={k: v.copy() for k, v in params.items()}, **run)
            if again.passed:
                got = again
        if not got.passed and torch_cls is not torch.optim.SGD and check_optimizer(
                _OnModel(cls, mine, found), EpsInsideAdam, theirs, params={k: v.copy() for k, v in params.items()},
                **run).passed:
            for r in got.failures:
                r.note = (r.note + "; " if r.note else "") + (
                    "it divides by sqrt(v_hat + eps), eps inside the square root; torch's Adam divides by "
                    "sqrt(v_hat) + eps (the difference shows where gradients are small)")
        report.extend(got)
    return report
