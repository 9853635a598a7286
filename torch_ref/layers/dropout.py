from torch import nn


def dropout(layer):
    return nn.Dropout(layer.p), {}
