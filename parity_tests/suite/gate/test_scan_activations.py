"""``parity scan`` on torch's other activations written by hand, in the three shapes such code takes:
cs231n's function pair (``elu_forward(x, alpha)`` / ``elu_backward(dout, cache)``), a class with
``forward(x)`` / ``backward(dout)`` ("Deep Learning from Scratch"), and a class that leaves its results
in ``self.output`` / ``self.dinputs`` under a name of its own ("Neural Networks from Scratch"'s style,
``Activation_ELU``). Each is written correctly and once with a typical bug in its derivative, which
must fail at the input gradient and nowhere else; inputs wide enough to cross every branch (a ReLU6
forgetting its clip at 6 fails)."""
import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts

# kind: (class name, function name, hyperparameter (name, value) or None, forward of x, derivative of x,
#        the derivative with a typical bug). ``a`` is the hyperparameter; values away from torch's
#        defaults, so that a reference built with torch's defaults would fail.
ACTS = {
    "elu": ("ELU", "elu", ("alpha", 0.5), "np.where(x > 0, x, a * np.expm1(x))",
            "np.where(x > 0, 1.0, a * np.exp(x))", "np.where(x > 0, 1.0, np.exp(x))"),
    "celu": ("CELU", "celu", ("alpha", 0.5), "np.maximum(x, 0) + np.minimum(0, a * np.expm1(x / a))",
             "np.where(x > 0, 1.0, np.exp(x / a))", "np.where(x > 0, 1.0, np.exp(x))"),
    "selu": ("SELU", "selu", None, "S * np.where(x > 0, x, A * np.expm1(x))",
             "S * np.where(x > 0, 1.0, A * np.exp(x))", "np.where(x > 0, 1.0, A * np.exp(x))"),
    "gelu": ("GELU", "gelu", None, "0.5 * x * (1 + ERF(x / np.sqrt(2)))",
             "0.5 * (1 + ERF(x / np.sqrt(2))) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)",
             "0.5 * (1 + ERF(x / np.sqrt(2)))"),
    "gelu_tanh": ("GELUTanh", "gelu_tanh", None, "0.5 * x * (1 + T(x))",
                  "0.5 * (1 + T(x)) + 0.5 * x * (1 - T(x) ** 2) * C * (1 + 3 * K * x * x)",
                  "0.5 * (1 + T(x)) + 0.5 * x * (1 - T(x) ** 2) * C * (1 + K * x * x)"),
    "silu": ("Swish", "swish", None, "x * SIG(x)", "SIG(x) * (1 + x * (1 - SIG(x)))", "SIG(x) * (1 - SIG(x))"),
    "softplus": ("Softplus", "softplus", None, "np.logaddexp(0, x)", "SIG(x)", "SIG(-x)"),
    "mish": ("Mish", "mish", None, "x * np.tanh(np.logaddexp(0, x))",
             "np.tanh(np.logaddexp(0, x)) + x * (1 - np.tanh(np.logaddexp(0, x)) ** 2) * SIG(x)",
             "np.tanh(np.logaddexp(0, x)) + x * (1 - np.tanh(np.logaddexp(0, x)) ** 2)"),
    "softsign": ("Softsign", "softsign", None, "x / (1 + np.abs(x))", "1 / (1 + np.abs(x)) ** 2",
                 "1 / (1 + np.abs(x))"),
    "logsigmoid": ("LogSigmoid", "logsigmoid", None, "-np.logaddexp(0, -x)", "SIG(-x)", "SIG(x)"),
    "hardtanh": ("Hardtanh", "hardtanh", ("max_val", 2.0), "np.clip(x, -1.0, a)", "((x > -1.0) & (x < a)) * 1.0",
                 "(x > -1.0) * 1.0"),
    "relu6": ("ReLU6", "relu6", None, "np.clip(x, 0, 6)", "((x > 0) & (x < 6)) * 1.0", "(x > 0) * 1.0"),
    "hardswish": ("Hardswish", "hardswish", None, "x * np.clip(x + 3, 0, 6) / 6",
                  "np.where(x < -3, 0.0, np.where(x > 3, 1.0, (2 * x + 3) / 6))",
                  "np.where(x < -3, 0.0, np.where(x > 3, 1.0, (x + 3) / 6))"),
    "hardsigmoid": ("Hardsigmoid", "hardsigmoid", None, "np.clip(x / 6 + 0.5, 0, 1)",
                    "((x > -3) & (x < 3)) / 6.0", "((x > -3) & (x < 3)) / 3.0"),
}

HEAD = '''import math

import numpy as np

S, A = 1.0507009873554805, 1.6732632423543772
C, K = math.sqrt(2 / math.pi), 0.044715
ERF = np.vectorize(math.erf)


def SIG(x):
    return 1 / (1 + np.exp(-x))


def T(x):
    return np.tanh(C * (x + K * x ** 3))

'''


