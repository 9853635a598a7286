"""The classic networks as ``Sequential`` models, so each has a torch mirror for free.

``model.loss(X, y)`` is the classic cs231n interface: data loss (softmax or SVM on the scores)
plus ``reg * sum(W**2)`` over the weights, returning ``(loss, grads)`` with ``grads`` by parameter
name, ready for ``optimizer.step``.
"""
import numpy as np

from .. import init as initializers
from ..rng import as_rng
from ..layers import (BatchNorm1d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid,
                      Tanh)
from ..checks import as_float_array, check_count, check_flag, check_labels, check_number, float_dtype, weight_init
from ..losses import LOSSES, l2_penalty

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def _check_loss(component, loss):
    if loss not in LOSSES:
        raise ValueError(f"{component}: loss must be one of {sorted(LOSSES)}, got {loss!r}")



class Model(Sequential):
    reg = 0.0
    loss_name = "softmax"

    def loss(self, X, y, training=True):
        if self.loss_name not in LOSSES:            # an attribute set after construction, checked here too
            _check_loss(f"{type(self).__name__}.loss (loss_name)", self.loss_name)
        scores = self.forward(X, training)
        data_loss, dscores = LOSSES[self.loss_name](scores, y)
        self.backward(dscores, input_grad=False)
        grads = self.named_grads()       # a backward replaces these arrays, so no copy is needed
        penalty = 0.0
        if self.reg:
            penalty, pgrads = l2_penalty(self.named_parameters(), self.reg, self.weight_names())
            for k, g in pgrads.items():     # into the penalty's own array: one gradient-sized array less
                g += grads[k]
                grads[k] = g
        return float(data_loss) + penalty, grads

    def weight_names(self):
        return [k for k in self.named_parameters() if k.endswith(".W")]

    def predict(self, X, batch_size=1000):
        """X: (N, ...) -> (N,) the class of the highest score, in eval mode."""
        return self._predict(X, batch_size, f"{type(self).__name__}.predict")[0]

    def accuracy(self, X, y, batch_size=1000):
        """The fraction of the N samples of X whose predicted class is the label; y: (N,) integers in [0, C)."""
        name = f"{type(self).__name__}.accuracy"
        pred, classes = self._predict(X, batch_size, name)
        return float(np.mean(pred == check_labels(name, y, len(pred), classes)))

    def _predict(self, X, batch_size, name):
        """(predicted classes (N,), number of classes C)."""
        batch_size = check_count(name, "batch_size", batch_size)
        X = np.asarray(X)
        if X.ndim == 0 or len(X) == 0:
            raise ValueError(f"{name}: expected at least one sample (N, ...), got shape {X.shape}")
        pred, classes = [], None
        for i in range(0, len(X), batch_size):      # one batch's scores at a time, never all N x C
            scores = self.forward(X[i:i + batch_size], training=False)
            pred.append(scores.argmax(axis=1))
            classes = scores.shape[1]
        return np.concatenate(pred), classes


