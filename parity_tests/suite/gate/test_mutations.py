"""Mutation proof: break the NumPy code on purpose and watch the gate fail, naming the culprit.

Each test patches one thing (a 0.1% gradient scale, a dropped 1/N, a transposed weight, a wrong
col2im offset, a missing unbiased factor, a dropout scale error...) and asserts that the gate
fails for that component and that check, and only through the checks it should.
"""
import numpy as np

import numpy_impl.layers as L
from numpy_impl import losses
from numpy_impl.layers.norm import _BatchNorm
from parity_tests.cli import main
from parity_tests.gate.runner import run
from torch_ref.layers import FACTORIES
from torch_ref.mapping import Param


def failing(report):
    return {(r.component, r.check) for r in report.failures}


def assert_caught(only, component, check, dtypes=("float64", "float32")):
    report = run(only=only, dtypes=dtypes)
    bad = failing(report)
    assert (component, check) in bad, f"mutation not caught: {component} [{check}]; failures: {sorted(bad)}"
    msg = next(r.message() for r in report.failures if (r.component, r.check) == (component, check))
    assert component in msg and check in msg and "seed=" in msg and "dtype=" in msg
    return report


def scale_grad(cls, name, factor=1.001):
    orig = cls.backward

    def backward(self, dout):
        dx = orig(self, dout)
        self.grads[name] = self.grads[name] * factor
        return dx
    return backward


def scale_dx(cls, factor=1.001):
    orig = cls.backward
    return lambda self, dout: orig(self, dout) * factor


def test_linear_weight_grad_scaled_by_1_001(monkeypatch):
    monkeypatch.setattr(L.Linear, "backward", scale_grad(L.Linear, "W"))
    report = assert_caught("Linear", "Linear", "grad_param:W")
    assert ("Linear", "fd:W") in failing(report)           # finite differences agree with torch
    assert ("Linear", "grad_param:b") not in failing(report)  # and the culprit is singled out


def test_linear_bias_grad_scaled_float32_too(monkeypatch):
    monkeypatch.setattr(L.Linear, "backward", scale_grad(L.Linear, "b"))
    assert_caught("Linear", "Linear", "grad_param:b", dtypes=("float32",))


def test_linear_transposed_weight_mapping(monkeypatch):
    monkeypatch.setitem(FACTORIES, L.Linear, lambda layer: (
        __import__("torch").nn.Linear(layer.in_features, layer.out_features),
        {"W": Param("weight"), "b": Param("bias")}))
    report = run(only="Linear", dtypes=("float64",))
    # the gate's torch side is built from the sample, the mirror (diagnose, lockstep) must agree with it:
    # non-square, the mirror's mapping is refused, naming both shapes
    assert any(r.check == "mirror" and "'W' -> 'weight'" in r.message() and "torch has (3, 5)" in r.message()
               for r in report.failures)
    # square: the shapes fit, and the mapping gives it away
    assert any(r.sample == "square" and r.check == "mirror" and "Param(torch_name='weight', transpose=False)"
               in r.message() for r in report.failures)
    # and a check run through the mirror itself sees it in the numbers
    from parity_tests import check_layer
    layer = L.Linear(4, 4, rng=0)
    x = np.random.default_rng(0).standard_normal((3, 4))
    assert "forward" in {r.check for r in check_layer(layer, x=x).failures}


def test_softmax_missing_one_over_n(monkeypatch):
    orig = losses.softmax_loss

    def broken(x, y):
        loss, dx = orig(x, y)
        return loss, dx * x.shape[0]
    from parity_tests.gate.registry import BY_NAME
    monkeypatch.setattr(BY_NAME["softmax_loss"], "make", broken)
    assert_caught("softmax_loss", "softmax_loss", "grad_input")


def test_svm_loss_scaled(monkeypatch):
    from parity_tests.gate.registry import BY_NAME
    entry = BY_NAME["svm_loss"]
    orig = entry.make
    monkeypatch.setattr(entry, "make", lambda x, y: (orig(x, y)[0] * 1.001, orig(x, y)[1]))
    assert_caught("svm_loss", "svm_loss", "loss")


def test_relu_gradient_one_at_zero(monkeypatch):
    monkeypatch.setattr(L.ReLU, "_forward", lambda self, x: (setattr(self, "_cache", x >= 0),
                                                             np.maximum(x, 0))[1])
    report = assert_caught("ReLU", "ReLU", "grad_input")
    # at exactly 0, and at NaN (NaN >= 0 is False: its gradient is lost, where torch passes it)
    assert {r.sample for r in report.failures if r.component == "ReLU"} == {"exact zeros", "NaN, inf and -inf inputs"}


def test_sigmoid_input_grad_scaled(monkeypatch):
    monkeypatch.setattr(L.Sigmoid, "backward", scale_dx(L.Sigmoid))
    report = assert_caught("Sigmoid", "Sigmoid", "grad_input")
    assert ("Sigmoid", "fd:input") in failing(report)


