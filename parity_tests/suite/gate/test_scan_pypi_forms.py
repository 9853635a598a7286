"""``parity scan`` on more forms found in from-scratch packages on PyPI (tinynn, mpneuralnetwork,
neowise, dlfs, learnneuralnet, nano-keras), each written here for the tests, with a seeded bug beside
each correct one: hyperparameters kept under private names."""
import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts

PRIVATE = '''import numpy as np


class LeakyReLU:
    def __init__(self, slope=0.2):
        self._slope = slope

    def forward(self, inputs):
        self.X = inputs
        return np.where(inputs < 0, self._slope * inputs, inputs)

    def backward(self, grad):
        return np.where(self.X < 0, self._slope, 1.0) * grad


class ELU:
    def __init__(self, alpha=1.0):
        self._alpha = alpha

    def forward(self, inputs):
        self.X = inputs
        return np.maximum(inputs, 0) + np.minimum(0, self._alpha * (np.exp(inputs) - 1))

    def backward(self, grad):
        x = self.X
        return ((x > 0.0) + (x <= 0.0) * self._alpha * np.exp(x)) * grad
'''


@pytest.mark.parametrize("bug", [None, ("self._slope, 1.0) * grad", "0.01, 1.0) * grad"),
                                 ("(x <= 0.0) * self._alpha * np.exp(x)", "(x <= 0.0) * np.exp(x)")])
def test_hyperparameters_kept_under_private_names(tmp_path, bug):
    """tinynn keeps a LeakyReLU's slope as ``self._slope`` and an ELU's alpha as ``self._alpha``: the value
    the layer holds is the one torch is given (the ELU is built with alpha=0.5, not torch's default)."""
    (tmp_path / "act.py").write_text(PRIVATE if bug is None else PRIVATE.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    if bug is None:
        assert got == {"LeakyReLU": ("PASS", {}), "ELU": ("PASS", {})}, got
    else:
        name = "LeakyReLU" if "slope" in bug[0] else "ELU"
        verdict, checks, why = failed_checks(found, name)
        assert verdict == "FAIL" and "grad_input" in checks and "forward" not in checks, why


SIGMOID_XENT = '''import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class SigmoidCrossEntropy:
    """tinynn's: binary cross-entropy on logits, summed over the elements and divided by the batch."""

    def loss(self, logits, labels):
        cost = logits * (1 - labels) - np.log(sigmoid(logits))
        return np.sum(cost) / labels.shape[0]

    def grad(self, logits, labels):
        return (sigmoid(logits) - labels) / labels.shape[0]
'''


@pytest.mark.parametrize("bug", [None, ("(sigmoid(logits) - labels)", "(labels - sigmoid(logits))")])
def test_a_sigmoid_cross_entropy_is_a_binary_one(tmp_path, bug):
    """Named neither binary nor BCE, it is a binary cross-entropy on logits (not softmax's); its sum over
    each sample's outputs divided by N is ``loss_reduction=batch`` on four outputs a sample."""
    (tmp_path / "loss.py").write_text(SIGMOID_XENT if bug is None else SIGMOID_XENT.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    o = next(o for o in found if o.target.name == "SigmoidCrossEntropy")
    assert o.target.kind == "binary_cross_entropy"
    if bug is None:
        assert (o.verdict, o.convention) == ("CONVENTION", {"loss_reduction": "batch"}), verdicts(found)
        assert {r.sample.split(", t")[0] for r in o.report.results} == {"logits (6,1)", "logits (6,4)"}
    else:
        verdict, checks, why = failed_checks(found, "SigmoidCrossEntropy")
        assert verdict == "FAIL" and checks == {"grad_input", "fd:grad_input"}, why


BCE = '''import numpy as np


class BinaryCrossEntropy:
    """The mean over every element, N*C."""

    def compute(self, y_true, y_pred):
        y_pred = np.clip(y_pred, 1e-15, 1 - 1e-15)
        return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))

    def gradient(self, y_true, y_pred):
        y_pred = np.clip(y_pred, 1e-15, 1 - 1e-15)
        return (-(y_true / y_pred) + (1 - y_true) / (1 - y_pred)) / y_true.size


class BCEPerOutput:
    """Written for one output a sample: (N, 1) in, a (1, 1) loss of y.T @ log p; refused on (N, C)."""

    def forward(self, y_pred, y_true):
        assert y_pred.shape[1] == 1
        m = y_true.shape[0]
        return -(y_true.T @ np.log(y_pred) + (1 - y_true).T @ np.log(1 - y_pred)) / m

    def backward(self, y_pred, y_true):
        return (y_pred - y_true) / (y_pred * (1 - y_pred)) / y_true.shape[0]
'''


@pytest.mark.parametrize("bug", [None, ("/ y_true.size", "/ y_true.shape[0]")])
def test_a_binary_cross_entropy_on_several_outputs(tmp_path, bug):
    """learnneuralnet's BCE: the mean over N*C elements with a gradient divided by N alone agrees with torch
    on one output a sample; a second sample, four outputs a sample, shows it. A loss written for one output
    (refusing four) is checked on one."""
    (tmp_path / "loss.py").write_text(BCE if bug is None else BCE.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    one = next(o for o in found if o.target.name == "BCEPerOutput")
    assert one.verdict == "PASS" and {r.shape for r in one.report.results} == {(6, 1)}, verdicts(found)
    if bug is None:
        o = next(o for o in found if o.target.name == "BinaryCrossEntropy")
        assert o.verdict == "PASS" and {r.shape for r in o.report.results} == {(6, 1), (6, 4)}, verdicts(found)
    else:
        verdict, checks, why = failed_checks(found, "BinaryCrossEntropy")
        assert verdict == "FAIL" and checks == {"grad_input", "fd:grad_input"}, why
        assert "divided by N alone, where the loss is the mean over N*C elements" in why, why
