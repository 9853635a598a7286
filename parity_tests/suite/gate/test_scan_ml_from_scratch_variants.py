"""``parity scan`` on variants of ML-From-Scratch's forms met in hand-written code (a review's cases):
a spatial BatchNormalization over (N, C, H, W), ``forward_pass(X, training)`` without a default, a layer
made with ``trainable = False``, a backward_pass that returns nothing; optimizers keeping options torch
has (weight decay, Nesterov, RMSprop's momentum and ``alpha``, Adagrad's initial accumulator) and one
whose constructor requires the learning rate. Correct ones pass; the bugs fail at their check."""
import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts


BN_SPATIAL_NCHW_OK = '''import copy
import math
import numpy as np


class SpatialBatchNormalization:
    def __init__(self, decay=0.9, epsilon=1e-5, input_shape=None):
        self.decay = decay
        self.epsilon = epsilon
        self.input_shape = input_shape
        self.trainable = True
        self.running_mean = None
        self.running_var = None

    def set_input_shape(self, shape):
        self.input_shape = shape

    def initialize(self, optimizer):
        C = self.input_shape[0]
        self.gamma = np.ones((1, C, 1, 1))
        self.beta = np.zeros((1, C, 1, 1))
        self.gamma_opt = copy.copy(optimizer)
        self.beta_opt = copy.copy(optimizer)
        self.running_mean = np.zeros((1, C, 1, 1))
        self.running_var = np.ones((1, C, 1, 1))

    def forward_pass(self, X, training=True):
        if training:
            mean = X.mean(axis=(0, 2, 3), keepdims=True)
            var = X.var(axis=(0, 2, 3), keepdims=True)
            m = X.shape[0] * X.shape[2] * X.shape[3]
            self.running_mean = self.decay * self.running_mean + (1 - self.decay) * mean
            self.running_var = self.decay * self.running_var + (1 - self.decay) * var * m / (m - 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.xc = X - mean
        self.inv = 1.0 / np.sqrt(var + self.epsilon)
        self.xn = self.xc * self.inv
        return self.gamma * self.xn + self.beta

    def backward_pass(self, accum_grad):
        gamma = self.gamma
        ax = (0, 2, 3)
        m = accum_grad.shape[0] * accum_grad.shape[2] * accum_grad.shape[3]
        dgamma = np.sum(accum_grad * self.xn, axis=ax, keepdims=True)
        dbeta = np.sum(accum_grad, axis=ax, keepdims=True)
        if self.trainable:
            self.gamma = self.gamma_opt.update(self.gamma, dgamma)
            self.beta = self.beta_opt.update(self.beta, dbeta)
        dxn = accum_grad * gamma
        return (self.inv / m) * (m * dxn - dxn.sum(axis=ax, keepdims=True)
                                 - self.xn * np.sum(dxn * self.xn, axis=ax, keepdims=True))
'''


OPT_SGD_WEIGHT_DECAY_OK = '''import numpy as np


class SGD:
    def __init__(self, learning_rate=0.01, weight_decay=5e-4):
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay

    def update(self, w, grad_wrt_w):
        return w - self.learning_rate * (grad_wrt_w + self.weight_decay * w)
'''


OPT_RMSPROP_MOMENTUM_OK = '''import numpy as np


class RMSprop:
    def __init__(self, learning_rate=0.01, rho=0.99, epsilon=1e-8, momentum=0.9):
        self.learning_rate, self.rho, self.epsilon, self.momentum = learning_rate, rho, epsilon, momentum
        self.sq = self.buf = None

    def update(self, w, grad_wrt_w):
        if self.sq is None:
            self.sq, self.buf = np.zeros_like(w), np.zeros_like(w)
        self.sq = self.rho * self.sq + (1 - self.rho) * grad_wrt_w ** 2
        self.buf = self.momentum * self.buf + grad_wrt_w / (np.sqrt(self.sq) + self.epsilon)
        return w - self.learning_rate * self.buf
'''


OPT_SGD_NESTEROV_ON_OK = '''import numpy as np


class SGD:
    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=True):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.v = None

    def update(self, w, grad_wrt_w):
        if self.v is None:
            self.v = np.zeros_like(w)
        self.v = self.momentum * self.v + grad_wrt_w
        if self.nesterov:
            step = grad_wrt_w + self.momentum * self.v
        else:
            step = self.v
        return w - self.learning_rate * step
'''


OPT_LR_REQUIRED_IN_CTOR = '''import numpy as np


class SGD:
    def __init__(self, learning_rate, momentum=0.0):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.v = None

    def update(self, w, grad_wrt_w):
        if self.v is None:
            self.v = np.zeros_like(w)
        self.v = self.momentum * self.v + grad_wrt_w
        return w - self.learning_rate * self.v
'''


