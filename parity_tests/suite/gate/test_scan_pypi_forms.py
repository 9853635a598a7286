"""``parity scan`` on more forms found in from-scratch packages on PyPI (tinynn, mpneuralnetwork,
neowise, dlfs, learnneuralnet, nano-keras), each written here for the tests, with a seeded bug beside
each correct one: hyperparameters kept under private names."""
import os

import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts

PRIVATE = '''import numpy as np


class LeakyReLU:
    def __init__(self, slope=0.2):
        self._slope = slope

    def forward(self, inputs):
        self.X = inputs
        return np.where(inputs < 0, self._slope * inputs, inputs)

    def backward(self, grad):
        return np.where(self.X < 0, self._slope, 1.0) * grad


class ELU:
    def __init__(self, alpha=1.0):
        self._alpha = alpha

    def forward(self, inputs):
        self.X = inputs
        return np.maximum(inputs, 0) + np.minimum(0, self._alpha * (np.exp(inputs) - 1))

    def backward(self, grad):
        x = self.X
        return ((x > 0.0) + (x <= 0.0) * self._alpha * np.exp(x)) * grad
'''


@pytest.mark.parametrize("bug", [None, ("self._slope, 1.0) * grad", "0.01, 1.0) * grad"),
                                 ("(x <= 0.0) * self._alpha * np.exp(x)", "(x <= 0.0) * np.exp(x)")])
