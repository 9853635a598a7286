"""cs231n assignment 2: a two-layer fully-connected network, affine - relu - affine - softmax,
with its weights in ``self.params`` and ``loss(X, y)`` returning ``(loss, grads)``."""
import numpy as np

from ..layers import affine_backward, affine_forward, relu_backward, relu_forward, softmax_loss


class TwoLayerNet(object):
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X, y=None):
        h, cache1 = affine_forward(X, self.params["W1"], self.params["b1"])
        a, cache_relu = relu_forward(h)
        scores, cache2 = affine_forward(a, self.params["W2"], self.params["b2"])
        if y is None:
            return scores
        grads = {}
        loss, dscores = softmax_loss(scores, y)
        W1, W2 = self.params["W1"], self.params["W2"]
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        da, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        dh = relu_backward(da, cache_relu)
        _, grads["W1"], grads["b1"] = affine_backward(dh, cache1)
        grads["W2"] += self.reg * W2
        grads["W1"] += self.reg * W1
        return loss, grads
