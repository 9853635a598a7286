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
