from torch import nn

from ..mapping import Param


def linear(layer):
    module = nn.Linear(layer.in_features, layer.out_features, bias="b" in layer.params)
    return module, {"W": Param("weight", transpose=True), "b": Param("bias")}


def flatten(layer):
    return nn.Flatten(), {}
