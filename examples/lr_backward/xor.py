"""Train on XOR one sample at a time: each layer's backward updates its own weights."""
import numpy as np

from activations import Tanh
from dense import Dense
from losses import mse, mse_prime

X = np.reshape([[0, 0], [0, 1], [1, 0], [1, 1]], (4, 2, 1)).astype(float)
Y = np.reshape([[0], [1], [1], [0]], (4, 1, 1)).astype(float)

np.random.seed(0)
network = [Dense(2, 3), Tanh(), Dense(3, 1), Tanh()]
for epoch in range(1000):
    error = 0.0
    for x, y in zip(X, Y):
        output = x
        for layer in network:
            output = layer.forward(output)
        error += mse(y, output)
        grad = mse_prime(y, output)
        for layer in reversed(network):
            grad = layer.backward(grad, 0.1)
print(f"error {error / len(X):.4f}")
