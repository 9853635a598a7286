"""``parity scan`` on forms found in from-scratch packages on PyPI (neuralnetlib, numpyneuron, NumpyDL,
numpy-ml), each written here for the tests: a convolution applying its activation, channels last; a dense
layer with a softmax on a batch (each row's); a dropout that makes its generator at its first forward; a
sigmoid clipping its input at +-50; activations whose ``backward(X)`` returns the derivative at X; a loss
summed over each sample's outputs and averaged over the batch; models, text layers and focal losses
listed, not failed."""
import pytest

from parity_tests.gate import lr_backward
from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts

CONV_RELU = '''import numpy as np


class Conv2D:
    """Channels last: X (N, H, W, C), W (kh, kw, C, F), then the activation it is given."""

    def __init__(self, out_ch, kernel_shape=(3, 3), act_fn=None, in_ch=3):
        rng = np.random.default_rng(0)
        self.W = rng.standard_normal(kernel_shape + (in_ch, out_ch))
        self.b = rng.standard_normal((1, 1, 1, out_ch))
        self.act_fn = act_fn

    def forward(self, X):
        self.X = X
        kh, kw, _, F = self.W.shape
        N, H, Wd, _ = X.shape
        Z = np.zeros((N, H - kh + 1, Wd - kw + 1, F))
        for i in range(Z.shape[1]):
            for j in range(Z.shape[2]):
                Z[:, i, j, :] = np.tensordot(X[:, i:i + kh, j:j + kw, :], self.W, axes=([1, 2, 3], [0, 1, 2]))
        self.Z = Z + self.b
        return np.maximum(self.Z, 0) if self.act_fn == "relu" else self.Z

    def backward(self, dLdy):
        dZ = dLdy * (self.Z > 0) if self.act_fn == "relu" else dLdy
        X, (kh, kw, _, F) = self.X, self.W.shape
        dX, self.dW = np.zeros_like(X), np.zeros_like(self.W)
        self.db = dZ.sum(axis=(0, 1, 2), keepdims=True)
        for i in range(dZ.shape[1]):
            for j in range(dZ.shape[2]):
                self.dW += np.tensordot(X[:, i:i + kh, j:j + kw, :], dZ[:, i, j, :], axes=([0], [0]))
                dX[:, i:i + kh, j:j + kw, :] += np.tensordot(dZ[:, i, j, :], self.W, axes=([1], [3]))
        return dX
'''


@pytest.mark.parametrize("bug", [None, "dZ = dLdy * (self.Z >= -1)"])
def test_a_channels_last_convolution_with_its_activation(tmp_path, bug):
    source = CONV_RELU if bug is None else CONV_RELU.replace("dZ = dLdy * (self.Z > 0)", bug)
    (tmp_path / "conv.py").write_text(source)
    found, _ = scan([str(tmp_path)], dtypes=F64)
    o = next(o for o in found if o.target.name == "Conv2D(act_fn='relu')")
    forward = next(r for r in o.report.results if r.check == "forward")
    assert forward.passed and "a convolution, then relu" in forward.reference, forward.reference
    assert o.verdict == ("PASS" if bug is None else "FAIL"), [r.message() for r in o.report.failures]


def test_a_transposed_convolution_is_not_compared_with_conv2d():
    assert lr_backward._kind("Conv2DTranspose", layer=True) == "layer"
    assert lr_backward._kind("Deconv2D", layer=True) == "layer" and lr_backward._kind("Conv2D", layer=True) == "conv"


DENSE_SOFTMAX = '''import numpy as np


class Softmax:
    """A dense layer then a softmax of each row, its backward the softmax's Jacobian product."""

    def __init__(self, n_out, n_in):
        rng = np.random.default_rng(0)
        self.W, self.b = rng.standard_normal((n_in, n_out)), np.zeros(n_out)

    def forward(self, input):
        self.last_input = input
        z = input @ self.W + self.b
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        return self.p

    def backward(self, pre_grad):
        dz = self.p * (pre_grad - np.sum(pre_grad * self.p, axis=1, keepdims=True))
        self.dW, self.db = self.last_input.T @ dz, dz.sum(axis=0)
        return dz @ self.W.T
'''


