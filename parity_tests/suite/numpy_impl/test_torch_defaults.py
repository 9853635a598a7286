"""Defaults are torch's: code that leaves a hyperparameter unset (``SGD(params)``,
``kaiming_uniform(shape, a=sqrt(5))``) gets what the same call gets in torch. Read from the pinned
torch's signatures, so a torch release that changes a default shows here."""
import inspect
import math

import numpy as np
import pytest
import torch

import numpy_impl.layers as L
import numpy_impl.optim as no
from numpy_impl import init
from torch_ref.optim import _OPT

# a different default on purpose, with the reason
LAYER_EXCEPTIONS = {
    ("BatchNorm1d", "momentum"): "None resolves to 0.1 (torch) or 0.9 (convention='classic')",
    ("BatchNorm2d", "momentum"): "None resolves to 0.1 (torch) or 0.9 (convention='classic')",
    ("Softmax", "dim"): "torch's None is a deprecated implicit dim; -1 is what it picks for 2-D input",
    ("LogSoftmax", "dim"): "torch's None is a deprecated implicit dim; -1 is what it picks for 2-D input",
    ("TransformerEncoderLayer", "dropout"): "only dropout=0.0 is implemented (refused otherwise)",
    ("TransformerEncoderLayer", "activation"): "'relu' names torch's default function F.relu",
    ("Upsample", "scale_factor"): "torch has no default (size or scale_factor is required)",
}
SCHEDULERS = {no.LinearWarmup: torch.optim.lr_scheduler.LinearLR}
SCHEDULERS.update({getattr(no, n): getattr(torch.optim.lr_scheduler, n) for n in dir(no)
                   if isinstance(getattr(no, n), type) and issubclass(getattr(no, n), no.Scheduler)
                   and hasattr(torch.optim.lr_scheduler, n)})


def _defaults(fn):
    return {k: p.default for k, p in inspect.signature(fn).parameters.items() if p.default is not inspect.Parameter.empty}


def _same(a, b):
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return tuple(a) == tuple(b)
    return a == b


def _differences(ours, theirs, skip=()):
    return {k: (v, theirs[k]) for k, v in ours.items() if k in theirs and k not in skip and not _same(v, theirs[k])}


@pytest.mark.parametrize("cls", sorted(_OPT, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_optimizer_defaults_are_torch_defaults(cls):
    theirs = _defaults(_OPT[cls].__init__)
    assert set(cls.defaults) <= set(theirs), f"{cls.__name__}: hyperparameters torch does not have"
    assert _differences(cls.defaults, theirs) == {}


def test_sgd_left_unset_takes_torch_step():
    w = np.ones(3)
    no.SGD({"w": w}).step({"w": np.ones(3)})
    t = torch.ones(3, dtype=torch.float64, requires_grad=True)
    t.grad = torch.ones(3, dtype=torch.float64)
    torch.optim.SGD([t]).step()
    np.testing.assert_array_equal(w, t.detach().numpy())


@pytest.mark.parametrize("cls", sorted(SCHEDULERS, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_scheduler_defaults_are_torch_defaults(cls):
    assert _differences(_defaults(cls.__init__), _defaults(SCHEDULERS[cls].__init__)) == {}


@pytest.mark.parametrize("name", ["kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform"])
def test_initialiser_defaults_are_torch_defaults(name):
    ours = _defaults(getattr(init, name))
    ours = {("gain" if k == "gain_" else k): v for k, v in ours.items()}
    assert _differences(ours, _defaults(getattr(torch.nn.init, name + "_"))) == {}


@pytest.mark.parametrize("fn, torch_fn", [(init.kaiming_uniform, torch.nn.init.kaiming_uniform_),
                                          (init.kaiming_normal, torch.nn.init.kaiming_normal_)])
def test_kaiming_a_alone_sets_the_leaky_relu_gain(fn, torch_fn):
    """torch's Linear/Conv weight init is kaiming_uniform_(w, a=sqrt(5)): bound 1/sqrt(fan_in)."""
    w = fn((300, 200), np.random.default_rng(0), a=math.sqrt(5))
    t = torch_fn(torch.empty(200, 300, dtype=torch.float64), a=math.sqrt(5))
    spread = (lambda a: np.abs(a).max()) if fn is init.kaiming_uniform else np.std
    assert spread(w) == pytest.approx(spread(t.numpy()), rel=0.03)
    assert spread(w) < 0.5 * spread(fn((300, 200), np.random.default_rng(0)))


def test_kaiming_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="kaiming_uniform: mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_uniform((3, 4), mode="fan_avg")


LAYERS = sorted(n for n in dir(L) if isinstance(getattr(L, n), type) and hasattr(torch.nn, n))


@pytest.mark.parametrize("name", LAYERS)
def test_layer_defaults_are_torch_defaults(name):
    ours, theirs = _defaults(getattr(L, name).__init__), _defaults(getattr(torch.nn, name).__init__)
    skip = ("dtype", "device") + tuple(k for (n, k) in LAYER_EXCEPTIONS if n == name)
    assert _differences(ours, theirs, skip) == {}


def test_layer_exceptions_are_still_differences():
    """An exception left behind after the default was changed to torch's is stale."""
    for (name, key), why in LAYER_EXCEPTIONS.items():
        ours, theirs = _defaults(getattr(L, name).__init__), _defaults(getattr(torch.nn, name).__init__)
        assert key in ours and not _same(ours[key], theirs.get(key, inspect.Parameter.empty)), (name, key, why)