DENSE_TRAINING_REQUIRED_OK = '''import copy
import math
import numpy as np


class Dense:
    def __init__(self, n_units, input_shape=None):
        self.n_units = n_units
        self.input_shape = input_shape
        self.trainable = True
        self.W = None
        self.b = None

    def set_input_shape(self, shape):
        self.input_shape = shape

    def initialize(self, optimizer):
        limit = 1 / math.sqrt(self.input_shape[0])
        self.W = np.random.uniform(-limit, limit, (self.input_shape[0], self.n_units))
        self.b = np.zeros((1, self.n_units))
        self.W_opt = copy.copy(optimizer)
        self.b_opt = copy.copy(optimizer)

    def forward_pass(self, X, training):
        self.layer_input = X
        return X.dot(self.W) + self.b

    def backward_pass(self, accum_grad):
        W = self.W
        if self.trainable:
            grad_w = self.layer_input.T.dot(accum_grad)
            grad_b = np.sum(accum_grad, axis=0, keepdims=True)
            self.W = self.W_opt.update(self.W, grad_w)
            self.b = self.b_opt.update(self.b, grad_b)
        return accum_grad.dot(W.T)

    def output_shape(self):
        return (self.n_units,)
'''


HOSTILE_BACKWARD_RETURNS_NONE = '''import copy
import math
import numpy as np


class Dense:
    def __init__(self, n_units, input_shape=None):
        self.n_units = n_units
        self.input_shape = input_shape
        self.trainable = True
        self.W = None
        self.b = None

    def set_input_shape(self, shape):
        self.input_shape = shape

    def initialize(self, optimizer):
        limit = 1 / math.sqrt(self.input_shape[0])
        self.W = np.random.uniform(-limit, limit, (self.input_shape[0], self.n_units))
        self.b = np.zeros((1, self.n_units))
        self.W_opt = copy.copy(optimizer)
        self.b_opt = copy.copy(optimizer)

    def forward_pass(self, X, training=True):
        self.layer_input = X
        return X.dot(self.W) + self.b

    def backward_pass(self, accum_grad):
        W = self.W
        if self.trainable:
            grad_w = self.layer_input.T.dot(accum_grad)
            grad_b = np.sum(accum_grad, axis=0, keepdims=True)
            self.W = self.W_opt.update(self.W, grad_w)
            self.b = self.b_opt.update(self.b, grad_b)
        self.dx = accum_grad.dot(W.T)

    def output_shape(self):
        return (self.n_units,)
'''


DENSE_TRAINABLE_FALSE_OK = '''import copy
import math
import numpy as np


class Dense:
    def __init__(self, n_units, input_shape=None):
        self.n_units = n_units
        self.input_shape = input_shape
        self.trainable = False
        self.W = None
        self.b = None

    def set_input_shape(self, shape):
        self.input_shape = shape

    def initialize(self, optimizer):
        limit = 1 / math.sqrt(self.input_shape[0])
        self.W = np.random.uniform(-limit, limit, (self.input_shape[0], self.n_units))
        self.b = np.zeros((1, self.n_units))
        self.W_opt = copy.copy(optimizer)
        self.b_opt = copy.copy(optimizer)

    def forward_pass(self, X, training=True):
        self.layer_input = X
        return X.dot(self.W) + self.b

    def backward_pass(self, accum_grad):
        W = self.W
        if self.trainable:
            grad_w = self.layer_input.T.dot(accum_grad)
            grad_b = np.sum(accum_grad, axis=0, keepdims=True)
            self.W = self.W_opt.update(self.W, grad_w)
            self.b = self.b_opt.update(self.b, grad_b)
        return accum_grad.dot(W.T)

    def output_shape(self):
        return (self.n_units,)
'''


OPT_ADAGRAD_INITIAL_ACCUMULATOR_OK = '''import numpy as np


class Adagrad:
    def __init__(self, learning_rate=0.01, epsilon=1e-10, initial_accumulator_value=0.1):
        self.learning_rate = learning_rate
        self.epsilon = epsilon
        self.G = None
        self.initial_accumulator_value = initial_accumulator_value

    def update(self, w, grad_wrt_w):
        if self.G is None:
            self.G = np.full_like(w, self.initial_accumulator_value)
        self.G = self.G + grad_wrt_w ** 2
        return w - self.learning_rate * grad_wrt_w / (np.sqrt(self.G) + self.epsilon)
'''