def test_a_dense_softmax_on_a_batch_is_each_rows(tmp_path):
    (tmp_path / "layers.py").write_text(DENSE_SOFTMAX)
    o = scan([str(tmp_path)], dtypes=F64)[0][0]
    assert o.verdict == "PASS", [r.message() for r in o.report.failures]
    assert any(r.sample.startswith("a batch of 5") and r.check == "forward" for r in o.report.results)


LAZY_RNG_DROPOUT = '''import numpy as np


class Dropout:
    def __init__(self, rate=0.5, random_state=None):
        self.rate, self.random_state = rate, random_state
        self.mask = self.input = None

    def _get_rng(self):
        if getattr(self, "_rng", None) is None:
            self._rng = np.random.default_rng(self.random_state)
        return self._rng

    def forward_pass(self, input_data, training=True):
        self.input = input_data
        if not training:
            return input_data
        self.mask = self._get_rng().binomial(1, 1 - self.rate, size=input_data.shape) / (1 - self.rate)
        return input_data * self.mask

    def backward_pass(self, output_error):
        return output_error * self.mask
'''


def test_a_dropout_making_its_generator_at_its_first_forward(tmp_path):
    (tmp_path / "drop.py").write_text(LAZY_RNG_DROPOUT)
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0]) == {"Dropout": ("PASS", {})}
    (tmp_path / "drop.py").write_text(LAZY_RNG_DROPOUT.replace("return output_error * self.mask",
                                                               "return output_error"))
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0]) == {"Dropout": ("FAIL", {})}


LOCAL_DERIVATIVE = '''import numpy as np


class Relu:
    def forward(self, X):
        return np.maximum(0, X)

    def backward(self, X):
        return np.where(X > 0, 1.0, 0.0)


class Sigmoid:
    def forward(self, X):
        return 1.0 / (1.0 + np.exp(-np.clip(X, -50, 50)))

    def backward(self, X):
        s = self.forward(X)
        return s * (1 - s)
'''


def test_backward_of_the_input_and_a_clipped_sigmoid(tmp_path):
    """``backward(X)`` returning dA/dZ at X (numpyneuron's activations) is checked as ``g * backward(x)``;
    a sigmoid clipping at +-50 (neuralnetlib's) passes at inputs near 800, where torch's gradient is 0."""
    (tmp_path / "act.py").write_text(LOCAL_DERIVATIVE)
    found, _ = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(found) == {"Relu": ("PASS", {}), "Sigmoid": ("PASS", {})}
    assert any("800" in r.sample for o in found for r in o.report.results if o.target.name == "Sigmoid")
    (tmp_path / "act.py").write_text(LOCAL_DERIVATIVE.replace("return s * (1 - s)", "return s - (1 - s)"))
    verdict, checks, _ = failed_checks(scan([str(tmp_path)], dtypes=F64)[0], "Sigmoid")
    assert verdict == "FAIL" and "grad_input" in checks


BATCH_MSE = '''import numpy as np


class MSE:
    def forward(self, y_hat, y):
        return np.sum((y_hat - y) ** 2) / y.shape[0]

    def backward(self, y_hat, y):
        return 2 * (y_hat - y) / y.shape[0]
'''


def test_a_loss_summed_over_outputs_and_averaged_over_the_batch(tmp_path):
    (tmp_path / "loss.py").write_text(BATCH_MSE)
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0]) == {"MSE": ("CONVENTION", {"loss_reduction": "batch"})}
    (tmp_path / "loss.py").write_text(BATCH_MSE.replace("return 2 * (y_hat - y) / y.shape[0]", "return 2 * (y_hat - y)"))
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0])["MSE"][0] == "FAIL"


