import numpy as np

from activation import Activation
from layer import Layer


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    return 1 - np.tanh(x) ** 2


def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))        # no overflow for large |x|


def sigmoid_prime(x):
    s = sigmoid(x)
    return s * (1 - s)


class Tanh(Activation):
    def __init__(self):
        super().__init__(tanh, tanh_prime)


class Sigmoid(Activation):
    def __init__(self):
        super().__init__(sigmoid, sigmoid_prime)


class Softmax(Layer):
    """Over the whole column (n, 1)."""

    def forward(self, input):
        e = np.exp(input - np.max(input))
        self.output = e / np.sum(e)
        return self.output

    def backward(self, output_gradient, learning_rate):
        return self.output * (output_gradient - np.sum(self.output * output_gradient))