class FullyConnectedNet(Model):
    """Affine - [BatchNorm] - activation - [Dropout], repeated, then a final affine to the scores.
    x: (N, input_dim) -> scores: (N, num_classes)."""

    def __init__(self, input_dim, hidden_dims, num_classes=10, activation="relu", init="he", weight_scale=1e-2,
                 batchnorm=False, dropout=0.0, reg=0.0, loss="softmax", seed=0, dtype=np.float64):
        name = type(self).__name__
        if activation not in ACTIVATIONS:
            raise ValueError(f"{name}: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        _check_loss(name, loss)
        check_number(name, "reg", reg, 0)
        if isinstance(hidden_dims, (str, bytes)) or not hasattr(hidden_dims, "__iter__"):
            raise ValueError(f"{name}: hidden_dims must be a list of layer sizes, got {hidden_dims!r}")
        batchnorm = check_flag(name, "batchnorm", batchnorm)    # the string "False" would switch it on
        rng = as_rng(seed, type(self).__name__)
        w_init = weight_init(name, init, weight_scale)      # a name, a function; a bad one named here
        dims = [input_dim] + list(hidden_dims)
        layers = []
        for i in range(len(hidden_dims)):
            # no bias before BatchNorm: its gradient is exactly 0 and beta does its job
            layers.append(Linear(dims[i], dims[i + 1], bias=not batchnorm, init=w_init, rng=rng, dtype=dtype))
            if batchnorm:
                layers.append(BatchNorm1d(dims[i + 1], dtype=dtype))
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(Dropout(dropout, rng=rng))
        layers.append(Linear(dims[-1], num_classes, init=w_init, rng=rng, dtype=dtype))
        super().__init__(*layers)
        self.reg, self.loss_name = check_number(name, "reg", reg, 0), loss


class TwoLayerNet(FullyConnectedNet):
    """affine - ReLU - affine - softmax with L2 (the cs231n two-layer net; weights 1e-4 * randn)."""

    def __init__(self, input_dim, hidden_dim, num_classes=10, weight_scale=1e-4, reg=0.0, seed=0, dtype=np.float64):
        super().__init__(input_dim, [hidden_dim], num_classes, init="normal", weight_scale=weight_scale, reg=reg,
                         seed=seed, dtype=dtype)


class ConvNet(Model):
    """[conv 3x3 pad 1 - ReLU - maxpool 2x2] per entry of ``channels``, then affine - ReLU - affine.
    x: (N, C, H, W) -> scores: (N, num_classes)."""

    def __init__(self, input_shape=(1, 28, 28), channels=(16, 32), hidden_dim=128, num_classes=10, reg=0.0,
                 seed=0, dtype=np.float64):
        rng = as_rng(seed, "ConvNet")
        if not hasattr(input_shape, "__len__") or len(input_shape) != 3 or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in input_shape):
            raise ValueError(f"ConvNet: input_shape must be (C, H, W), integers >= 1, got {input_shape!r}")
        if isinstance(channels, (str, bytes)) or not isinstance(channels, (list, tuple)) or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in channels):
            raise ValueError(f"ConvNet: channels must be a list of channel counts (integers >= 1), one per conv "
                             f"block, got {channels!r}")
        c, h, w = input_shape
        if (h >> len(channels)) < 1 or (w >> len(channels)) < 1:
            fits = min(int(h).bit_length(), int(w).bit_length()) - 1
            raise ValueError(f"ConvNet: {len(channels)} conv blocks (channels {list(channels)}) halve {h}x{w} images "
                             f"to nothing; at most {fits} fit")
        layers = []
        for out in channels:
            layers += [Conv2d(c, out, 3, padding=1, init=initializers.he_normal, rng=rng, dtype=dtype), ReLU(),
                       MaxPool2d(2)]
            c, h, w = out, h // 2, w // 2
        layers += [Flatten(), Linear(c * h * w, hidden_dim, init=initializers.he_normal, rng=rng, dtype=dtype),
                   ReLU(), Linear(hidden_dim, num_classes, init=initializers.he_normal, rng=rng, dtype=dtype)]
        super().__init__(*layers)
        self.reg = check_number("ConvNet", "reg", reg, 0)


