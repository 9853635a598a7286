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
