import numpy as np


class Linear:

    def __init__(self, in_features, out_features, debug=False):
        """W: (C1, C0), b: (C1, 1), zeros as the handout has them."""
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros((out_features, 1))
        self.debug = debug

    def forward(self, A):
        """A: (N, C0) -> Z: (N, C1)"""
        self.A = A
        self.N = A.shape[0]
        self.Ones = np.ones((self.N, 1))
        Z = self.A @ self.W.T + self.Ones @ self.b.T
        return Z

    def backward(self, dLdZ):
        """dLdZ: (N, C1) -> dLdA: (N, C0); leaves dLdW (C1, C0) and dLdb (C1, 1)."""
        dLdA = dLdZ @ self.W
        self.dLdW = dLdZ.T @ self.A
        self.dLdb = dLdZ.T @ self.Ones
        if self.debug:
            self.dLdA = dLdA
        return dLdA
