from torch import nn


def relu(layer):
    return nn.ReLU(), {}


def leaky_relu(layer):
    return nn.LeakyReLU(layer.negative_slope), {}


def sigmoid(layer):
    return nn.Sigmoid(), {}


def tanh(layer):
    return nn.Tanh(), {}