OPT_RMSPROP_ALPHA_TORCH_NAME_OK = '''import numpy as np


class RMSprop:
    def __init__(self, lr=0.01, alpha=0.9, epsilon=1e-8):
        self.lr = lr
        self.alpha = alpha
        self.epsilon = epsilon
        self.cache = None

    def update(self, w, grad_wrt_w):
        if self.cache is None:
            self.cache = np.zeros_like(grad_wrt_w)
        self.cache = self.alpha * self.cache + (1 - self.alpha) * grad_wrt_w ** 2
        return w - self.lr * grad_wrt_w / (np.sqrt(self.cache) + self.epsilon)
'''


BN_SPATIAL_BUG_RUNNING_AXIS0 = '''import copy
import math
import numpy as np


class SpatialBatchNormalization:
    def __init__(self, decay=0.9, epsilon=1e-5, input_shape=None):
        self.decay = decay
        self.epsilon = epsilon
        self.input_shape = input_shape
        self.trainable = True
        self.running_mean = None
        self.running_var = None

    def set_input_shape(self, shape):
        self.input_shape = shape

    def initialize(self, optimizer):
        C = self.input_shape[0]
        self.gamma = np.ones((1, C, 1, 1))
        self.beta = np.zeros((1, C, 1, 1))
        self.gamma_opt = copy.copy(optimizer)
        self.beta_opt = copy.copy(optimizer)
        self.running_mean = np.zeros((1, C, 1, 1))
        self.running_var = np.ones((1, C, 1, 1))

    def forward_pass(self, X, training=True):
        if training:
            mean = X.mean(axis=(0, 2, 3), keepdims=True)
            var = X.var(axis=(0, 2, 3), keepdims=True)
            m = X.shape[0] * X.shape[2] * X.shape[3]
            self.running_mean = self.decay * self.running_mean + (1 - self.decay) * X.mean(axis=(0, 2, 3), keepdims=True)[:, :1]
            self.running_var = self.decay * self.running_var + (1 - self.decay) * var * m / (m - 1)
        else:
            mean, var = self.running_mean, self.running_var
        self.xc = X - mean
        self.inv = 1.0 / np.sqrt(var + self.epsilon)
        self.xn = self.xc * self.inv
        return self.gamma * self.xn + self.beta

    def backward_pass(self, accum_grad):
        gamma = self.gamma
        ax = (0, 2, 3)
        m = accum_grad.shape[0] * accum_grad.shape[2] * accum_grad.shape[3]
        dgamma = np.sum(accum_grad * self.xn, axis=ax, keepdims=True)
        dbeta = np.sum(accum_grad, axis=ax, keepdims=True)
        if self.trainable:
            self.gamma = self.gamma_opt.update(self.gamma, dgamma)
            self.beta = self.beta_opt.update(self.beta, dbeta)
        dxn = accum_grad * gamma
        return (self.inv / m) * (m * dxn - dxn.sum(axis=ax, keepdims=True)
                                 - self.xn * np.sum(dxn * self.xn, axis=ax, keepdims=True))
'''

CORRECT = {
    "spatial BatchNormalization": (BN_SPATIAL_NCHW_OK, "SpatialBatchNormalization"),
    "forward_pass(X, training) without a default": (DENSE_TRAINING_REQUIRED_OK, "Dense"),
    "a layer made frozen (trainable = False)": (DENSE_TRAINABLE_FALSE_OK, "Dense"),
    "SGD with weight decay": (OPT_SGD_WEIGHT_DECAY_OK, "SGD"),
    "SGD with nesterov=True": (OPT_SGD_NESTEROV_ON_OK, "SGD"),
    "RMSprop with momentum": (OPT_RMSPROP_MOMENTUM_OK, "RMSprop"),
    "RMSprop(lr, alpha)": (OPT_RMSPROP_ALPHA_TORCH_NAME_OK, "RMSprop"),
    "Adagrad's initial accumulator": (OPT_ADAGRAD_INITIAL_ACCUMULATOR_OK, "Adagrad"),
    "SGD(learning_rate) required": (OPT_LR_REQUIRED_IN_CTOR, "SGD"),
}


@pytest.mark.parametrize("case", sorted(CORRECT))
def test_correct_variants_pass(tmp_path, case):
    source, name = CORRECT[case]
    (tmp_path / "mine.py").write_text(source)
    found, _ = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    assert got and all(v == ("PASS", {}) for k, v in got.items() if k.split("(")[0] == name), got


