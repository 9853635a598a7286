from torch import nn

import numpy_impl.layers as L

from ..mapping import Param

_AFFINE = {"gamma": Param("weight"), "beta": Param("bias")}


def batch_norm(layer):
    """The torch module closest to the NumPy BatchNorm. For ``convention="classic"`` torch's
    momentum is ``1 - momentum``; running_var still differs by the N/(N-1) factor (by design).
    ``momentum=None`` (the cumulative average) is torch's None in both."""
    cls = nn.BatchNorm1d if isinstance(layer, L.BatchNorm1d) else nn.BatchNorm2d
    momentum = layer.momentum if layer.convention == "torch" or layer.momentum is None else 1 - layer.momentum
    module = cls(layer.num_features, eps=layer.eps, momentum=momentum, affine=layer.affine)
    return module, dict(_AFFINE) if layer.affine else {}


def layer_norm(layer):
    bias = getattr(layer, "bias", True)
    module = nn.LayerNorm(layer.normalized_shape, eps=layer.eps, elementwise_affine=layer.affine, bias=bias)
    return module, ({k: v for k, v in _AFFINE.items() if bias or k == "gamma"} if layer.affine else {})
