"""torch's elementwise activations for ``parity scan``, by kind: which names a user's class or
function goes by (``Elu``, ``Activation_ELU``, ``elu_forward``), and torch's function of an input with
the hyperparameters the user's code keeps under its own names (an ELU's ``alpha``, a Hardtanh's
``min_val``), torch's defaults where it keeps none. One table for every style the scan reads.
"""
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# a name (lower case, without "layer", "activation", "module" and "_") -> kind
NAMES = {"elu": "elu", "gelu": "gelu", "swish": "silu", "silu": "silu", "leakyrelu": "leaky_relu",
         "softplus": "softplus", "selu": "selu", "prelu": "prelu", "celu": "celu", "mish": "mish",
         "hardtanh": "hardtanh", "relu6": "relu6", "hardswish": "hardswish", "hswish": "hardswish",
         "hardsigmoid": "hardsigmoid", "hsigmoid": "hardsigmoid", "softsign": "softsign",
         "logsigmoid": "logsigmoid",
         "gelutanh": "gelu", "geluapprox": "gelu", "approxgelu": "gelu", "fastgelu": "gelu"}
# the kinds torch has a function for, of one input and numbers (not arrays) kept by the layer
KINDS = sorted(set(NAMES.values()))
# the scale of the wide sample's inputs (z * scale), where 4 does not cross every branch
WIDE = {"relu6": 9.0, "softplus": 12.0}
# each hyperparameter: the names a user's code keeps it under, first the one torch uses
SLOPES = ("negative_slope", "alpha", "slope", "leak", "leakiness", "a")
MINS = ("min_val", "min_value", "min", "lower", "low", "lo")
MAXS = ("max_val", "max_value", "max", "upper", "high", "hi")


def _get(hyper, names, default):
    return float(next((hyper[k] for k in names if k in hyper and hyper[k] is not None), default))


def gelu_is_tanh(want, xt, close):
    """Whether a GELU's output ``want`` is the tanh approximation's and not the exact one's (``close``:
    the caller's comparison); the exact one where neither or both fit."""
    exact = F.gelu(xt).detach().numpy()
    return want is not None and not close(want, exact) and close(want, F.gelu(xt, approximate="tanh").detach().numpy())


def slope_of(x, out):
    """The slope of a leaky ReLU read from its output (``out / x`` on the negative inputs, one number in
    (0, 1) for all of them: a slope written as a literal, ``0.1 * inputs``), or None."""
    x, out = np.asarray(x, dtype=np.float64), np.asarray(out, dtype=np.float64)
    neg = x < -1e-3
    if out.shape != x.shape or not neg.any():
        return None
    ratio = out[neg] / x[neg]
    slope = float(np.median(ratio))
    return slope if 0 < slope < 1 and np.allclose(ratio, slope, rtol=1e-9, atol=0) else None


# another library's definition of a kind, told when a forward matches it and not torch's
OTHER = {"hardsigmoid": ("a hard sigmoid of slope 0.2, clip(0.2 * x + 0.5, 0, 1) (Keras's and Theano's); torch's "
                         "has slope 1/6, clip(x / 6 + 1/2, 0, 1)", lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0))}


def other_definition(kind, x, out):
    """What ``out`` is, when it is ``kind`` as another library defines it (``OTHER``), else None."""
    if kind not in OTHER:
        return None
    x, out = np.asarray(x, dtype=np.float64), np.asarray(out, dtype=np.float64)
    said, fn = OTHER[kind]
    return said if out.shape == x.shape and np.allclose(out, fn(x), rtol=1e-6, atol=1e-9) else None


def torch_activation(kind, xt, hyper=None, tanh_gelu=False):
    """torch's ``kind`` of the tensor ``xt`` with the user's hyperparameters ``hyper`` (a dict)."""
    h = hyper or {}
    if kind == "elu":
        return F.elu(xt, _get(h, ("alpha",), 1.0))
    if kind == "celu":                              # F.celu's backward takes 1/alpha in float32 (5e-8 off in
        a = _get(h, ("alpha",), 1.0)                # float64 for alpha 0.7); the same function exactly
        return a * F.elu(xt / a)
    if kind in ("leaky_relu", "prelu"):             # a PReLU of one slope it holds as a number (torch's PReLU's 0.25 else)
        return F.leaky_relu(xt, _get(h, SLOPES, 0.01 if kind == "leaky_relu" else 0.25))
    if kind == "silu":
        return xt * torch.sigmoid(_get(h, ("beta",), 1.0) * xt)
    if kind == "softplus":                          # torch's linear branch past a threshold the code keeps;
        beta = _get(h, ("beta",), 1.0)              # without one, log(1 + exp(beta x)) / beta exactly, not
        if "threshold" in h:                        # torch's approximation of it past 20 (off by exp(-20))
            return F.softplus(xt, beta, _get(h, ("threshold",), 20.0))
        return torch.logaddexp(torch.zeros_like(xt), beta * xt) / beta
    if kind == "selu":                              # its own alpha and scale where it keeps them (torch's by default)
        return _get(h, ("scale", "lambda", "lamda", "lambd"), 1.0507009873554805) * \
            F.elu(xt, _get(h, ("alpha",), 1.6732632423543772))
    if kind == "hardtanh":
        return F.hardtanh(xt, _get(h, MINS, -1.0), _get(h, MAXS, 1.0))
    if kind == "relu6":
        return F.relu6(xt)
    if kind == "mish":
        return F.mish(xt)
    if kind == "hardswish":
        return F.hardswish(xt)
    if kind == "hardsigmoid":                       # F.hardsigmoid's own backward multiplies by 1/6 rounded to
        return F.relu6(xt + 3) / 6                  # float32 (3e-8 off in float64); the same function exactly
    if kind == "softsign":
        return F.softsign(xt)
    if kind == "logsigmoid":
        return F.logsigmoid(xt)
    if kind == "gelu":
        return F.gelu(xt, approximate="tanh" if tanh_gelu or h.get("approximate") == "tanh" else "none")
    raise KeyError(kind)


class Activation(nn.Module):
    """``torch_activation`` as a module (the reference of a function pair's ``kind``)."""

    def __init__(self, kind, hyper=None, tanh_gelu=False):
        super().__init__()
        self.kind, self.hyper, self.tanh_gelu = kind, dict(hyper or {}), tanh_gelu

    def forward(self, x):
        return torch_activation(self.kind, x, self.hyper, self.tanh_gelu)
