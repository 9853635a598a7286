from torch import nn


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
