"""Defaults are torch's: code that leaves a hyperparameter unset (``SGD(params)``,
``kaiming_uniform(shape, a=sqrt(5))``) gets what the same call gets in torch. Read from the pinned
torch's signatures, so a torch release that changes a default shows here."""
import math

import numpy as np
import pytest
import torch

import numpy_impl.optim as no
from numpy_impl import init
from parity_tests.gate.properties import (DEFAULT_DIFFERENCES, _defaults, _same_default, default_pairs, defaults,
                                          shared_defaults)
from torch_ref.optim import _OPT


def _differences(name, ours, theirs):
    return [(k, a, b) for k, a, b in shared_defaults(name, ours, theirs) if not _same_default(a, b)]


@pytest.mark.parametrize("name, ours, theirs", default_pairs(), ids=[n for n, _, _ in default_pairs()])
def test_defaults_are_torch_defaults(name, ours, theirs):
    """Every layer, optimizer, scheduler, loss and initialiser with a torch namesake (the gate's
    ``defaults`` row, one test each here)."""
    assert _differences(name, ours, theirs) == []


def test_the_core_components_are_paired_with_their_torch_namesakes():
    names = {name for name, _, _ in default_pairs()}
    for want in ("Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "StepLR", "LinearWarmup", "ReduceLROnPlateau",
                 "BatchNorm1d", "LayerNorm", "Dropout", "LeakyReLU", "Conv2d", "MaxPool2d", "cross_entropy_loss",
                 "huber_loss", "gain", "kaiming_uniform", "xavier_normal"):
        assert want in names, want


def test_every_stated_difference_is_still_a_difference():
    """An exemption left behind after the default was changed to torch's would hide a later change."""
    pairs = {name: (a, b) for name, a, b in default_pairs()}
    for (name, key), why in DEFAULT_DIFFERENCES.items():
        assert why
        if name == "*":
            continue
        ours, theirs = (_defaults(o) for o in pairs[name])
        assert key in ours and key in theirs and not _same_default(ours[key], theirs[key]), (name, key)


def test_a_changed_default_fails_the_gate_naming_the_component_and_both_values(monkeypatch):
    monkeypatch.setattr(no.RMSprop, "defaults", dict(no.RMSprop.defaults, alpha=0.9))
    bad = [r for r in defaults("float64", 0).results if not r.passed]
    assert [r.check for r in bad] == ["RMSprop.alpha"]
    assert "RMSprop(alpha=0.9)" in bad[0].note and "alpha=0.99" in bad[0].note


def test_bools_are_not_numbers():
    assert not _same_default(False, 0) and _same_default(True, True) and _same_default((0.9, 0.999), (0.9, 0.999))


@pytest.mark.parametrize("cls", sorted(_OPT, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_optimizer_hyperparameters_are_torchs(cls):
    assert set(cls.defaults) <= set(_defaults(_OPT[cls])), f"{cls.__name__}: hyperparameters torch does not have"


def test_sgd_left_unset_takes_torch_step():
    w = np.ones(3)
    no.SGD({"w": w}).step({"w": np.ones(3)})
    t = torch.ones(3, dtype=torch.float64, requires_grad=True)
    t.grad = torch.ones(3, dtype=torch.float64)
    torch.optim.SGD([t]).step()
    np.testing.assert_array_equal(w, t.detach().numpy())


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


