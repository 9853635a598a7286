from torch import nn

from ..mapping import Param


def conv1d(layer):
    module = nn.Conv1d(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                       padding=layer.padding, dilation=layer.dilation, bias="b" in layer.params)
    return module, {"W": Param("weight"), "b": Param("bias")}


def conv_transpose2d(layer):
    """Same weight layout as torch: (C_in, C_out, kh, kw)."""
    module = nn.ConvTranspose2d(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                                padding=layer.padding, output_padding=layer.output_padding,
                                dilation=layer.dilation, bias="b" in layer.params)
    return module, {"W": Param("weight"), "b": Param("bias")}