OTHERS = '''import numpy as np


class Dense:
    def __init__(self, units=3):
        self.W = np.ones((4, units))

    def forward_pass(self, X, training=True):
        self.X = X
        return X @ self.W

    def backward_pass(self, output_error):
        return output_error @ self.W.T


class Autoencoder:
    def __init__(self):
        self.layers = [Dense(3)]

    def compile(self, loss, optimizer):
        self.loss, self.optimizer = loss, optimizer

    def fit(self, x, y):
        pass

    def forward_pass(self, X, training=True):
        return self.layers[0].forward_pass(X)

    def backward_pass(self, output_error):
        self.layers[0].backward_pass(output_error)


class TextVectorization:
    def forward_pass(self, texts, training=True):
        return np.array([[len(t)] for t in texts], dtype=float)

    def backward_pass(self, output_error):
        return output_error


class BinaryFocalLoss:
    def __call__(self, y_true, y_pred):
        return float(np.mean(-(1 - y_pred) ** 2 * y_true * np.log(y_pred)))

    def derivative(self, y_true, y_pred):
        return np.zeros_like(y_pred)
'''


def test_models_text_layers_and_focal_losses_are_listed_not_failed(tmp_path):
    (tmp_path / "m.py").write_text(OTHERS)
    found, skipped = scan([str(tmp_path)], dtypes=F64)
    why = dict(skipped)
    assert set(verdicts(found)) == {"Dense"}, verdicts(found)
    assert why["Autoencoder"].startswith("a model (compile(), fit())")
    assert why["TextVectorization"].startswith("a text preprocessing layer")
    assert "does not recognise by name" in why["BinaryFocalLoss"]


def test_a_missing_dependency_of_a_package_is_named(tmp_path):
    """A package file importing, through its package, a module that is not installed (numpynet's numba) is
    said to lack that module, not to fail a relative import (what importing the file alone would raise)."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "utils.py").write_text("import not_installed_anywhere_xyz\n")
    (pkg / "layers.py").write_text("from .utils import *\n\n\nclass Relu:\n    def forward(self, x):\n"
                                   "        return x\n\n    def backward(self, dout):\n        return dout\n")
    _, skipped = scan([str(pkg)], dtypes=F64)
    reasons = [why for where, why in skipped if where.endswith("layers.py")]
    assert reasons and "No module named 'not_installed_anywhere_xyz'" in reasons[0], skipped


PER_OUTPUT_LOSSES = '''import numpy as np


class MeanSquaredError:
    def __call__(self, y, y_pred):
        self.last_y, self.last_y_pred = y, y_pred
        return np.sum((y - y_pred) ** 2, axis=0) / y.shape[0]

    def gradient(self):
        return -2 * (self.last_y - self.last_y_pred) / self.last_y.shape[0]


class MeanAbsoluteError:
    def __call__(self, y, y_pred):
        self.last_y, self.last_y_pred = y, y_pred
        return np.mean(np.abs(y_pred - y))

    def gradient(self):
        return np.sign(self.last_y_pred - self.last_y) / self.last_y.size
'''


def test_a_loss_per_output_and_the_mean_absolute_error(tmp_path):
    """numpy-nn's MSE returns one loss per output (C,), summed over the batch over N: its total is compared
    (``loss_reduction=batch``); the mean absolute error is checked against torch's ``l1_loss``."""
    (tmp_path / "losses.py").write_text(PER_OUTPUT_LOSSES)
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0]) == {
        "MeanSquaredError": ("CONVENTION", {"loss_reduction": "batch"}), "MeanAbsoluteError": ("PASS", {})}
    (tmp_path / "losses.py").write_text(PER_OUTPUT_LOSSES.replace("/ self.last_y.size", ""))
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0])["MeanAbsoluteError"][0] == "FAIL"