def test_hyperparameters_kept_under_private_names(tmp_path, bug):
    """tinynn keeps a LeakyReLU's slope as ``self._slope`` and an ELU's alpha as ``self._alpha``: the value
    the layer holds is the one torch is given (the ELU is built with alpha=0.5, not torch's default)."""
    (tmp_path / "act.py").write_text(PRIVATE if bug is None else PRIVATE.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    if bug is None:
        assert got == {"LeakyReLU": ("PASS", {}), "ELU": ("PASS", {})}, got
    else:
        name = "LeakyReLU" if "slope" in bug[0] else "ELU"
        verdict, checks, why = failed_checks(found, name)
        assert verdict == "FAIL" and "grad_input" in checks and "forward" not in checks, why


SIGMOID_XENT = '''import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class SigmoidCrossEntropy:
    """tinynn's: binary cross-entropy on logits, summed over the elements and divided by the batch."""

    def loss(self, logits, labels):
        cost = logits * (1 - labels) - np.log(sigmoid(logits))
        return np.sum(cost) / labels.shape[0]

    def grad(self, logits, labels):
        return (sigmoid(logits) - labels) / labels.shape[0]
'''


@pytest.mark.parametrize("bug", [None, ("(sigmoid(logits) - labels)", "(labels - sigmoid(logits))")])
def test_a_sigmoid_cross_entropy_is_a_binary_one(tmp_path, bug):
    """Named neither binary nor BCE, it is a binary cross-entropy on logits (not softmax's); its sum over
    each sample's outputs divided by N is ``loss_reduction=batch`` on four outputs a sample."""
    (tmp_path / "loss.py").write_text(SIGMOID_XENT if bug is None else SIGMOID_XENT.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    o = next(o for o in found if o.target.name == "SigmoidCrossEntropy")
    assert o.target.kind == "binary_cross_entropy"
    if bug is None:
        assert (o.verdict, o.convention) == ("CONVENTION", {"loss_reduction": "batch"}), verdicts(found)
        assert {r.sample.split(", t")[0] for r in o.report.results} == {"logits (6,1)", "logits (6,4)"}
    else:
        verdict, checks, why = failed_checks(found, "SigmoidCrossEntropy")
        assert verdict == "FAIL" and checks == {"grad_input", "fd:grad_input"}, why


BCE = '''import numpy as np


class BinaryCrossEntropy:
    """The mean over every element, N*C."""

    def compute(self, y_true, y_pred):
        y_pred = np.clip(y_pred, 1e-15, 1 - 1e-15)
        return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))

    def gradient(self, y_true, y_pred):
        y_pred = np.clip(y_pred, 1e-15, 1 - 1e-15)
        return (-(y_true / y_pred) + (1 - y_true) / (1 - y_pred)) / y_true.size


class BCEPerOutput:
    """Written for one output a sample: (N, 1) in, a (1, 1) loss of y.T @ log p; refused on (N, C)."""

    def forward(self, y_pred, y_true):
        assert y_pred.shape[1] == 1
        m = y_true.shape[0]
        return -(y_true.T @ np.log(y_pred) + (1 - y_true).T @ np.log(1 - y_pred)) / m

    def backward(self, y_pred, y_true):
        return (y_pred - y_true) / (y_pred * (1 - y_pred)) / y_true.shape[0]
'''


@pytest.mark.parametrize("bug", [None, ("/ y_true.size", "/ y_true.shape[0]")])
def test_a_binary_cross_entropy_on_several_outputs(tmp_path, bug):
    """learnneuralnet's BCE: the mean over N*C elements with a gradient divided by N alone agrees with torch
    on one output a sample; a second sample, four outputs a sample, shows it. A loss written for one output
    (refusing four) is checked on one."""
    (tmp_path / "loss.py").write_text(BCE if bug is None else BCE.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    one = next(o for o in found if o.target.name == "BCEPerOutput")
    assert one.verdict == "PASS" and {r.shape for r in one.report.results} == {(6, 1)}, verdicts(found)
    if bug is None:
        o = next(o for o in found if o.target.name == "BinaryCrossEntropy")
        assert o.verdict == "PASS" and {r.shape for r in o.report.results} == {(6, 1), (6, 4)}, verdicts(found)
    else:
        verdict, checks, why = failed_checks(found, "BinaryCrossEntropy")
        assert verdict == "FAIL" and checks == {"grad_input", "fd:grad_input"}, why
        assert "divided by N alone, where the loss is the mean over N*C elements" in why, why


TUPLES = '''import numpy as np


class MaxPool2D:
    """tinynn's form: channels last, pool_size and stride as (h, w)."""

    def __init__(self, pool_size=(2, 2), stride=None):
        self.kernel_shape = pool_size
        self.stride = stride if stride is not None else pool_size

    def forward(self, inputs):
        (s_h, s_w), (k_h, k_w) = self.stride, self.kernel_shape
        n, h, w, c = inputs.shape
        out_h, out_w = (h - k_h) // s_h + 1, (w - k_w) // s_w + 1
        out = np.empty((n, out_h, out_w, c))
        self.arg = np.empty((n, out_h, out_w, c), dtype=int)
        for r in range(out_h):
            for q in range(out_w):
                pool = inputs[:, r * s_h:r * s_h + k_h, q * s_w:q * s_w + k_w, :].reshape(n, -1, c)
                self.arg[:, r, q, :] = np.argmax(pool, axis=1)
                out[:, r, q, :] = pool.max(axis=1)
        self.shape = inputs.shape
        return out

    def backward(self, grad):
        (s_h, s_w), (k_h, k_w) = self.stride, self.kernel_shape
        n, h, w, c = self.shape
        d_in = np.zeros(self.shape)
        for r in range(self.arg.shape[1]):
            for q in range(self.arg.shape[2]):
                mask = np.eye(k_h * k_w)[self.arg[:, r, q, :]].transpose(0, 2, 1)
                patch = grad[:, r, q, :][:, None, :] * mask
                d_in[:, r * s_h:r * s_h + k_h, q * s_w:q * s_w + k_w, :] += patch.reshape(n, k_h, k_w, c)
        return d_in


class Conv2D:
    """tinynn's form: kernel (kh, kw, in, out), stride (h, w), channels last."""

    def __init__(self, kernel, stride=(1, 1)):
        self.kernel_shape, self.stride = kernel, stride
        rng = np.random.default_rng(0)
        self.params = {"w": rng.standard_normal(kernel), "b": rng.standard_normal(kernel[-1])}
        self.grads = {}

    def forward(self, inputs):
        k_h, k_w, _, out_c = self.kernel_shape
        s_h, s_w = self.stride
        n, h, w, _ = inputs.shape
        self.X = inputs
        out = np.empty((n, (h - k_h) // s_h + 1, (w - k_w) // s_w + 1, out_c))
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                patch = inputs[:, i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w, :]
                out[:, i, j, :] = np.tensordot(patch, self.params["w"], axes=([1, 2, 3], [0, 1, 2]))
        return out + self.params["b"]

    def backward(self, grad):
        k_h, k_w, _, _ = self.kernel_shape
        s_h, s_w = self.stride
        X, W = self.X, self.params["w"]
        dX, dW = np.zeros_like(X), np.zeros_like(W)
        for i in range(grad.shape[1]):
            for j in range(grad.shape[2]):
                dW += np.tensordot(X[:, i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w, :], grad[:, i, j, :], axes=([0], [0]))
                dX[:, i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w, :] += np.tensordot(grad[:, i, j, :], W, axes=([1], [3]))
        self.grads = {"w": dW, "b": grad.sum(axis=(0, 1, 2))}
        return dX


class AvgPool2D:
    """Its window as a dict: nothing parity scan guesses builds it."""

    def __init__(self, pool_size):
        self.h, self.w = pool_size["h"], pool_size["w"]

    def forward(self, inputs):
        return inputs

    def backward(self, grad):
        return grad
'''


@pytest.mark.parametrize("bug", [
    None, ("self.arg[:, r, q, :] = np.argmax(", "self.arg[:, r, q, :] = np.argmin("),
    ("dW += np.tensordot(X[:, i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w, :]", "dW += np.tensordot(X[:, i:i + k_h, j:j + k_w, :]")])
def test_windows_given_as_tuples(tmp_path, bug):
    """tinynn's pool_size=(2, 2), stride=(2, 2) and Conv2D(kernel=(kh, kw, in, out)): where the integers the
    scan guesses raise, the layer is built with tuples and compared with torch (channels last); a layer no
    guess builds is listed under Skipped with what it raised, not failed."""
    (tmp_path / "layers.py").write_text(TUPLES if bug is None else TUPLES.replace(*bug))
    found, skipped = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    assert "AvgPool2D" in dict(skipped) and "by parity scan's guess raised TypeError" in dict(skipped)["AvgPool2D"]
    if bug is None:
        assert got == {"MaxPool2D": ("PASS", {}), "Conv2D": ("PASS", {}), "Conv2D(stride=(2, 2))": ("PASS", {})}, got
        for o in found:
            assert {"forward", "grad_input"} <= {r.check for r in o.report.results if r.reference == "torch"}, o.target.name
    elif "arg" in bug[0]:
        verdict, checks, why = failed_checks(found, "MaxPool2D")
        assert verdict == "FAIL" and {"grad_input", "fd:grad_input"} <= checks and "forward" not in checks, why
    else:
        assert got["Conv2D"] == ("PASS", {}), got
        verdict, checks, why = failed_checks(found, "Conv2D(stride=(2, 2))")
        assert verdict == "FAIL" and "grad_param:params['w']" in checks and "forward" not in checks, why


FLOAT32 = '''import numpy as np

DTYPE = np.float32


class ReLU:
    """mpneuralnetwork's: float32 whatever it is given."""

    def forward(self, input_batch, training=True):
        self.input = input_batch
        return np.maximum(0, input_batch, dtype=DTYPE)

    def backward(self, output_gradient_batch):
        return np.multiply(output_gradient_batch, self.input > 0)


class Activation:
    def __init__(self, f, f_prime):
        self.f, self.f_prime = f, f_prime

    def forward(self, input_batch, training=True):
        self.input = input_batch
        return self.f(input_batch)

    def backward(self, output_gradient_batch):
        return output_gradient_batch * self.f_prime(self.input)


class Swish(Activation):
    """A float64 output computed from float32 values, in lambdas it is given."""

    def __init__(self):
        super().__init__(lambda x: x / (1 + np.exp(-x, dtype=DTYPE)),
                         lambda x: (1 + np.exp(-x, dtype=DTYPE) + x * np.exp(-x, dtype=DTYPE))
                         / (1 + np.exp(-x, dtype=DTYPE)) ** 2)


class Sigmoid:
    """The book's class form (forward(x), backward(dout)), float32 whatever it is given."""

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x, dtype=DTYPE))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class Softplus:
    """float64 throughout, off by 1e-7: no float32 in sight, so compute=float32 does not excuse it."""

    def forward(self, x):
        self.x = x
        return np.logaddexp(0, x) * (1 + 1e-7)

    def backward(self, grad):
        return grad / (1 + np.exp(-self.x))
'''


@pytest.mark.parametrize("bug", [None, ("(1 + np.exp(-x, dtype=DTYPE) + x * np.exp", "(1 + x * np.exp"),
                                 ("dout * self.out * (1 - self.out)", "dout * self.out")])
def test_a_layer_computing_in_float32_is_said_so(tmp_path, bug):
    """mpneuralnetwork computes in float32 whatever it is given: its float32-output layers get ``CONVENTION compute=float32``
    (judged at float32's tolerance, no finite differences on a float32 function), not float64 failures of
    float32 rounding nor ``dtype=promotes``; declared, they pass; a wrong gradient still fails; float64 code
    with an error of 1e-7 still fails under it."""
    (tmp_path / "acts.py").write_text(FLOAT32 if bug is None else FLOAT32.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    assert got["Softplus"][0] == "FAIL", got
    declared, _ = scan([str(tmp_path)], dtypes=F64, conventions={"compute": "float32"})
    assert verdicts(declared)["Softplus"][0] == "FAIL", verdicts(declared)
    f32 = ("CONVENTION", {"compute": "float32"})
    if bug is None:
        assert {k: got[k] for k in ("ReLU", "Sigmoid")} == {"ReLU": f32, "Sigmoid": f32}, got
        # Swish's output is float64 (computed from float32 values its code names): not seen computing in
        # float32, so not offered the convention (a float64 layer naming float32 in a guard must keep its FAIL);
        # declared, it passes
        assert got["Swish"][0] == "FAIL", got
        assert {k: v for k, v in verdicts(declared).items() if k != "Softplus"} == {
            "ReLU": ("PASS", {}), "Swish": ("PASS", {}), "Sigmoid": ("PASS", {})}, verdicts(declared)
        relu = next(o for o in found if o.target.name == "ReLU")
        assert not any(r.check.startswith("fd:") for r in relu.report.results), relu.report.results
    else:
        name = "Swish" if "DTYPE" in bug[0] else "Sigmoid"
        assert got[name][0] == "FAIL" and verdicts(declared)[name][0] == "FAIL", (got, verdicts(declared))
        assert "grad_input" in failed_checks(declared, name)[1]


def test_the_note_of_a_layer_computing_in_float32(tmp_path):
    from parity_tests.gate import lr_backward as LRB
    (tmp_path / "acts.py").write_text(FLOAT32)
    found, _ = scan([str(tmp_path)], dtypes=F64, only="ReLU")
    relu = next(o for o in found if o.target.name == "ReLU")
    report = LRB.check("ReLU", "relu", relu.target.obj[0], relu.target.obj[1])
    assert [r.check for r in report.failures] == ["compute"] and "its output is float32 for float64 input" in \
        report.failures[0].note, [r.message() for r in report.failures]


TWO_STEP = '''import numpy as np


class Dense:
    """mpneuralnetwork's: its model calls build(input_size), then init_weights()."""

    def __init__(self, output_size, input_size=None):
        self.output_size = output_size
        if input_size is not None:
            self.build(input_size)

    def build(self, input_size):
        self.input_size = input_size

    def init_weights(self):
        self.weights = np.random.randn(self.input_size, self.output_size) * 0.1
        self.biases = np.random.randn(1, self.output_size)

    def forward(self, input_batch, training=True):
        self.input = input_batch
        return self.input @ self.weights + self.biases

    def backward(self, output_gradient_batch):
        self.weights_gradient = self.input.T @ output_gradient_batch
        self.biases_gradient = np.sum(output_gradient_batch, axis=0, keepdims=True)
        return output_gradient_batch @ self.weights.T


class BatchNormalization:
    """Its weights made by build(input_size), which its model calls."""

    def __init__(self, momentum=0.9, epsilon=1e-8):
        self.momentum, self.epsilon = momentum, epsilon

    def build(self, input_size):
        self.gamma, self.beta = np.ones((1, input_size)), np.zeros((1, input_size))
        self.cache_m, self.cache_v = np.zeros((1, input_size)), np.ones((1, input_size))

    def forward(self, input_batch, training=True):
        n = input_batch.shape[0]
        if training:
            mean, var = input_batch.mean(axis=0, keepdims=True), input_batch.var(axis=0, keepdims=True)
            self.cache_m = self.momentum * self.cache_m + (1 - self.momentum) * mean
            self.cache_v = self.momentum * self.cache_v + (1 - self.momentum) * var * n / (n - 1)
        else:
            mean, var = self.cache_m, self.cache_v
        self.std_inv = 1 / np.sqrt(var + self.epsilon)
        self.x_norm = (input_batch - mean) * self.std_inv
        return self.gamma * self.x_norm + self.beta

    def backward(self, output_gradient_batch):
        g, n = output_gradient_batch, output_gradient_batch.shape[0]
        self.gamma_gradient = np.sum(g * self.x_norm, axis=0, keepdims=True)
        self.beta_gradient = np.sum(g, axis=0, keepdims=True)
        d = g * self.gamma
        return self.std_inv / n * (n * d - d.sum(0, keepdims=True) - self.x_norm * (d * self.x_norm).sum(0, keepdims=True))
'''


@pytest.mark.parametrize("bug", [None, ("self.input.T @ output_gradient_batch", "self.input.T @ output_gradient_batch / 2"),
                                 ("np.sum(g * self.x_norm, axis=0", "np.sum(g, axis=0")])
def test_layers_made_ready_by_build_and_init_weights(tmp_path, bug):
    """mpneuralnetwork's model calls ``build(input_size)`` and ``init_weights()`` before a layer runs: the scan
    does too, where the layer as built cannot run."""
    (tmp_path / "layers.py").write_text(TWO_STEP if bug is None else TWO_STEP.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    if bug is None:
        assert got == {"Dense": ("PASS", {}), "BatchNormalization": ("PASS", {})}, got
    else:
        name = "Dense" if "input.T" in bug[0] else "BatchNormalization"
        verdict, checks, why = failed_checks(found, name)
        assert verdict == "FAIL" and any(c.startswith("grad_param") for c in checks) and "forward" not in checks, why


NUM_OUT = '''import numpy as np


class Dense:
    """tinynn's: Dense(num_out), its weight made at the first forward, params and grads dicts."""

    def __init__(self, num_out):
        self.num_out = num_out
        self.params = {"w": None, "b": None}
        self.grads = {}

    def forward(self, inputs):
        if self.params["w"] is None:
            self.params["w"] = np.random.randn(inputs.shape[1], self.num_out) * 0.1
            self.params["b"] = np.zeros(self.num_out)
        self.X = inputs
        return inputs @ self.params["w"] + self.params["b"]

    def backward(self, grad):
        self.grads["w"] = self.X.T @ grad
        self.grads["b"] = np.sum(grad, axis=0)
        return grad @ self.params["w"].T
'''


@pytest.mark.parametrize("bug", [None, ('self.grads["b"] = np.sum(grad, axis=0)', 'self.grads["b"] = np.mean(grad, axis=0)')])
def test_a_dense_layer_of_num_out(tmp_path, bug):
    """``Dense(num_out)`` (tinynn) is built with the output size, not skipped for want of a value."""
    (tmp_path / "dense.py").write_text(NUM_OUT if bug is None else NUM_OUT.replace(*bug))
    found, skipped = scan([str(tmp_path)], dtypes=F64)
    assert not skipped, skipped
    verdict, checks, why = failed_checks(found, "Dense")
    assert (verdict, checks) == (("PASS", set()) if bug is None else ("FAIL", {"grad_param:params['b']", "fd:params['b']"})), why


NAMESPACES = '''import numpy as np


class Tanh:
    """neowise's: a namespace, Tanh.forward(x), the array its 'self'."""

    def forward(self):
        return np.tanh(self)

    def backward(self):
        return 1 - np.square(Tanh.forward(self))


class Relu:
    def forward(arr):
        return np.maximum(0, arr)

    def backward(arr):
        return (arr > 0).astype(float)


class Total:
    def forward(self):
        return float(np.sum(self))

    def backward(self):
        return np.ones_like(self)
'''


@pytest.mark.parametrize("bug", [None, ("1 - np.square(Tanh.forward(self))", "1 - Tanh.forward(self)")])
def test_classes_used_as_namespaces_of_functions(tmp_path, bug):
    """Methods called on the class with the array as their one argument (``def forward(self)`` or
    ``def forward(arr)``) are checked as the function and its derivative, not instantiated and failed; one
    whose forward of an array is not an array of its shape is listed under Skipped."""
    (tmp_path / "acts.py").write_text(NAMESPACES if bug is None else NAMESPACES.replace(*bug))
    found, skipped = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    assert "does not return one of its shape" in dict(skipped)["Total"], skipped
    assert got["Relu"] == ("PASS", {}), got
    if bug is None:
        assert got["Tanh"] == ("PASS", {}), got
    else:
        verdict, checks, why = failed_checks(found, "Tanh")
        assert verdict == "FAIL" and checks == {"grad_input", "fd:grad_input"}, why


KERAS_NAMES = '''import numpy as np


class CategoricalCrossentropy:
    """dlfs's: probabilities and one-hot targets, the mean over samples."""

    def __init__(self, name="cross_entropy"):
        self.name = name

    def __call__(self, y_true, y_pred):
        return self.compute_loss(y_true, y_pred)

    @staticmethod
    def compute_loss(y_true, y_pred):
        return np.mean(-np.log(np.sum(np.clip(y_pred, 1e-7, 1 - 1e-7) * y_true, axis=1)))

    @staticmethod
    def gradient(y_true, y_pred):
        return -y_true / np.clip(y_pred, 1e-7, 1 - 1e-7) / len(y_pred)


class BinaryCrossentropy:
    def __call__(self, y_true, y_pred):
        return np.mean(-y_true * np.log(y_pred) - (1 - y_true) * np.log(1 - y_pred))

    @staticmethod
    def gradient(y_true, y_pred):
        return (y_pred - y_true) / (y_pred * (1 - y_pred)) / y_true.size


class MAE:
    def __call__(self, y_true, y_pred):
        return np.abs(y_true - y_pred).mean()

    @staticmethod
    def gradient(y_true, y_pred):
        return np.sign(y_pred - y_true) / y_true.size
'''


@pytest.mark.parametrize("bug", [None, ("/ np.clip(y_pred, 1e-7, 1 - 1e-7) / len(y_pred)", "/ np.clip(y_pred, 1e-7, 1 - 1e-7)")])
def test_losses_with_keras_spellings_are_read(tmp_path, bug):
    """A file whose only components are ``CategoricalCrossentropy``, ``BinaryCrossentropy`` and ``MAE`` (Keras's
    spellings, dlfs's) is imported and each checked, not left out without a word."""
    (tmp_path / "losses.py").write_text(KERAS_NAMES if bug is None else KERAS_NAMES.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    assert {k: v[0] for k, v in got.items()} == {"CategoricalCrossentropy": "PASS" if bug is None else "FAIL",
                                                 "BinaryCrossentropy": "PASS", "MAE": "PASS"}, got


NANO_KERAS = '''import numpy as np


class Loss:
    def compute_loss(self, yTrue, yPred):
        raise NotImplementedError

    def compute_derivative(self, yTrue, yPred):
        raise NotImplementedError


class MSE(Loss):
    def compute_loss(self, yTrue, yPred):
        return np.mean(np.square(yTrue - yPred))

    def compute_derivative(self, yTrue, yPred):
        return 2 * (yPred - yTrue) / yTrue.size


class Hinge(Loss):
    def compute_loss(self, yTrue, yPred):
        return np.mean(np.maximum(0, 1 - yTrue * yPred))

    def compute_derivative(self, yTrue, yPred):
        return np.where(yTrue * yPred < 1, -yTrue, 0) / yTrue.size
'''


@pytest.mark.parametrize("bug", [None, ("return 2 * (yPred - yTrue) / yTrue.size", "return -2 * (yPred - yTrue)")])
def test_losses_of_compute_loss_and_compute_derivative(tmp_path, bug):
    """nano-keras's ``MSE(Loss)`` with ``compute_loss(yTrue, yPred)`` and ``compute_derivative`` is checked; its
    ``Hinge`` is listed under Skipped (a loss of a kind not checked); the base ``Loss`` is no component."""
    (tmp_path / "losses.py").write_text(NANO_KERAS if bug is None else NANO_KERAS.replace(*bug))
    found, skipped = scan([str(tmp_path)], dtypes=F64)
    assert set(dict(skipped)) == {"Hinge"} and "does not recognise by name" in dict(skipped)["Hinge"], skipped
    verdict, checks, why = failed_checks(found, "MSE")
    assert (verdict, checks) == (("PASS", set()) if bug is None else ("FAIL", {"grad_input", "fd:grad_input"})), why


ONE_LETTER = '''import numpy as np


class ReLU:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, d):
        return d * (self.x > 0)
'''


@pytest.mark.parametrize("bug", [None, ("(self.x > 0)", "(self.x < 0)")])
def test_a_backward_whose_gradient_is_named_d(tmp_path, bug):
    """``backward(self, d)``: a one-letter name for the output gradient, as ``g`` is."""
    (tmp_path / "relu.py").write_text(ONE_LETTER if bug is None else ONE_LETTER.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(found)["ReLU"][0] == ("PASS" if bug is None else "FAIL")


def test_a_file_whose_import_never_ends_is_skipped_at_the_timeout(tmp_path):
    """A default argument runs when its def does (definitions-only import keeps defs): a sleep there
    is cut at --timeout, the file listed as not imported, the other files checked."""
    (tmp_path / "slow.py").write_text("import time\n\n\ndef _wait(t=time.sleep(1000)):\n    return t\n\n\n"
                                      + ONE_LETTER.replace("import numpy as np\n", "import numpy as np  # noqa\n"))
    (tmp_path / "fine.py").write_text(ONE_LETTER)
    found, skipped = scan([str(tmp_path)], dtypes=F64, timeout=2)
    assert [o.target.where for o in found] and all("fine.py" in o.target.where for o in found)
    assert any(n.endswith("slow.py") and "did not finish within 2 s (--timeout)" in why for n, why in skipped)


def test_user_code_that_changes_folder_does_not_move_the_report(tmp_path, monkeypatch):
    from parity_tests.cli import main
    (tmp_path / "chd.py").write_text("import os\nimport numpy as np\n\n\ndef relu_forward(x):\n"
                                     "    os.chdir('/')\n    return np.maximum(x, 0), x\n\n\n"
                                     "def relu_backward(dout, cache):\n    return dout * (cache > 0)\n")
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "chd.py", "-q", "--json", "rep.json"]) == 0
    assert os.getcwd() == str(tmp_path) and (tmp_path / "rep.json").exists()


NAMES_FLOAT32 = '''import numpy as np


class Softplus:
    def forward(self, x):
        if x.dtype == np.float32:
            raise TypeError("float64 only")
        self.x = x
        return np.log1p(np.exp(x))

    def backward(self, dout):
        s = 1 / (1 + np.exp(-self.x))
        return dout * s
'''


@pytest.mark.parametrize("bug", [None, ("return dout * s", "return dout * (s + 2e-6 * s * (1 - s))")])
def test_float64_code_that_names_float32_keeps_its_float64_verdict(tmp_path, bug):
    """compute=float32 is offered only to a layer seen computing in float32: a dtype guard naming
    float32 does not make a 2e-6 gradient error a convention."""
    (tmp_path / "softplus.py").write_text(NAMES_FLOAT32 if bug is None else NAMES_FLOAT32.replace(*bug))
    found, _ = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(found)["Softplus"] == (("PASS", {}) if bug is None else ("FAIL", {}))


def test_keras_losses_the_scan_does_not_check_are_listed_not_misread(tmp_path):
    """MeanSquaredLogarithmicError is not a mean squared error, MeanAbsolutePercentageError not a mean
    absolute error: listed under Skipped, not failed as those."""
    (tmp_path / "losses.py").write_text(
        "import numpy as np\n\n\nclass Loss:\n    pass\n\n\n"
        "class MeanSquaredLogarithmicError(Loss):\n    def compute_loss(self, yTrue, yPred):\n"
        "        return np.mean(np.square(np.log1p(yPred) - np.log1p(yTrue)))\n\n"
        "    def compute_derivative(self, yTrue, yPred):\n"
        "        return 2 * (np.log1p(yPred) - np.log1p(yTrue)) / (1 + yPred) / yTrue.size\n\n\n"
        "class MeanAbsolutePercentageError(Loss):\n    def compute_loss(self, yTrue, yPred):\n"
        "        return 100 * np.mean(np.abs((yTrue - yPred) / yTrue))\n\n"
        "    def compute_derivative(self, yTrue, yPred):\n"
        "        return -100 * np.sign(yTrue - yPred) / np.abs(yTrue) / yTrue.size\n")
    found, skipped = scan([str(tmp_path)], dtypes=F64)
    assert not found
    assert {n for n, why in skipped if "does not recognise by name" in why} >= {"MeanSquaredLogarithmicError",
                                                                                "MeanAbsolutePercentageError"}
