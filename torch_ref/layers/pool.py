from torch import nn


def max_pool2d(layer):
    return nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding), {}


def avg_pool2d(layer):
    return nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding,
                        count_include_pad=layer.count_include_pad), {}
