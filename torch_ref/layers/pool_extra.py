from torch import nn


def adaptive_avg_pool2d(layer):
    return nn.AdaptiveAvgPool2d(layer.output_size), {}


def global_avg_pool2d(layer):
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), {}


def upsample(layer):
    return nn.Upsample(scale_factor=tuple(float(s) for s in layer.scale_factor), mode="nearest"), {}