def test_a_backward_that_fails_on_every_input_is_reported_where_its_forward_ran(tmp_path):
    """A layer whose forward takes (N, C, H, W) images but whose backward always raises: the error said is
    its backward's on that input, not the forward's refusal of the first shape tried."""
    (tmp_path / "pool.py").write_text(
        "import numpy as np\n\n\nclass MaxPool:\n    def forward(self, x):\n        assert x.ndim == 4\n"
        "        self.x = x\n        return x[:, :, ::2, ::2]\n\n    def backward(self, dout):\n"
        "        raise ValueError('the backward of this pool is not written for padding')\n")
    o = scan([str(tmp_path)], dtypes=F64)[0][0]
    notes = [r.note for r in o.report.failures]
    assert o.verdict == "FAIL" and any("not written for padding" in n for n in notes), notes
    assert all(len(r.shape) == 4 for r in o.report.failures), [r.shape for r in o.report.failures]


# a reread of the change: each confirmed with a user file (verdict, component)
REREAD = {
    'wd_sgd': ('FAIL', 'StochasticGradientDescent', '''import numpy as np

class StochasticGradientDescent():
    def __init__(self, learning_rate=0.01, weight_decay=0.1):
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay   # never used: a bug

    def update(self, w, grad_wrt_w):
        return w - self.learning_rate * grad_wrt_w
'''),
    'rms_mom': ('FAIL', 'RMSprop', '''import numpy as np

class RMSprop():
    def __init__(self, learning_rate=0.01, rho=0.9, momentum=0.9):
        self.learning_rate = learning_rate
        self.Eg = None
        self.eps = 1e-8
        self.rho = rho
        self.momentum = momentum   # never used: a bug

    def update(self, w, grad_wrt_w):
        if self.Eg is None:
            self.Eg = np.zeros(np.shape(grad_wrt_w))
        self.Eg = self.rho * self.Eg + (1 - self.rho) * np.power(grad_wrt_w, 2)
        return w - self.learning_rate * grad_wrt_w / np.sqrt(self.Eg + self.eps)
'''),
    'ce_axis': ('FAIL', 'CrossEntropyLoss', '''import numpy as np

class CrossEntropyLoss:
    def forward(self, logits, y):
        self.p = np.exp(logits - logits.max(axis=1, keepdims=True))
        self.p /= self.p.sum(axis=1, keepdims=True)
        self.y = y
        # bug: averaged over the batch but never summed over the classes: a vector, one per class
        return np.mean(-y * np.log(self.p), axis=0)

    def backward(self):
        return (self.p - self.y) / self.y.shape[0]
'''),
    'rms_beta': ('PASS', 'RMSprop', '''import numpy as np

class RMSprop():
    def __init__(self, learning_rate=0.01, beta=0.9, eps=1e-8, decay=0.0):
        self.learning_rate = learning_rate
        self.beta = beta
        self.eps = eps
        self.decay = decay      # learning-rate decay per step (Keras's): 0, none
        self.iterations = 0
        self.s = None

    def update(self, w, grad_wrt_w):
        if self.s is None:
            self.s = np.zeros(np.shape(w))
        lr = self.learning_rate / (1 + self.decay * self.iterations)
        self.iterations += 1
        self.s = self.beta * self.s + (1 - self.beta) * grad_wrt_w ** 2
        return w - lr * grad_wrt_w / (np.sqrt(self.s) + self.eps)
'''),
    'ada_gamma2': ('PASS', 'Adadelta', '''import numpy as np

class Adadelta():
    def __init__(self, gamma=0.95, eps=1e-6, learning_rate=1.0):
        self.learning_rate = learning_rate
        self.E_w_updt = None
        self.E_grad = None
        self.w_updt = None
        self.eps = eps
        self.gamma = gamma

    def update(self, w, grad_wrt_w):
        if self.w_updt is None:
            self.w_updt = np.zeros(np.shape(w))
            self.E_w_updt = np.zeros(np.shape(w))
            self.E_grad = np.zeros(np.shape(grad_wrt_w))
        self.E_grad = self.gamma * self.E_grad + (1 - self.gamma) * np.power(grad_wrt_w, 2)
        RMS_delta_w = np.sqrt(self.E_w_updt + self.eps)
        RMS_grad = np.sqrt(self.E_grad + self.eps)
        self.w_updt = RMS_delta_w / RMS_grad * grad_wrt_w
        self.E_w_updt = self.gamma * self.E_w_updt + (1 - self.gamma) * np.power(self.w_updt, 2)
        return w - self.learning_rate * self.w_updt
'''),
    'ctx_layer': ('PASS', 'ContextDense', '''import numpy as np

class ContextDense:
    def __init__(self, input_size, output_size):
        rng = np.random.default_rng(0)
        self.weights = rng.standard_normal((output_size, input_size))
        self.bias = rng.standard_normal((output_size, 1))

    def forward(self, input):
        self.input = input
        return np.dot(self.weights, self.input) + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = np.dot(output_gradient, self.input.T)
        input_gradient = np.dot(self.weights.T, output_gradient)
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient
        return input_gradient
'''),
    'adam_req': ('PASS', 'Adam', '''import numpy as np

class Adam():
    def __init__(self, learning_rate, b1, b2):
        self.learning_rate = learning_rate
        self.eps = 1e-8
        self.m = None
        self.v = None
        self.t = 0
        self.b1 = b1
        self.b2 = b2

    def update(self, w, grad_wrt_w):
        if self.m is None:
            self.m = np.zeros(np.shape(grad_wrt_w))
            self.v = np.zeros(np.shape(grad_wrt_w))
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grad_wrt_w
        self.v = self.b2 * self.v + (1 - self.b2) * np.power(grad_wrt_w, 2)
        m_hat = self.m / (1 - self.b1 ** self.t)
        v_hat = self.v / (1 - self.b2 ** self.t)
        return w - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)
'''),
    'loss_act': ('CONVENTION', 'SquaredError', '''import numpy as np

class SquaredError:
    @staticmethod
    def loss(y, y_pred):
        return 0.5 * np.linalg.norm(y_pred - y) ** 2

    @staticmethod
    def grad(y, y_pred, z, act_fn):
        # activation objects as ML-From-Scratch writes them: gradient(x)
        return (y_pred - y) * act_fn.gradient(z)
'''),
}


