from torch import nn


def max_pool2d(layer):
    return nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding, dilation=layer.dilation,
                        ceil_mode=layer.ceil_mode), {}


def avg_pool2d(layer):
    return nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode,
                        count_include_pad=layer.count_include_pad, divisor_override=layer.divisor_override), {}
