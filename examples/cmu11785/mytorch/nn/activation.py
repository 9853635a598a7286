import numpy as np


class Identity:

    def forward(self, Z):
        self.A = Z
        return self.A

    def backward(self, dLdA):
        dAdZ = np.ones(self.A.shape, dtype="f")
        return dLdA * dAdZ


class Sigmoid:

    def forward(self, Z):
        self.A = 0.5 * (1 + np.tanh(0.5 * Z))      # 1 / (1 + exp(-Z)) without the overflow
        return self.A

    def backward(self, dLdA):
        dAdZ = self.A - self.A * self.A
        return dLdA * dAdZ


class Tanh:

    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self, dLdA):
        dAdZ = 1 - self.A * self.A
        return dLdA * dAdZ


class ReLU:

    def forward(self, Z):
        self.A = np.maximum(0, Z)
        return self.A

    def backward(self, dLdA):
        dAdZ = np.where(self.A > 0, 1.0, 0.0)
        return dLdA * dAdZ


class Softmax:

    def forward(self, Z):
        """Z: (N, C), each row normalised over its C classes."""
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        self.A = E / E.sum(axis=1, keepdims=True)
        return self.A

    def backward(self, dLdA):
        """Each row's Jacobian diag(a) - a a^T, applied without building it."""
        return self.A * (dLdA - np.sum(dLdA * self.A, axis=1, keepdims=True))
