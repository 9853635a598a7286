"""An optimizer class whose ``update(layer)`` steps one layer's ``weights``/``biases`` by its
``dweights``/``dbiases`` (the blogs' ``Adam``/``SGD`` beside their ``Dense`` layers; "Neural Networks
from Scratch" names the same method ``update_params``): built with its own defaults (an SGD taking a
``momentum`` also with 0.9), its hyperparameters read from its attributes (``learning_rate``/``lr``,
``momentum``, ``beta1``/``beta_1``, ``beta2``, ``eps``/``epsilon``, ``rho``/``decay_rate``), then 20
steps on two layers beside the torch optimizer of its name (``optimizer_check.py``)."""
import inspect
import re

import numpy as np
import torch

from .compare import add_note
from .optimizer_check import check_optimizer
from .report import Report

T = torch.optim
TORCH = {"sgd": T.SGD, "momentum": T.SGD, "nesterov": T.SGD, "adam": T.Adam, "rmsprop": T.RMSprop,
         "adagrad": T.Adagrad}
LR = ("learning_rate", "lr", "eta", "step_size", "alpha")
READS = re.compile(r"\b(?:layer|l|lyr)\.(dweights|dbiases)\b")
# or through getattr on the names (kronyx's ``getattr(layer, grad_attr)`` over ("weights", "dweights", ...))
GETATTR = re.compile(r"\bgetattr\(\s*(?:layer|l|lyr)\s*,")
NAMED = re.compile(r"""["']d(?:weights|biases)["']""")


def _kind(name):
    return re.sub(r"^(optimizer_?)|_", "", name.lower())


def recognise(name, cls):
    """Whether ``cls`` is such an optimizer: named like one, ``update(layer)`` reading ``layer.dweights``."""
    update = getattr(cls, "update", None)
    if _kind(name) not in TORCH or not callable(update):
        return False
    try:
        required = [p.name for p in inspect.signature(update).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]
        src = inspect.getsource(update)
    except (TypeError, ValueError, OSError):
        return False
    if len(required) != 1 or required[0] not in ("layer", "l", "lyr"):
        return False
    if READS.search(src):
        return True
    try:                                            # the names "dweights", "dbiases" in its file (a helper's)
        return bool(GETATTR.search(src)) and bool(NAMED.search(inspect.getsource(inspect.getmodule(cls))))
    except (TypeError, OSError):
        return False


def _first(attrs, names, default=None):
    return next((float(attrs[k]) for k in names if isinstance(attrs.get(k), (int, float)) and
                 not isinstance(attrs.get(k), bool)), default)


def hyper(kind, opt):
    """torch's keyword arguments for the optimizer ``opt`` as built, from its attributes: the rate, the
    decays, eps, and the options torch has beside them where it keeps them (``weight_decay``,
    ``nesterov``, ``dampening``, RMSprop's ``momentum`` and ``centered``, Adagrad's
    ``initial_accumulator_value`` and ``lr_decay``, Adam's ``amsgrad``)."""
    a = vars(opt)
    lr_name = next((k for k in LR if isinstance(a.get(k), (int, float)) and not isinstance(a.get(k), bool)), None)
    lr = _first(a, LR)
    wd = _first(a, ("weight_decay", "wd"), 0.0)
    extra = {"weight_decay": wd} if wd or kind == "adamw" else {}
    if kind in ("sgd", "momentum", "nesterov"):
        # the first of these not 0: a Momentum(learning_rate, eta=0.9) keeps its velocity as self.momentum,
        # 0 at first (sinnn's)
        momentum = next((float(a[k]) for k in ("momentum", "mu", "beta", "gamma") + (("eta",) * (lr_name != "eta"))
                         if isinstance(a.get(k), (int, float)) and not isinstance(a.get(k), bool) and a[k]), 0.0)
        nesterov = kind == "nesterov" or (a.get("nesterov") is True and momentum > 0)
        dampening = _first(a, ("dampening",), 0.0)
        return {"lr": lr, "momentum": momentum, **({"nesterov": True} if nesterov else {}),
                **({"dampening": dampening} if dampening and not nesterov else {}), **extra}
    if kind in ("adam", "adamw"):
        return {"lr": lr, "betas": (_first(a, ("beta1", "beta_1", "b1", "decay1"), 0.9),
                                    _first(a, ("beta2", "beta_2", "b2", "decay2"), 0.999)),
                "eps": _first(a, ("eps", "epsilon"), 1e-8), **extra,
                **({"amsgrad": True} if a.get("amsgrad") is True else {})}
    if kind == "rmsprop":
        # Keras's decay is the learning rate's: the averaging rate's other names first
        decay = ("rho", "decay_rate", "beta", "gamma") + (("alpha",) if lr_name != "alpha" else ()) + ("decay",)
        return {"lr": lr, "alpha": _first(a, decay, 0.99), "eps": _first(a, ("eps", "epsilon"), 1e-8), **extra,
                **({"momentum": _first(a, ("momentum",))} if _first(a, ("momentum",)) else {}),
                **({"centered": True} if a.get("centered") is True else {})}
    return {"lr": lr, "eps": _first(a, ("eps", "epsilon"), 1e-10), **extra,
            **{k: _first(a, (k,)) for k in ("initial_accumulator_value", "lr_decay") if _first(a, (k,))}}


