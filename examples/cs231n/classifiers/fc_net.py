"""cs231n assignment 2: fully-connected networks, {affine - [batch/layer norm] - relu - [dropout]} x
(L - 1) - affine - softmax, with their weights in ``self.params`` and ``loss(X, y)`` returning
``(loss, grads)``."""
import numpy as np

from ..layers import (affine_backward, affine_forward, batchnorm_backward, batchnorm_forward, dropout_backward,
                      dropout_forward, layernorm_backward, layernorm_forward, relu_backward, relu_forward,
                      softmax_loss)


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


class FullyConnectedNet(object):
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params[f"W{i + 1}"] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params[f"b{i + 1}"] = np.zeros(dims[i + 1])
            if normalization and i < self.num_layers - 1:
                self.params[f"gamma{i + 1}"] = np.ones(dims[i + 1])
                self.params[f"beta{i + 1}"] = np.zeros(dims[i + 1])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for i in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for i in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode
        caches, out = [], X
        for i in range(1, self.num_layers):
            out, fc_cache = affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            norm_cache = drop_cache = None
            if self.normalization == "batchnorm":
                out, norm_cache = batchnorm_forward(out, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                                                    self.bn_params[i - 1])
            elif self.normalization == "layernorm":
                out, norm_cache = layernorm_forward(out, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                                                    self.bn_params[i - 1])
            out, relu_cache = relu_forward(out)
            if self.use_dropout:
                out, drop_cache = dropout_forward(out, self.dropout_param)
            caches.append((fc_cache, norm_cache, relu_cache, drop_cache))
        L = self.num_layers
        scores, last_cache = affine_forward(out, self.params[f"W{L}"], self.params[f"b{L}"])
        if mode == "test":
            return scores

        loss, dout = softmax_loss(scores, y)
        loss += 0.5 * self.reg * sum(np.sum(self.params[f"W{i}"] ** 2) for i in range(1, L + 1))
        grads = {}
        dout, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dout, last_cache)
        grads[f"W{L}"] += self.reg * self.params[f"W{L}"]
        for i in range(L - 1, 0, -1):
            fc_cache, norm_cache, relu_cache, drop_cache = caches[i - 1]
            if self.use_dropout:
                dout = dropout_backward(dout, drop_cache)
            dout = relu_backward(dout, relu_cache)
            if self.normalization == "batchnorm":
                dout, grads[f"gamma{i}"], grads[f"beta{i}"] = batchnorm_backward(dout, norm_cache)
            elif self.normalization == "layernorm":
                dout, grads[f"gamma{i}"], grads[f"beta{i}"] = layernorm_backward(dout, norm_cache)
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dout, fc_cache)
            grads[f"W{i}"] += self.reg * self.params[f"W{i}"]
        return loss, grads