@pytest.mark.parametrize("case", sorted(REREAD))
def test_the_rereads_cases(tmp_path, case):
    """An option a convention's reference lacks (weight decay, RMSprop's momentum) is never dropped by it; a
    stand-in activation answers to gradient() too; a per-class cross-entropy vector is not summed; Keras's
    decay is not RMSprop's rho; Adadelta's gamma; "Context" is no text layer; required betas are given."""
    verdict, name, source = REREAD[case]
    (tmp_path / "user.py").write_text(source)
    got = verdicts(scan([str(tmp_path)], dtypes=F64)[0])
    assert got.get(name, ("missing",))[0] == verdict, got


def test_a_layer_calling_a_function_it_is_given_is_no_base_class(tmp_path):
    """``forward`` calling ``self.act``, set in ``__init__``: the class is checked even where a subclass
    defines an ``act`` method (only what the class lacks outright makes it a base completed by others)."""
    (tmp_path / "layers.py").write_text(
        "import numpy as np\n\n\ndef identity(z):\n    return z\n\n\n"
        "class Dense:\n    def __init__(self, input_size, output_size, act=identity):\n"
        "        rng = np.random.default_rng(0)\n        self.W = rng.standard_normal((input_size, output_size))\n"
        "        self.act = act\n\n    def forward(self, x):\n        self.x = x\n        return self.act(x @ self.W)\n\n"
        "    def backward(self, grad, learning_rate):\n        dx = grad @ self.W.T\n"
        "        self.W -= 2 * learning_rate * self.x.T @ grad\n        return dx\n\n\n"
        "class Scaled(Dense):\n    def act(self, z):\n        return z\n")
    found, skipped = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(found).get("Dense", ("missing",))[0] == "FAIL", (verdicts(found), skipped)
