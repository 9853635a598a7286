import numpy as np


class Adam:

    def __init__(self, model, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.l = model.layers
        self.beta1, self.beta2, self.eps, self.lr = beta1, beta2, eps, lr
        self.t = 0
        self.m_W = [np.zeros(layer.W.shape) for layer in self.l]
        self.v_W = [np.zeros(layer.W.shape) for layer in self.l]
        self.m_b = [np.zeros(layer.b.shape) for layer in self.l]
        self.v_b = [np.zeros(layer.b.shape) for layer in self.l]

    def step(self):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        for i, layer in enumerate(self.l):
            self.m_W[i] = b1 * self.m_W[i] + (1 - b1) * layer.dLdW
            self.v_W[i] = b2 * self.v_W[i] + (1 - b2) * layer.dLdW ** 2
            self.m_b[i] = b1 * self.m_b[i] + (1 - b1) * layer.dLdb
            self.v_b[i] = b2 * self.v_b[i] + (1 - b2) * layer.dLdb ** 2
            m_W_hat = self.m_W[i] / (1 - b1 ** self.t)
            v_W_hat = self.v_W[i] / (1 - b2 ** self.t)
            m_b_hat = self.m_b[i] / (1 - b1 ** self.t)
            v_b_hat = self.v_b[i] / (1 - b2 ** self.t)
            layer.W = layer.W - self.lr * m_W_hat / (np.sqrt(v_W_hat) + self.eps)
            layer.b = layer.b - self.lr * m_b_hat / (np.sqrt(v_b_hat) + self.eps)
