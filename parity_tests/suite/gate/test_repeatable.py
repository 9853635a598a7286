"""Every public check is a pure function of its arguments: repeating it on the same objects, in any
order, after another dtype or mode, gives the same report number for number."""
import copy
import dataclasses
import random

import numpy as np
import pytest
import torch

import numpy_impl as ni
from numpy_impl.models import FullyConnectedNet
import numpy_impl.optim as no
from parity_tests import assert_layer_parity, assert_loss_parity, check_layer, check_loss
from parity_tests.gate.diagnose import diagnose
from parity_tests.gate.lockstep import lockstep
from parity_tests.gate.registry import ENTRIES, OPTIM_ENTRIES, cases
from parity_tests.gate.trajectory import check_trajectory
from torch_ref import mirror

from .test_api import MyAffine


def numbers(report):
    """Every field of every result, NaN-safe (repr), in order."""
    return [repr(sorted(r.as_dict().items())) for r in report.results]


def test_the_issue_loop_passes():
    l = ni.Linear(4, 3)
    t = torch.nn.Linear(4, 3).double()
    rng = np.random.default_rng(0)
    for x in [rng.standard_normal((5, 4)) for _ in range(4)]:
        assert_layer_parity(l, t, {"W": "weight.T", "b": "bias"}, x)
    assert all(p.grad is None for p in t.parameters())          # the module's .grad is put back


def test_the_loop_passes_for_a_users_layer():
    rng = np.random.default_rng(3)
    layer, module = MyAffine(4, 3, rng), torch.nn.Linear(4, 3)
    for _ in range(3):
        assert_layer_parity(layer, module, {"W": "weight.T", "b": "bias"}, rng.standard_normal((5, 4)))


LAYERS = [e for e in ENTRIES if e.kind == "layer" and e.check is None]   # own checks: integer ids


@pytest.mark.parametrize("entry", LAYERS, ids=[e.name for e in LAYERS])
def test_the_loop_passes_for_every_registry_layer(entry):
    """One layer, one torch module built once (as a user would), three different batches."""
    case = entry.cases(("float64",))[0]
    rng = np.random.default_rng(case.seed)
    shape = case.sample.shape(rng) if callable(case.sample.shape) else tuple(case.sample.shape)
    layer = entry.make(shape, rng, np.float64, **case.sample.kwargs)
    m = mirror(layer, np.float64)
    gen = case.sample.inputs or entry.inputs or (lambda r, s, d: r.standard_normal(s).astype(d))
    for k in range(3):
        assert_layer_parity(layer, m.module, m.params, gen(rng, shape, np.float64), buffers=m.buffers,
                            share=entry.share, eval_mode=entry.eval_mode, extra_batches=entry.extra_batches, seed=k)


def test_same_check_three_times_same_numbers():
    rng = np.random.default_rng(1)
    bn = ni.BatchNorm2d(3)
    module = torch.nn.BatchNorm2d(3).double()
    x = rng.standard_normal((4, 3, 3, 3))
    reports = [check_layer(bn, module, {"gamma": "weight", "beta": "bias"}, x,
                           buffers={"running_mean": "running_mean", "running_var": "running_var"},
                           extra_batches=2, eval_mode=True) for _ in range(3)]
    assert reports[0].passed and numbers(reports[0]) == numbers(reports[1]) == numbers(reports[2])
    np.testing.assert_array_equal(bn.buffers["running_var"], 1)      # the running statistics are put back
    np.testing.assert_array_equal(module.running_var.numpy(), 1)


def test_dropout_draws_the_same_mask_and_leaves_torch_random_state_alone():
    layer, x = ni.Dropout(0.5), np.random.default_rng(0).standard_normal((6, 8)) + 3
    from parity_tests.gate.registry import share_dropout_mask
    state = torch.random.get_rng_state()
    reports = [check_layer(layer, torch.nn.Dropout(0.5), {}, x, share=share_dropout_mask) for _ in range(3)]
    assert torch.equal(state, torch.random.get_rng_state())
    assert reports[0].passed and numbers(reports[0]) == numbers(reports[1]) == numbers(reports[2])