BUGS = {
    "the spatial running mean over the batch alone": (BN_SPATIAL_BUG_RUNNING_AXIS0, "SpatialBatchNormalization",
                                                      "running_mean:running_mean"),
    "a backward_pass returning nothing": (HOSTILE_BACKWARD_RETURNS_NONE, "Dense", "grad_input"),
    "weight decay of the wrong sign": (OPT_SGD_WEIGHT_DECAY_OK.replace("grad_wrt_w + self.weight_decay * w",
                                                                       "grad_wrt_w - self.weight_decay * w"),
                                       "SGD", "param:w1"),
    "Nesterov's look-ahead without the momentum": (
        OPT_SGD_NESTEROV_ON_OK.replace("step = grad_wrt_w + self.momentum * self.v", "step = grad_wrt_w + self.v"),
        "SGD", "param:w1"),
    "RMSprop's momentum buffer without the scaling": (
        OPT_RMSPROP_MOMENTUM_OK.replace("grad_wrt_w / (np.sqrt(self.sq) + self.epsilon)", "grad_wrt_w"),
        "RMSprop", "param:w1"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_buggy_variants_fail_at_their_check(tmp_path, bug):
    source, name, check = BUGS[bug]
    assert source not in {s for s, _ in CORRECT.values()}, "the seed must change the source"
    (tmp_path / "mine.py").write_text(source)
    verdict, checks, text = failed_checks(scan([str(tmp_path)], dtypes=F64)[0], name)
    assert verdict == "FAIL" and check in checks, (verdict, checks, text)


def test_a_nesterov_flag_off_by_default_is_also_run(tmp_path):
    """SGD(momentum=0.0, nesterov=False): also built with momentum 0.9 and nesterov=True, where a bug of
    the Nesterov branch shows."""
    source = OPT_SGD_NESTEROV_ON_OK.replace("momentum=0.9, nesterov=True", "momentum=0.0, nesterov=False")
    (tmp_path / "mine.py").write_text(source)
    o = scan([str(tmp_path)], dtypes=F64)[0][0]
    assert o.verdict == "PASS" and {r.component for r in o.report.results} == {
        "SGD", "SGD(momentum=0.9)", "SGD(momentum=0.9)(nesterov=True)"}, {r.component for r in o.report.results}
    (tmp_path / "mine.py").write_text(source.replace("step = grad_wrt_w + self.momentum * self.v",
                                                     "step = grad_wrt_w + self.v"))
    o = scan([str(tmp_path)], dtypes=F64)[0][0]
    assert o.verdict == "FAIL" and {r.component for r in o.report.failures} == {"SGD(momentum=0.9)(nesterov=True)"}


ADAMW_AND_IN_PLACE = '''import numpy as np


class AdamW:
    def __init__(self, learning_rate=0.001, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.01):
        self.learning_rate, self.b1, self.b2, self.eps, self.weight_decay = learning_rate, b1, b2, eps, weight_decay
        self.m = self.v = None
        self.t = 0

    def update(self, w, grad_wrt_w):
        if self.m is None:
            self.m, self.v = np.zeros_like(w), np.zeros_like(w)
        self.t += 1
        w = w * (1 - self.learning_rate * self.weight_decay)
        self.m = self.b1 * self.m + (1 - self.b1) * grad_wrt_w
        self.v = self.b2 * self.v + (1 - self.b2) * grad_wrt_w ** 2
        m_hat = self.m / (1 - self.b1 ** self.t)
        v_hat = self.v / (1 - self.b2 ** self.t)
        return w - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)


class SGD:
    def __init__(self, lr=0.1, momentum=0.0):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, w, grad):
        if self.v is None:
            self.v = np.zeros_like(w)
        self.v = self.momentum * self.v + grad
        w -= self.lr * self.v
'''


@pytest.mark.parametrize("old, new, failing", [
    (None, None, None),
    ("w = w * (1 - self.learning_rate * self.weight_decay)", "w = w * (1 - self.weight_decay)", "AdamW"),
    ("        w -= self.lr * self.v", "        w += self.lr * self.v", "SGD")])
def test_adamw_and_an_update_in_place(tmp_path, old, new, failing):
    """AdamW (torch's decoupled weight decay, read from its attribute) and an update that steps the weight
    in place and returns nothing (``w -= lr * v``) are checked too."""
    (tmp_path / "opt.py").write_text(ADAMW_AND_IN_PLACE if old is None else ADAMW_AND_IN_PLACE.replace(old, new))
    got = verdicts(scan([str(tmp_path)], dtypes=F64)[0])
    assert set(got) == {"AdamW", "SGD"}, got
    assert {k for k, (v, _) in got.items() if v == "FAIL"} == ({failing} if failing else set()), got


CHANNELS_LAST_CONV = '''import numpy as np


class Conv2D:
    """Channels last, as numpy-ml: X (N, H, W, C), W (kh, kw, C, F), b (1, 1, 1, F)."""

    def __init__(self, out_ch, kernel_shape=(3, 3), stride=1, in_ch=3):
        rng = np.random.default_rng(0)
        self.W = rng.standard_normal(kernel_shape + (in_ch, out_ch))
        self.b = rng.standard_normal((1, 1, 1, out_ch))
        self.stride = stride

    def forward(self, X):
        self.X = X
        kh, kw, _, F = self.W.shape
        s = self.stride
        N, H, Wd, _ = X.shape
        Ho, Wo = (H - kh) // s + 1, (Wd - kw) // s + 1
        out = np.zeros((N, Ho, Wo, F))
        for i in range(Ho):
            for j in range(Wo):
                patch = X[:, i * s:i * s + kh, j * s:j * s + kw, :]
                out[:, i, j, :] = np.tensordot(patch, self.W, axes=([1, 2, 3], [0, 1, 2]))
        return out + self.b

    def backward(self, dLdy):
        X, (kh, kw, _, F), s = self.X, self.W.shape, self.stride
        dX, self.dW = np.zeros_like(X), np.zeros_like(self.W)
        self.db = dLdy.sum(axis=(0, 1, 2), keepdims=True)
        for i in range(dLdy.shape[1]):
            for j in range(dLdy.shape[2]):
                patch = X[:, i * s:i * s + kh, j * s:j * s + kw, :]
                self.dW += np.tensordot(patch, dLdy[:, i, j, :], axes=([0], [0]))
                dX[:, i * s:i * s + kh, j * s:j * s + kw, :] += np.tensordot(dLdy[:, i, j, :], self.W, axes=([1], [3]))
        return dX
'''


@pytest.mark.parametrize("old, new", [(None, None), (
    "np.tensordot(patch, self.W, axes=([1, 2, 3], [0, 1, 2]))",
    "np.tensordot(patch, self.W[::-1, ::-1], axes=([1, 2, 3], [0, 1, 2]))")], ids=["correct", "kernel flipped"])
def test_a_channels_last_convolution_against_torch(tmp_path, old, new):
    """Kernels (kh, kw, C, F) on images (N, H, W, C), numpy-ml's layout: run on such images and compared
    with torch's conv2d (permuted), so a kernel flipped in the forward, whose gradients its own finite
    differences would agree with for the weights, fails at the forward."""
    (tmp_path / "conv.py").write_text(CHANNELS_LAST_CONV if old is None else CHANNELS_LAST_CONV.replace(old, new))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    checks = {r.check for o in found for r in o.report.results}
    assert {"forward", "grad_input", "grad_param:W", "grad_param:b"} <= checks, checks
    failed = {r.check for o in found for r in o.report.failures}
    assert (not failed) if old is None else "forward" in failed, failed
    assert {r.shape for o in found for r in o.report.results} == {(2, 8, 7, 3)}


KERAS_BUILD = '''import copy
import math
import numpy as np


class Dense:
    def __init__(self, n_units, input_shape=None):
        self.n_units = n_units
        self.input_shape = input_shape
        self.trainable = True
        self.W = None
        self.b = None

    def set_input_shape(self, shape):
        self.input_shape = shape

    def set_optimizer(self, optimizer):
        self.W_opt = copy.copy(optimizer)
        self.b_opt = copy.copy(optimizer)

    def build(self):
        limit = 1 / math.sqrt(self.input_shape[0])
        self.W = np.random.uniform(-limit, limit, (self.input_shape[0], self.n_units))
        self.b = np.zeros((1, self.n_units))

    def forward_pass(self, X, training=True):
        self.layer_input = X
        return X.dot(self.W) + self.b

    def backward_pass(self, accum_grad):
        W = self.W
        if self.trainable:
            grad_w = self.layer_input.T.dot(accum_grad)
            grad_b = np.sum(accum_grad, axis=0, keepdims=True)
            self.W = self.W_opt.update(self.W, grad_w)
            self.b = self.b_opt.update(self.b, grad_b)
        return accum_grad.dot(W.T)

    def output_shape(self):
        return (self.n_units,)
'''


def test_a_layer_built_in_two_steps(tmp_path):
    """Weights made by ``build()`` and optimizers given by ``set_optimizer()`` (no ``initialize``): both called
    as its network would; its bug shows."""
    (tmp_path / "layers.py").write_text(KERAS_BUILD)
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0]) == {"Dense": ("PASS", {})}
    (tmp_path / "layers.py").write_text(KERAS_BUILD.replace("return accum_grad.dot(W.T)", "return accum_grad.dot(self.W.T)"))
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0]) == {"Dense": ("FAIL", {})}
