"""The public API, used the way the README shows: a user's own NumPy layer against torch."""
import numpy as np
import pytest
import torch

from parity_tests import ParityError, assert_layer_parity, assert_loss_parity, check_layer


class MyAffine:
    """A user's hand-written layer: not derived from our base class, only the same duck type."""

    def __init__(self, d_in, d_out, rng):
        self.params = {"W": rng.standard_normal((d_in, d_out)), "b": rng.standard_normal(d_out)}
        self.grads = {}
        self.scale_bug = 1.0

    def describe(self):
        return "MyAffine"

    def named_parameters(self):
        return self.params

    def named_grads(self):
        return self.grads

    def named_buffers(self):
        return {}

    def train(self, mode=True):
        return self

    def forward(self, x, training=True):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        self.grads = {"W": self.x.T @ dout * self.scale_bug, "b": dout.sum(0)}
        return dout @ self.params["W"].T


def test_users_layer_passes():
    rng = np.random.default_rng(0)
    layer = MyAffine(4, 3, rng)
    report = assert_layer_parity(layer, torch.nn.Linear(4, 3), {"W": "weight.T", "b": "bias"},
                                 rng.standard_normal((5, 4)))
    assert {"forward", "grad_input", "grad_param:W", "grad_param:b", "fd:input", "fd:W"} <= \
        {r.check for r in report.results}


def test_users_bug_is_named():
    rng = np.random.default_rng(0)
    layer = MyAffine(4, 3, rng)
    layer.scale_bug = 1.001
    with pytest.raises(ParityError) as err:
        assert_layer_parity(layer, torch.nn.Linear(4, 3), {"W": "weight.T", "b": "bias"},
                            rng.standard_normal((5, 4)))
    assert "MyAffine [grad_param:W]" in str(err.value)
    assert "MyAffine [grad_param:b]" not in str(err.value)


def test_weights_are_copied_into_torch():
    rng = np.random.default_rng(1)
    layer = MyAffine(3, 2, rng)
    module = torch.nn.Linear(3, 2)
    check_layer(layer, module, {"W": "weight.T", "b": "bias"}, rng.standard_normal((2, 3))).raise_if_failed()
    # the weights stay in the module, in its own dtype (float32): the dtype is restored
    assert module.weight.dtype == torch.float32
    np.testing.assert_array_equal(module.weight.detach().numpy(), layer.params["W"].T.astype(np.float32))


def test_mapping_naming_a_missing_parameter():
    rng = np.random.default_rng(1)
    report = check_layer(MyAffine(3, 2, rng), torch.nn.Linear(3, 2), {"W": "weights.T", "b": "bias"},
                         rng.standard_normal((2, 3)))
    assert not report.passed and "torch 'weights'" in report.failures[0].message()
    assert "torch has ['bias', 'weight']" in report.failures[0].message()


def test_loss_api():
    def my_softmax(x, y):
        p = np.exp(x - x.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        n = len(y)
        loss = -np.log(p[np.arange(n), y]).mean()
        p[np.arange(n), y] -= 1
        return loss, p / n
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    assert_loss_parity(my_softmax, torch.nn.functional.cross_entropy, x, y)