def test_float32_after_float64_and_back():
    rng = np.random.default_rng(2)
    layer, module = ni.Linear(5, 4, rng=rng), torch.nn.Linear(5, 4)
    x = rng.standard_normal((3, 5))
    first = check_layer(layer, module, {"W": "weight.T", "b": "bias"}, x)
    f32 = check_layer(layer, module, {"W": "weight.T", "b": "bias"}, x.astype(np.float32))
    again = check_layer(layer, module, {"W": "weight.T", "b": "bias"}, x)
    assert first.passed and f32.passed and numbers(first) == numbers(again)
    fresh = check_layer(copy.deepcopy(layer), torch.nn.Linear(5, 4), {"W": "weight.T", "b": "bias"}, x.astype(np.float32))
    assert numbers(f32) == numbers(fresh)
    assert module.weight.dtype == torch.float32 and layer.params["W"].dtype == np.float64


def test_mode_dtype_requires_grad_and_grad_are_restored():
    layer = ni.BatchNorm1d(3)
    layer.eval()
    module = torch.nn.BatchNorm1d(3).eval()
    module.weight.requires_grad_(False)
    module.bias.grad = torch.full((3,), 7.0)
    x = np.random.default_rng(4).standard_normal((5, 3))
    mapping = {"gamma": "weight", "beta": "bias"}
    a = check_layer(layer, module, mapping, x, eval_mode=True)
    assert a.passed
    assert not layer.training and not module.training
    assert module.weight.dtype == torch.float32 and not module.weight.requires_grad
    assert torch.equal(module.bias.grad, torch.full((3,), 7.0))
    module.train()
    layer.train()
    b = check_layer(layer, module, mapping, x, eval_mode=True)     # train after eval: the same numbers
    assert numbers(a) == numbers(b) and layer.training and module.training


def test_loss_trajectory_diagnose_lockstep_repeat():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    from numpy_impl.losses import softmax_loss
    r = [check_loss(softmax_loss, torch.nn.functional.cross_entropy, x, y) for _ in range(3)]
    assert numbers(r[0]) == numbers(r[1]) == numbers(r[2])
    assert_loss_parity(softmax_loss, torch.nn.functional.cross_entropy, x, y)
    t = [check_trajectory(OPTIM_ENTRIES[-1], "float64", 3) for _ in range(2)]
    assert numbers(t[0]) == numbers(t[1])
    model = FullyConnectedNet(4, [5], 3, batchnorm=True, dropout=0.3, seed=1)
    X, Y = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
    before = {k: v.copy() for k, v in {**model.named_parameters(), **model.named_buffers()}.items()}
    d = [diagnose(model, X, Y)[0] for _ in range(3)]
    assert [repr(r.as_dict()) for r in d[0]] == [repr(r.as_dict()) for r in d[2]]
    for k, v in {**model.named_parameters(), **model.named_buffers()}.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)
    # lockstep trains the model it is given: the same model state gives the same history
    runs = [lockstep(copy.deepcopy(model), X, Y, lambda p: no.Adam(p, lr=1e-2), steps=4, batch_size=4)
            for _ in range(2)]
    assert runs[0] == [dict(s) for s in runs[1]]


def _run_all(order):
    out = {}
    for case in order:
        out[case.id] = numbers(case.run())
    return out


@pytest.mark.parametrize("part", range(3))
def test_registry_twice_once_shuffled_gives_identical_reports(part):
    """Every third case of the registry (the three parts together are the whole registry, each a test
    of its own so that the workers share them) twice in one process, the second time in a shuffled
    order: every number of every case equal (the suite's own run, test_registry.py, is a third order)."""
    all_cases = list(cases())[part::3]
    first = _run_all(all_cases)
    shuffled = list(all_cases)
    random.Random(12345).shuffle(shuffled)
    second = _run_all(shuffled)
    assert first.keys() == second.keys() and len(first) == len(all_cases)
    for k in first:
        assert first[k] == second[k], k


def test_properties_repeat():
    props = [e for e in ENTRIES if e.kind == "property"]
    for e in props:
        c = e.cases(("float64",))[0]
        assert numbers(c.run()) == numbers(dataclasses.replace(c).run()), e.name