def test_conv_wrong_col2im_offset(monkeypatch):
    orig = L.Conv2d.backward
    monkeypatch.setattr(L.Conv2d, "backward", lambda self, dout: np.roll(orig(self, dout), 1, axis=3))
    report = assert_caught("Conv2d", "Conv2d", "grad_input")
    assert ("Conv2d", "grad_param:W") not in failing(report)


def test_conv_weight_grad_scaled(monkeypatch):
    monkeypatch.setattr(L.Conv2d, "backward", scale_grad(L.Conv2d, "W"))
    assert_caught("Conv2d", "Conv2d", "grad_param:W")


def test_batchnorm_missing_unbiased_factor(monkeypatch):
    def update(self, mean, var, m):
        rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
        rm[...] = (1 - self.momentum) * rm + self.momentum * mean
        rv[...] = (1 - self.momentum) * rv + self.momentum * var     # biased: the bug
    monkeypatch.setattr(_BatchNorm, "_update_running", update)
    report = assert_caught("BatchNorm", "BatchNorm2d", "running:running_var")
    assert ("BatchNorm1d", "running:running_var") in failing(report)
    assert ("BatchNorm1d", "eval_forward") in failing(report)
    assert ("BatchNorm1d", "running:running_mean") not in failing(report)


def test_batchnorm_gamma_grad_scaled(monkeypatch):
    monkeypatch.setattr(L.BatchNorm1d, "backward", scale_grad(L.BatchNorm1d, "gamma"))
    assert_caught("BatchNorm1d", "BatchNorm1d", "grad_param:gamma")


def test_layernorm_input_grad_scaled(monkeypatch):
    monkeypatch.setattr(L.LayerNorm, "backward", scale_dx(L.LayerNorm))
    assert_caught("LayerNorm", "LayerNorm", "grad_input")


def test_dropout_scale_error(monkeypatch):
    monkeypatch.setattr(L.Dropout, "_scale", lambda self, dtype: dtype.type(1.001 / (1 - self.p)))
    report = assert_caught("Dropout", "Dropout", "forward")
    assert ("Dropout", "grad_input") in failing(report)


def test_maxpool_splitting_tied_gradient(monkeypatch):
    forward = L.MaxPool2d.forward

    def keep_input(self, x, training=None):
        out = forward(self, x, training)
        shape, xp = self._prepare(x)[:2]
        self._kept = (shape, xp, out)
        return out

    def backward(self, dout):
        shape, xp, out = self._kept
        dxp = np.zeros(xp.shape, dtype=dout.dtype)
        count = sum((xp[sl] == out).astype(dout.dtype) for sl in self._slices(*out.shape[2:]))
        count[count == 0] = np.nan                # a NaN window has no equal element
        for sl in self._slices(*out.shape[2:]):
            dxp[sl] += np.where(xp[sl] == out, dout / count, 0)
        return self._crop(dxp, shape)
    monkeypatch.setattr(L.MaxPool2d, "forward", keep_input)
    monkeypatch.setattr(L.MaxPool2d, "backward", backward)
    report = assert_caught("MaxPool2d", "MaxPool2d", "grad_input")
    # ties (also -inf windows, where the padding ties with the real -inf, and NaN windows, where this
    # backward divides by a zero count) and nothing else
    assert {"2x2 ties after ReLU", "3x3 s1 ties after ReLU"} <= {r.sample for r in report.failures} <= \
        {"2x2 ties after ReLU", "3x3 s1 ties after ReLU", "NaN routing", "-inf windows beside padding",
         "-inf windows ceil_mode"}


def test_avgpool_grad_scaled(monkeypatch):
    monkeypatch.setattr(L.AvgPool2d, "backward", scale_dx(L.AvgPool2d))
    assert_caught("AvgPool2d", "AvgPool2d", "grad_input")


def test_upstream_gradient_mutated(monkeypatch):
    def backward(self, dout):
        dout *= 1 - self._cache * self._cache     # in place: modifies the caller's array
        return dout
    monkeypatch.setattr(L.Tanh, "_backward", backward)
    assert_caught("Tanh", "Tanh", "no_mutation")


def test_dtype_not_kept(monkeypatch):
    orig = L.Sigmoid._forward
    monkeypatch.setattr(L.Sigmoid, "_forward", lambda self, x: orig(self, x).astype(np.float64))
    assert_caught("Sigmoid", "Sigmoid", "forward", dtypes=("float32",))


def test_crash_is_reported_not_raised(monkeypatch):
    def boom(self, dout):
        raise IndexError("deliberate")
    monkeypatch.setattr(L.Flatten, "backward", boom)
    report = assert_caught("Flatten", "Flatten", "error")
    assert "IndexError: deliberate" in report.failures[0].message()


def test_cli_exit_status_and_message(monkeypatch, capsys):
    monkeypatch.setattr(L.Linear, "backward", scale_grad(L.Linear, "W"))
    assert main(["check", "--only", "Linear", "-q"]) == 1
    out = capsys.readouterr().out
    assert "Linear [grad_param:W]" in out and "worst at index" in out and "torch=" in out