KEEPS = {"lr": LR, "eps": ("eps", "epsilon"), "momentum": ("momentum", "mu"),
         "betas": ("beta1", "beta_1", "b1", "decay1", "beta2", "beta_2", "b2", "decay2"),
         "alpha": ("rho", "decay_rate", "decay", "beta", "gamma")}


def kept(kind, opt):
    """The keyword arguments of ``hyper`` that ``opt`` keeps as attributes of its own (an ``epsilon`` of
    1e-8 where the book's Adam writes 1e-7 into its update), so that they replace the book's values."""
    try:
        a = vars(opt)
    except TypeError:
        return {}
    full = hyper(kind, opt)
    return {k: v for k, v in full.items() if any(isinstance(a.get(n), (int, float)) and not isinstance(a.get(n), bool)
                                                 for n in KEEPS.get(k, (k,)))}


REQUIRED = {**{n: 0.01 for n in LR}, "momentum": 0.9, "mu": 0.9, "beta1": 0.9, "beta_1": 0.9, "b1": 0.9,
            "decay1": 0.9, "beta2": 0.999, "beta_2": 0.999, "b2": 0.999, "decay2": 0.999, "eps": 1e-8,
            "epsilon": 1e-8, "rho": 0.9, "decay_rate": 0.9}


def build_args(cls):
    """The arguments its constructor needs that have no default and that an optimizer's hyperparameter
    names (a learning rate, 0.01; a momentum, 0.9), so that ``SGD(learning_rate)`` is built; {} else."""
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return {}
    return {p.name: REQUIRED[p.name.lower()] for p in params if p.default is p.empty and p.name.lower() in REQUIRED
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def configs(kind, cls):
    """The constructor arguments it is built with: none but those it requires (``build_args``), then, for an
    SGD whose momentum defaults to 0, a momentum of 0.9, and for one whose ``nesterov`` defaults to False,
    Nesterov momentum: the branches its defaults leave unrun."""
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        params = {}
    base = build_args(cls)
    out = [base]
    if kind == "sgd" and "momentum" in params and params["momentum"].default in (0, 0.0):
        out.append({**base, "momentum": 0.9})
    if kind == "sgd" and "nesterov" in params and params["nesterov"].default is False:
        out.append({**base, **({"momentum": 0.9} if "momentum" in params else {}), "nesterov": True})
    return out


class _Steps:
    """``update(layer)`` as ``update_params(layer)``, the form ``optimizer_check`` drives."""

    def __init__(self, opt):
        self.opt = opt

    def update_params(self, layer):
        self.opt.update(layer)


def check(name, cls, dtypes, seed, error):
    """A ``Report``: each configuration, 20 steps against torch (``error(label, dtype, note)``: a failed
    result for a constructor that raises). An Adam failing so whose step count advances once per layer
    (kronyx's ``self.iterations += 1`` in ``update(layer)``) is told so."""
    kind = _kind(name)
    report = run_configs(name, cls, kind, dtypes, seed, error, _Steps, TORCH[kind], lambda opt: hyper(kind, opt))
    if not report.passed and kind == "adam" and (counter := _counts_layers(cls)):
        for r in report.failures:
            if r.check.startswith("param:"):
                add_note(r, f"its step count {counter!r} advances once per layer (by 2 in one step over two "
                            "layers): the bias corrections of the second layer use t = 2 at its first step; "
                            "torch's Adam counts steps, once for all the parameters")
    return report


def _counts_layers(cls):
    """The integer attribute of an ``update(layer)`` optimizer that one step over two layers advances by 2
    (a step count kept per call, not per step), or None."""
    from .optimizer_check import _layers, _layer_step
    try:
        opt = cls(**build_args(cls))
        before = {k: v for k, v in vars(opt).items() if type(v) is int}
        params = {"w1": np.ones((3, 2)), "b1": np.zeros(2), "w2": np.ones((2, 2)), "b2": np.zeros(2)}
        _layer_step(_Steps(opt), params, _layers(params, np.float64), {k: np.ones_like(v) for k, v in params.items()})
    except (Exception, SystemExit):                 # noqa: BLE001 -- the user's code: nothing to add
        return None
    return next((k for k, v in before.items() if vars(opt).get(k) == v + 2), None)


def run_configs(name, cls, kind, dtypes, seed, error, adapt, torch_cls, read, conventions=None):
    """Each configuration of ``configs`` in each dtype: ``cls`` built (a constructor that raises, or no
    learning rate among its attributes, is an ``error``), its hyperparameters ``read(opt)``, and 20 steps
    of ``adapt(opt)`` (the form ``optimizer_check`` drives) beside ``torch_cls``."""
    report = Report()
    for config in configs(kind, cls):
        label = name + "".join(f"({k}={v})" for k, v in config.items() if k.lower() not in LR)
        for dtype in dtypes:
            try:
                opt = cls(**config)
            except (Exception, SystemExit) as e:    # noqa: BLE001 -- the user's constructor
                report.extend(Report([error(label, dtype, f"building it raised {type(e).__name__}: {e}")]))
                continue
            kw = read(opt)
            if kw["lr"] is None:
                report.extend(Report([error(label, dtype, "no learning rate found among its attributes ("
                                                          + ", ".join(LR) + ")")]))
                continue
            report.extend(check_optimizer(adapt(opt), torch_cls, kw, hints=False, steps=20, dtype=dtype,
                                          seed=seed, name=label, conventions=conventions))
    return report
