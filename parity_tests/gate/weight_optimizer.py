"""An optimizer class whose ``update`` returns the next value of ONE weight:

* ``update(w, grad)``, the layers keeping a copy of it per weight (ML-From-Scratch's
  ``StochasticGradientDescent``, ``Adam``, ``RMSprop``, ``Adagrad``, ``Adadelta``: ``self.W =
  self.W_opt.update(self.W, grad_w)``, ``self.W_opt = copy.copy(optimizer)``);
* ``update(param, param_grad, param_name, cur_loss=None)``, one object for every weight, its state kept
  by name (numpy-ml's ``SGD``, ``AdaGrad``, ``RMSProp``, ``Adam``, their hyperparameters in
  ``self.hyperparameters``).

Built with its own defaults (one taking a ``momentum`` of 0 also with 0.9), its hyperparameters read
from its attributes (``layer_optimizer.hyper``), then 20 steps on several weights beside the torch
optimizer of its name (``optimizer_check.py``).

Declared conventions it reads: ``momentum=average`` (the velocity an average of the gradients, from 0)
and ``sqrt_eps=inside`` (Adagrad, RMSprop: ``sqrt(G + eps)``), as ML-From-Scratch writes them; and
``adam_eps=folded``."""
import ast
import copy
import inspect
import re
import textwrap
from types import SimpleNamespace

import numpy as np
import torch

from .layer_optimizer import LR, hyper, run_configs

T = torch.optim
TORCH = {"sgd": T.SGD, "adam": T.Adam, "adamw": T.AdamW, "rmsprop": T.RMSprop, "adagrad": T.Adagrad,
         "adadelta": T.Adadelta}
NAMES = {"sgd": "sgd", "stochasticgradientdescent": "sgd", "gradientdescent": "sgd", "momentum": "sgd",
         "sgdmomentum": "sgd", "adam": "adam", "adamw": "adamw", "rmsprop": "rmsprop", "adagrad": "adagrad",
         "adadelta": "adadelta"}
WEIGHT = ("w", "weight", "weights", "param", "parameter", "p", "theta", "x", "var", "value", "tensor")
NAME = ("param_name", "name", "key", "param_key", "pname", "param_id")
CONVENTIONS = {"sgd": ("momentum",), "rmsprop": ("sqrt_eps",), "adagrad": ("sqrt_eps",), "adam": ("adam_eps",)}


def kind(name):
    """``sgd``, ``adam``, ``rmsprop``, ``adagrad`` or ``adadelta`` for an optimizer class's name, else None."""
    return NAMES.get(re.sub(r"(optimi[sz]er|_)", "", name.lower()))


UPDATES = ("update", "optimise", "optimize")      # sinnn's optimise(weights, grad_weights) -> new weights


def recognise(name, cls):
    """Whether ``cls`` is such an optimizer: named like one, ``update(w, grad)`` (or ``optimise(w, grad)``)
    taking one weight and its gradient and returning a value (the next weight)."""
    return kind(name) is not None and _method(cls) is not None


def _method(cls):
    """The name of its update of one weight (``update``, ``optimise``), or None."""
    return next((m for m in UPDATES if _updates_one(getattr(cls, m, None))), None)


def _updates_one(update):
    if not callable(update):
        return False
    try:
        required = [p.name for p in inspect.signature(update).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]
        tree = ast.parse(textwrap.dedent(inspect.getsource(update)))
    except (TypeError, ValueError, OSError, SyntaxError):
        return False
    if len(required) not in (2, 3) or required[0].lower() not in WEIGHT or \
            len(required) == 3 and required[2].lower() not in NAME:
        return False
    grad = required[1].lower()
    if "grad" not in grad and not re.fullmatch(r"d_?w\w*|dx|g|gw|dparam\w*", grad) or re.search(r"(func|fn)$", grad):
        return False                                # NesterovAcceleratedGradient's update(w, grad_func)
    weight = required[0]
    return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(tree)) or any(
        # or steps the weight in place: w -= ..., w[...] = ..., np.subtract(w, ..., out=w)
        isinstance(n, ast.AugAssign) and isinstance(n.target, (ast.Name, ast.Subscript)) and
        _root(n.target) == weight or isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Subscript) and _root(t) == weight for t in n.targets) or
        isinstance(n, ast.keyword) and n.arg == "out" and isinstance(n.value, ast.Name) and n.value.id == weight
        for n in ast.walk(tree))


def _root(node):
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _named(cls):
    """Whether its update takes the weight's name too (numpy-ml's)."""
    return len([p for p in inspect.signature(getattr(cls, _method(cls))).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]) == 4


class _PerWeight:
    """``update(params, grads)`` on a dict, the form ``optimizer_check`` drives: each weight stepped by
    its own copy of the optimizer, ``params[k] = copy.update(params[k], grads[k])``, or, for an update
    taking the weight's name, by the one optimizer, ``params[k] = opt.update(params[k], grads[k], k)``."""

    def __init__(self, opt):
        self._proto, self._copies, self._named, self._step = opt, {}, _named(type(opt)), _method(type(opt))

    def update(self, params, grads):
        for k, w in list(params.items()):
            if self._named:
                new = getattr(self._proto, self._step)(w, grads[k], k)
            else:
                new = getattr(self._copies.setdefault(k, copy.deepcopy(self._proto)), self._step)(w, grads[k])
            if new is not None:
                params[k] = np.asarray(new)


def _hyper(k, opt):
    """torch's keyword arguments, from its attributes and those in its ``hyperparameters`` dict (numpy-ml's
    ``lr``, ``decay1``, ``decay2``, ``decay``, ``eps``, ``momentum``)."""
    held = getattr(opt, "hyperparameters", None)
    a = {**(held if isinstance(held, dict) else {}), **vars(opt)}
    opt = SimpleNamespace(**{n: v for n, v in a.items() if isinstance(n, str)})
    if k == "adadelta":
        num = {n: float(v) for n, v in a.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return {"lr": next((num[n] for n in LR if n in num), 1.0),
                "rho": next((num[n] for n in ("rho", "gamma", "beta", "decay_rate", "decay") if n in num), 0.9),
                "eps": next((num[n] for n in ("eps", "epsilon") if n in num), 1e-6)}
    return hyper(k, opt)


def check(name, cls, dtypes, seed, error, cv=None):
    """A ``Report``: each configuration, 20 steps against torch (``error(label, dtype, note)``: a failed
    result for a constructor that raises)."""
    k = kind(name)
    conventions = {n: v for n, v in (cv or {}).items() if n in CONVENTIONS.get(k, ())}
    return run_configs(name, cls, k, dtypes, seed, error, _PerWeight, TORCH[k], lambda opt: _hyper(k, opt),
                       conventions)
