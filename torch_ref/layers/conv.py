from torch import nn

from ..mapping import Param


def conv2d(layer):
    module = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                       padding=layer.padding, dilation=layer.dilation, bias="b" in layer.params)
    return module, {"W": Param("weight"), "b": Param("bias")}