class LinearClassifier(Model):
    """Softmax regression or linear SVM: one affine layer. ``bias_trick=True`` folds the bias into W
    (the data then carries a column of ones)."""

    def __init__(self, input_dim, num_classes=10, loss="softmax", reg=0.0, bias_trick=False, weight_scale=1e-3,
                 seed=0, dtype=np.float64):
        _check_loss("LinearClassifier", loss)
        reg = check_number("LinearClassifier", "reg", reg, 0)
        super().__init__(Linear(input_dim, num_classes, bias=not check_flag("LinearClassifier", "bias_trick", bias_trick),
                                weight_scale=weight_scale, rng=as_rng(seed, "LinearClassifier"), dtype=dtype))
        self.reg, self.loss_name = reg, loss

    def train_sgd(self, X, y, lr=1e-3, epochs=1, batch_size=200, seed=0):
        """Minibatch SGD, the classic ``train``; returns the loss history."""
        from ..optim import SGD
        from ..train import check_int
        check_int("LinearClassifier.train_sgd", "batch_size", batch_size, 1)
        check_int("LinearClassifier.train_sgd", "epochs", epochs, 0)
        name = "LinearClassifier.train_sgd"
        X = as_float_array(name, X, "X")
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"{name}: expected X of shape (N, D) with N >= 1, got shape {X.shape}")
        y = check_labels(name, y, len(X), self.layers[0].out_features)
        opt = SGD(self.named_parameters(), lr=lr)
        rng = as_rng(seed, "LinearClassifier.train_sgd")
        history = []
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for i in range(0, len(X), batch_size):
                idx = order[i:i + batch_size]
                loss, grads = self.loss(X[idx], y[idx])
                opt.step(grads)
                history.append(loss)
        return history


# The model vocabulary: every command and preset names models by these kinds.
ARCHITECTURES = {
    "softmax": dict(),
    "svm": dict(),
    "two-layer": dict(hidden=[256], init="normal", weight_scale=1e-2),
    "mlp": dict(hidden=[512, 256], batchnorm=True, dropout=0.3),
    "conv": dict(channels=[16, 32], hidden=[128]),
}
SETTINGS = dict(hidden=[512, 256], channels=[16, 32], activation="relu", init="he", weight_scale=1e-2,
                batchnorm=False, dropout=0.0)
MODELS = tuple(ARCHITECTURES)


def architecture(kind):
    """The architecture settings of ``kind`` (hidden sizes, channels, activation, init, weight scale,
    batchnorm, dropout), its defaults filled in."""
    if kind not in ARCHITECTURES:
        raise ValueError(f"unknown model {kind!r}; choose one of {', '.join(MODELS)}")
    return {**SETTINGS, **ARCHITECTURES[kind]}


def build_model(kind, input_shape, num_classes=10, reg=0.0, seed=0, dtype=np.float64, **settings):
    """A model of ``kind`` for samples of ``input_shape`` ((D,) flat, or (C, H, W) for ``conv``);
    ``settings`` override the kind's architecture (``architecture(kind)``)."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:                                     # a misspelt setting would silently build the default net
        raise ValueError(f"build_model: unknown setting(s) {unknown}; known: {sorted(SETTINGS)}")
    a = {**architecture(kind), **{k: v for k, v in settings.items() if v is not None}}
    dtype = float_dtype("build_model", dtype).type      # a misspelt one named here, not by NumPy
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, (tuple, list)) or not input_shape \
            or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in input_shape):
        raise ValueError(f"build_model: input_shape must be the sample's shape, (D,) or (C, H, W) of sizes >= 1, "
                         f"got {input_shape!r}")
    dim = int(np.prod(input_shape))
    if kind in ("softmax", "svm"):
        return LinearClassifier(dim, num_classes, loss=kind, reg=reg, seed=seed, dtype=dtype)
    if kind in ("two-layer", "mlp", "conv") and (not isinstance(a["hidden"], (list, tuple)) or not a["hidden"]):
        raise ValueError(f"build_model: a {kind} model needs at least one hidden size, got hidden={a['hidden']!r}")
    if kind == "two-layer":
        return TwoLayerNet(dim, a["hidden"][0], num_classes, weight_scale=a["weight_scale"], reg=reg, seed=seed,
                           dtype=dtype)
    if kind == "mlp":
        return FullyConnectedNet(dim, a["hidden"], num_classes, activation=a["activation"], init=a["init"],
                                 weight_scale=a["weight_scale"], batchnorm=a["batchnorm"], dropout=a["dropout"],
                                 reg=reg, seed=seed, dtype=dtype)
    if len(input_shape) != 3:
        raise ValueError(f"conv: expected samples of shape (C, H, W), got {tuple(input_shape)}")
    return ConvNet(tuple(input_shape), a["channels"], a["hidden"][0], num_classes, reg=reg, seed=seed, dtype=dtype)