def _one(kind, style, buggy):
    cls, fn, hyper, f, d, bug = ACTS[kind]
    d = bug if buggy else d
    name, value = hyper or ("unused", 0.0)
    if style == "function":
        return f'''
def {fn}_forward(x, {name}={value}):
    a = {name}
    return {f}, (x, a)


def {fn}_backward(dout, cache):
    x, a = cache
    return dout * ({d})
'''
    if style == "class":
        return f'''
class {cls}:
    def __init__(self, {name}={value}):
        self.{name} = {name}
        self.x = None

    def forward(self, x):
        self.x = x
        a = self.{name}
        return {f}

    def backward(self, dout):
        x, a = self.x, self.{name}
        return dout * ({d})
'''
    return f'''
class Activation_{cls}:
    def __init__(self, {name}={value}):
        self.{name} = {name}

    def forward(self, inputs):
        self.inputs = inputs
        x, a = inputs, self.{name}
        self.output = {f}

    def backward(self, dvalues):
        x, a = self.inputs, self.{name}
        self.dinputs = dvalues * ({d})
'''


def _source(kind, style, buggy):
    return HEAD + _one(kind, style, buggy)


def _component(kind, style):
    cls, fn = ACTS[kind][:2]
    return {"function": f"{fn}_forward", "class": cls, "nnfs": f"Activation_{cls}"}[style]


@pytest.mark.parametrize("style", ["function", "class", "nnfs"])
def test_each_activation_passes_when_right_and_fails_at_grad_input_when_not(tmp_path, style):
    """One file of every kind written right, one of every kind with its bug (each kind's result is its own)."""
    names = {_component(kind, style) for kind in ACTS}
    (tmp_path / "right.py").write_text(HEAD + "".join(_one(kind, style, False) for kind in sorted(ACTS)))
    found, _ = scan([str(tmp_path / "right.py")], dtypes=F64)
    assert verdicts(found) == {n: ("PASS", {}) for n in names}, \
        [failed_checks(found, o.target.name) for o in found if o.verdict != "PASS"]
    (tmp_path / "wrong.py").write_text(HEAD + "".join(_one(kind, style, True) for kind in sorted(ACTS)))
    found, _ = scan([str(tmp_path / "wrong.py")], dtypes=F64)
    assert {o.target.name for o in found} == names
    for name in names:
        verdict, checks, why = failed_checks(found, name)
        assert verdict == "FAIL" and "grad_input" in checks and "forward" not in checks, (name, checks, why)


def test_a_forward_off_by_a_constant_fails_at_forward(tmp_path):
    """Finite differences alone would pass a ReLU6 clipping at 5 whose derivative says the same: torch's
    forward is the one that catches it."""
    src = _source("relu6", "class", False).replace("np.clip(x, 0, 6)", "np.clip(x, 0, 5)") \
        .replace("(x < 6)", "(x < 5)")
    (tmp_path / "relu6.py").write_text(src)
    found, _ = scan([str(tmp_path / "relu6.py")], dtypes=F64)
    verdict, checks, why = failed_checks(found, "ReLU6")
    assert verdict == "FAIL" and "forward" in checks, why


def test_an_nnfs_style_class_whose_backward_sets_nothing_fails(tmp_path):
    """``self.dinputs`` left from an earlier call is not taken for this call's result."""
    src = _source("elu", "nnfs", False).replace("        self.dinputs = dvalues * (", "        _ = (")
    (tmp_path / "elu.py").write_text(src)
    found, _ = scan([str(tmp_path / "elu.py")], dtypes=F64)
    verdict, checks, why = failed_checks(found, "Activation_ELU")
    assert verdict == "FAIL" and "grad_input" in checks, why


def test_a_function_pair_with_both_precisions(tmp_path):
    """float32 too, for a function pair that keeps its input's dtype."""
    src = '''import numpy as np


def elu_forward(x, alpha=1.0):
    return np.where(x > 0, x, x.dtype.type(alpha) * np.expm1(x)), (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1, x.dtype.type(alpha) * np.exp(x))
'''
    (tmp_path / "elu.py").write_text(src)
    found, _ = scan([str(tmp_path / "elu.py")])
    assert verdicts(found) == {"elu_forward": ("PASS", {})}, verdicts(found)
    assert {r.dtype for o in found for r in o.report.results} == {"float32", "float64"}


PRELU = '''import numpy as np


class PReLU:
    def __init__(self, num_parameters=1, init=0.25):
        self.alpha = np.full(num_parameters, init)
        self.dalpha = None

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        axes = tuple(range(self.x.ndim - 1)) if self.alpha.size > 1 else None
        self.dalpha = np.sum(dout * np.where(self.x > 0, 0, self.x), axis=axes).reshape(self.alpha.shape)
        return dout * np.where(self.x > 0, 1, self.alpha)
'''


@pytest.mark.parametrize("bug", [None, ("np.sum(dout * np.where", "np.mean(dout * np.where")])
def test_a_learnt_prelu_slope_is_compared_with_torchs(tmp_path, bug):
    """A PReLU's slope is a parameter: its gradient is torch's (summed over every element it scales), not
    only finite differences'."""
    (tmp_path / "prelu.py").write_text(PRELU if bug is None else PRELU.replace(*bug))
    found, _ = scan([str(tmp_path / "prelu.py")], dtypes=F64)
    verdict, checks, why = failed_checks(found, "PReLU")
    if bug is None:
        assert verdict == "PASS", why
        assert any(r.check.startswith("grad_param") for o in found for r in o.report.results)
    else:
        assert verdict == "FAIL" and any(c.startswith("grad_param") for c in checks), (checks, why)
