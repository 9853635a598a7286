import torch.nn.functional as F
from torch import nn

from ..mapping import Param


def gelu(layer):
    return nn.GELU(approximate=layer.approximate), {}


def elu(layer):
    return nn.ELU(alpha=layer.alpha), {}


def selu(layer):
    return nn.SELU(), {}


def silu(layer):
    return nn.SiLU(), {}


def softplus(layer):
    return nn.Softplus(beta=layer.beta, threshold=layer.threshold), {}


def softmax(layer):
    return nn.Softmax(dim=layer.dim), {}


def log_softmax(layer):
    return nn.LogSoftmax(dim=layer.dim), {}


def mish(layer):
    return nn.Mish(), {}


def softsign(layer):
    return nn.Softsign(), {}


def hardtanh(layer):
    return nn.Hardtanh(layer.min_val, layer.max_val), {}


def relu6(layer):
    return nn.ReLU6(), {}


def hardswish(layer):
    return nn.Hardswish(), {}


class ExactHardsigmoid(nn.Hardsigmoid):
    """``nn.Hardsigmoid`` whose float64 gradient is 1/6 exactly: torch's own backward kernel multiplies by
    1/6 rounded to float32 (``0.1666666716``, 3e-8 off in float64). The same function, ``relu6(x + 3) / 6``."""

    def forward(self, x):
        return F.relu6(x + 3) / 6


def hardsigmoid(layer):
    return ExactHardsigmoid(), {}


def prelu(layer):
    return nn.PReLU(layer.num_parameters, init=layer.init), {"alpha": Param("weight")}
