"""``parity scan`` on layers whose ``backward(output_gradient, learning_rate)`` updates their own
weights (The Independent Code's "Neural Network from Scratch", Omar Aflak's "Neural Network from
scratch in Python", Victor Zhou's CNN): forward against torch, the input gradient it returns and
each weight's gradient read from its update against torch and finite differences; the activation
and loss functions with their ``_prime``. The example (``examples/lr_backward``) passes; each
seeded bug fails at its component and check, with a line saying why where one can."""
import os

import pytest

from parity_tests.cli import main
from parity_tests.gate.scan import scan

from .test_scan import F64, ROOT, seeded, verdicts
from .test_scan import failed_checks as _failures, write_files as _write

EXAMPLE = os.path.join(ROOT, "examples", "lr_backward")


def test_the_example_passes_every_layer_activation_and_loss(capsys):
    outcomes, skipped = scan([EXAMPLE])
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in (
        "Activation(sigmoid, sigmoid_prime)", "Activation(tanh, tanh_prime)", "Sigmoid", "Softmax", "Tanh",
        "sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "Convolutional", "Dense", "binary_cross_entropy",
        "binary_cross_entropy_prime", "mse", "mse_prime", "Reshape")}
    assert skipped == []                            # Layer, the base, is not a component
    dense = next(o for o in outcomes if o.target.name == "Dense")
    assert {"forward", "grad_input", "grad_param:weights", "grad_param:bias", "fd:grad_input", "fd:weights",
            "fd:bias"} == {r.check for r in dense.report.results}
    conv = next(o for o in outcomes if o.target.name == "Convolutional")
    assert {"grad_param:kernels", "grad_param:biases", "fd:kernels"} <= {r.check for r in conv.report.results}
    assert main(["scan", EXAMPLE, "-q", "--strict", "--style", "lr-backward"]) == 0
    assert "16 components: 16 pass" in capsys.readouterr().out


BUGS = {
    "input gradient of the updated weights": (
        "dense.py", "        input_gradient = self.weights.T @ output_gradient      # before the weights change\n"
                    "        self.weights -= learning_rate * weights_gradient\n",
        "        self.weights -= learning_rate * weights_gradient\n"
        "        input_gradient = self.weights.T @ output_gradient\n",
        "Dense", "grad_input", "updates the weights before it uses them"),
    "bias never updated": ("dense.py", "        self.bias -= learning_rate * output_gradient\n", "",
                           "Dense", "grad_param:bias", "left bias unchanged"),
    "0.1% scale error in the weights' gradient": (
        "dense.py", "weights_gradient = output_gradient @ self.input.T",
        "weights_gradient = 1.001 * output_gradient @ self.input.T", "Dense", "grad_param:weights", "1.001 times"),
    "weights' gradient transposed": ("dense.py", "weights_gradient = output_gradient @ self.input.T",
                                     "weights_gradient = (output_gradient @ self.input.T).T.reshape(3, 4)",
                                     "Dense", "grad_param:weights", ""),
    "tanh' without the square": ("activations.py", "return 1 - np.tanh(x) ** 2", "return 1 - np.tanh(x)",
                                 "Tanh", "grad_input", ""),
    "softmax backward without the sum": (
        "activations.py", "self.output * (output_gradient - np.sum(self.output * output_gradient))",
        "self.output * output_gradient", "Softmax", "fd:grad_input", ""),
    "sigmoid that overflows": ("activations.py", "return 0.5 * (1 + np.tanh(0.5 * x))",
                               "return np.exp(x) / (1 + np.exp(x))", "Sigmoid", "forward", ""),
    "mse' without its 2": ("losses.py", "return 2 * (y_pred - y_true) / np.size(y_true)",
                           "return (y_pred - y_true) / np.size(y_true)", "mse_prime", "forward", ""),
    "binary cross-entropy' of the wrong sign": (
        "losses.py", "return ((1 - y_true) / (1 - y_pred) - y_true / y_pred) / np.size(y_true)",
        "return (y_true / y_pred - (1 - y_true) / (1 - y_pred)) / np.size(y_true)",
        "binary_cross_entropy_prime", "forward", ""),
    "input gradient correlated, not convolved": (
        "convolutional.py", "input_gradient[j] += convolve2d_full(output_gradient[i], self.kernels[i, j])",
        "input_gradient[j] += convolve2d_full(output_gradient[i], self.kernels[i, j][::-1, ::-1])",
        "Convolutional", "grad_input", ""),
    "kernels updated with a learning rate of its own": (
        "convolutional.py", "self.kernels -= learning_rate * kernels_gradient",
        "self.kernels -= 0.1 * kernels_gradient", "Convolutional", "grad_param:kernels", "0.2 times what that rate gives"),
    "reshape back in the wrong order": ("reshape.py", "return np.reshape(output_gradient, self.input_shape)",
                                        "return np.reshape(output_gradient, self.input_shape, order='F')",
                                        "Reshape", "grad_input", ""),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_is_reported_at_its_component_and_check(tmp_path, bug):
    path, old, new, component, check, why = BUGS[bug]
    folder = seeded(tmp_path, EXAMPLE, path, old, new)
    verdict, checks, text = _failures(scan([folder], only=component, dtypes=F64)[0], component)
    assert verdict == "FAIL" and check in checks and why in text, (verdict, checks, text)


AFLAK = {
    "layer.py": "class Layer:\n    def __init__(self):\n        self.input = None\n        self.output = None\n\n"
                "    def forward_propagation(self, input):\n        raise NotImplementedError\n\n"
                "    def backward_propagation(self, output_error, learning_rate):\n        raise NotImplementedError\n",
    "fc_layer.py": (
        "from layer import Layer\nimport numpy as np\n\n"
        "class FCLayer(Layer):\n"
        "    def __init__(self, input_size, output_size):\n"
        "        self.weights = np.random.rand(input_size, output_size) - 0.5\n"
        "        self.bias = np.random.rand(1, output_size) - 0.5\n\n"
        "    def forward_propagation(self, input_data):\n"
        "        self.input = input_data\n"
        "        self.output = np.dot(self.input, self.weights) + self.bias\n"
        "        return self.output\n\n"
        "    def backward_propagation(self, output_error, learning_rate):\n"
        "        input_error = np.dot(output_error, self.weights.T)\n"
        "        weights_error = np.dot(self.input.T, output_error)\n"
        "        self.weights -= learning_rate * weights_error\n"
        "        self.bias -= learning_rate * output_error\n"
        "        return input_error\n"),
    "activation_layer.py": (
        "from layer import Layer\n\n"
        "class ActivationLayer(Layer):\n"
        "    def __init__(self, activation, activation_prime):\n"
        "        self.activation = activation\n"
        "        self.activation_prime = activation_prime\n\n"
        "    def forward_propagation(self, input_data):\n"
        "        self.input = input_data\n"
        "        self.output = self.activation(self.input)\n"
        "        return self.output\n\n"
        "    def backward_propagation(self, output_error, learning_rate):\n"
        "        return self.activation_prime(self.input) * output_error\n"),
    "activations.py": "import numpy as np\n\ndef tanh(x):\n    return np.tanh(x);\n\n"
                      "def tanh_prime(x):\n    return 1-np.tanh(x)**2;\n",
    "losses.py": "import numpy as np\n\ndef mse(y_true, y_pred):\n    return np.mean(np.power(y_true-y_pred, 2));\n\n"
                 "def mse_prime(y_true, y_pred):\n    return 2*(y_pred-y_true)/y_true.size;\n",
}


def test_omar_aflaks_network_on_rows_one_sample_at_a_time(tmp_path):
    """forward_propagation / backward_propagation; FCLayer on rows (1, n) whose bias takes the whole
    output error, so it is checked one sample at a time (its fit loop's way), not on a batch."""
    outcomes, skipped = scan([_write(tmp_path, AFLAK)])
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in ("ActivationLayer(tanh, tanh_prime)", "FCLayer", "mse",
                                                            "mse_prime", "tanh", "tanh_prime")}
    fc = next(o for o in outcomes if o.target.name == "FCLayer")
    assert {r.shape for r in fc.report.results} == {(1, 4)}
    bad = dict(AFLAK, **{"activation_layer.py": AFLAK["activation_layer.py"].replace(
        "self.activation_prime(self.input)", "self.activation_prime(self.output)")})
    (tmp_path / "bad").mkdir()
    outcomes, _ = scan([_write(tmp_path / "bad", bad)])
    assert verdicts(outcomes)["ActivationLayer(tanh, tanh_prime)"][0] == "FAIL"


ZHOU_CONV = '''import numpy as np

class Conv3x3:
  def __init__(self, num_filters):
    self.num_filters = num_filters
    self.filters = np.random.randn(num_filters, 3, 3) / 9

  def iterate_regions(self, image):
    h, w = image.shape
    for i in range(h - 2):
      for j in range(w - 2):
        yield image[i:(i + 3), j:(j + 3)], i, j

  def forward(self, input):
    self.last_input = input
    h, w = input.shape
    output = np.zeros((h - 2, w - 2, self.num_filters))
    for im_region, i, j in self.iterate_regions(input):
      output[i, j] = np.sum(im_region * self.filters, axis=(1, 2))
    return output

  def backprop(self, d_L_d_out, learn_rate):
    d_L_d_filters = np.zeros(self.filters.shape)
    for im_region, i, j in self.iterate_regions(self.last_input):
      for f in range(self.num_filters):
        d_L_d_filters[f] += d_L_d_out[i, j, f] * im_region
    self.filters -= learn_rate * d_L_d_filters
    return None
'''
ZHOU_SOFTMAX = '''import numpy as np

class Softmax:
  def __init__(self, input_len, nodes):
    self.weights = np.random.randn(input_len, nodes) / input_len
    self.biases = np.zeros(nodes)

  def forward(self, input):
    self.last_input_shape = input.shape
    input = input.flatten()
    self.last_input = input
    totals = np.dot(input, self.weights) + self.biases
    self.last_totals = totals
    exp = np.exp(totals)
    return exp / np.sum(exp, axis=0)

  def backprop(self, d_L_d_out, learn_rate):
    # We know only 1 element of d_L_d_out will be nonzero
    for i, gradient in enumerate(d_L_d_out):
      if gradient == 0:
        continue
      t_exp = np.exp(self.last_totals)
      S = np.sum(t_exp)
      d_out_d_t = -t_exp[i] * t_exp / (S ** 2)
      d_out_d_t[i] = t_exp[i] * (S - t_exp[i]) / (S ** 2)
      d_L_d_t = gradient * d_out_d_t
      d_L_d_w = self.last_input[np.newaxis].T @ d_L_d_t[np.newaxis]
      d_L_d_inputs = self.weights @ d_L_d_t
      self.weights -= learn_rate * d_L_d_w
      self.biases -= learn_rate * d_L_d_t
      return d_L_d_inputs.reshape(self.last_input_shape)
'''


def test_victor_zhous_cnn_layers(tmp_path, capsys):
    """Conv3x3 (filters (F, 3, 3) on a 2-D image, out (h', w', F)) returns no input gradient: its
    filters' gradient is checked. Softmax's backprop stops at the one nonzero entry of the output
    gradient cross-entropy gives: it passes on that one, and the verdict says so."""
    folder = _write(tmp_path, {"conv.py": ZHOU_CONV, "softmax.py": ZHOU_SOFTMAX})
    outcomes, _ = scan([folder])
    assert verdicts(outcomes) == {"Conv3x3": ("PASS", {}), "Softmax": ("PASS", {})}
    conv = next(o for o in outcomes if o.target.name == "Conv3x3")
    assert {r.check for r in conv.report.results} == {"forward", "grad_param:filters", "fd:filters"}
    assert main(["scan", folder, "-q"]) == 0
    assert "one nonzero entry, as cross-entropy gives it" in capsys.readouterr().out
    (tmp_path / "conv.py").write_text(ZHOU_CONV.replace("d_L_d_out[i, j, f] * im_region", "d_L_d_out[i, j, f] * im_region.T"))
    assert _failures(scan([folder], only="conv")[0], "Conv3x3")[:2] == ("FAIL", {"grad_param:filters", "fd:filters"})


DENSE_ROWS = '''import numpy as np

class Dense:
    def __init__(self, n_inputs, n_neurons, activation="relu"):
        self.W = np.random.randn(n_inputs, n_neurons) * 0.1
        self.b = np.zeros((1, n_neurons))
        self.activation = activation

    def forward(self, X):
        self.X = X
        self.Z = X @ self.W + self.b
        return np.maximum(0, self.Z) if self.activation == "relu" else self.Z

    def backward(self, dA, lr):
        dZ = dA * (self.Z > 0) if self.activation == "relu" else dA
        dW = self.X.T @ dZ
        db = dZ.sum(axis=0, keepdims=True)
        dX = dZ @ self.W.T
        self.W -= lr * dW
        self.b -= lr * db
        return dX
'''


def test_a_dense_layer_with_its_activation_on_batches(tmp_path):
    """A dense layer that applies its relu is checked as dense then relu; one that takes batches is
    checked on a batch too, where a bias gradient averaged (not summed) shows."""
    folder = _write(tmp_path, {"layers.py": DENSE_ROWS})
    o = scan([folder])[0][0]
    assert o.verdict == "PASS" and {r.sample for r in o.report.results} == {"random", "a batch of 5 (5, 4)"}
    (tmp_path / "layers.py").write_text(DENSE_ROWS.replace("dZ.sum(axis=0", "dZ.mean(axis=0"))
    o = scan([folder])[0][0]
    assert o.verdict == "FAIL" and {r.sample for r in o.report.failures} == {"a batch of 5 (5, 4)"}
    assert "0.2 times what that rate gives" in " ".join(r.message() for r in o.report.failures)


def test_losses_take_their_arguments_by_name(tmp_path):
    """mse(y_pred, y_true) and predicted/actual are matched by name; unnamed ones are (y_true, y_pred)."""
    folder = _write(tmp_path, {"losses.py": (
        "import numpy as np\n\n"
        "def mse(y_pred, y_true):\n    return np.mean((y_pred - y_true) ** 2)\n\n"
        "def mse_prime(predicted, actual):\n    return 2 * (predicted - actual) / actual.size\n\n"
        "def binary_cross_entropy_prime(t, p):\n    return ((1 - t) / (1 - p) - t / p) / np.size(t)\n")})
    assert verdicts(scan([folder])[0]) == {n: ("PASS", {}) for n in ("mse", "mse_prime", "binary_cross_entropy_prime")}
    (tmp_path / "losses.py").write_text((tmp_path / "losses.py").read_text().replace(
        "2 * (predicted - actual)", "2 * (actual - predicted)"))
    assert verdicts(scan([folder])[0])["mse_prime"][0] == "FAIL"


def test_hostile_layers_fail_or_are_skipped_with_why(tmp_path):
    folder = _write(tmp_path, {"odd.py": (
        "import sys\nimport numpy as np\n\n"
        "class Layer:\n    def forward(self, x):\n        pass\n    def backward(self, grad, lr):\n        pass\n\n"
        "class Dense(Layer):\n    def __init__(self, n_in, n_out, optimizer):\n        self.W = np.zeros((n_in, n_out))\n"
        "    def forward(self, x):\n        return x @ self.W\n    def backward(self, grad, lr):\n        return grad @ self.W.T\n\n"
        "class Tanh(Layer):\n    def forward(self, x):\n        return np.tanh(x)\n"
        "    def backward(self, grad, lr):\n        sys.exit(0)\n\n"
        "class Sigmoid(Layer):\n    def forward(self, x):\n        self.s = 1 / (1 + np.exp(-x))\n        return self.s\n"
        "    def backward(self, grad, lr):\n        return grad * self.s * (1 - self.s), None\n\n"
        "class Relu(Layer):\n    def forward(self, x):\n        return None\n"
        "    def backward(self, grad, lr):\n        return grad\n")})
    outcomes, skipped = scan([folder])
    assert verdicts(outcomes) == {"Tanh": ("FAIL", {}), "Sigmoid": ("FAIL", {}), "Relu": ("FAIL", {})}
    assert [n for n, _ in skipped] == ["Dense"] and "no value for 'optimizer'" in skipped[0][1]
    assert "SystemExit" in _failures(outcomes, "Tanh")[2]
    assert "returned NoneType, not an array" in _failures(outcomes, "Relu")[2]


JOELNET_LAYERS = '''from typing import Dict, Callable

import numpy as np


class Layer:
    def __init__(self) -> None:
        self.params: Dict[str, np.ndarray] = {}
        self.grads: Dict[str, np.ndarray] = {}

    def forward(self, inputs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError


class Linear(Layer):
    def __init__(self, input_size: int, output_size: int) -> None:
        super().__init__()
        self.params["w"] = np.random.randn(input_size, output_size)
        self.params["b"] = np.random.randn(output_size)

    def forward(self, inputs):
        self.inputs = inputs
        return inputs @ self.params["w"] + self.params["b"]

    def backward(self, grad):
        self.grads["b"] = np.sum(grad, axis=0)
        self.grads["w"] = self.inputs.T @ grad
        return grad @ self.params["w"].T


class Activation(Layer):
    def __init__(self, f, f_prime) -> None:
        super().__init__()
        self.f = f
        self.f_prime = f_prime

    def forward(self, inputs):
        self.inputs = inputs
        return self.f(inputs)

    def backward(self, grad):
        return self.f_prime(self.inputs) * grad


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    y = tanh(x)
    return 1 - y ** 2


class Tanh(Activation):
    def __init__(self):
        super().__init__(tanh, tanh_prime)
'''


def test_joel_gruss_joelnet_layers_keep_params_and_grads_as_dicts(tmp_path):
    """joelnet's layers: ``self.params`` and ``self.grads`` dicts by key, ``backward(grad)`` leaving the
    gradients in ``self.grads``; Linear on rows, checked on one row and on a batch."""
    folder = _write(tmp_path, {"layers.py": JOELNET_LAYERS})
    outcomes, _ = scan([folder])
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in ("Activation(tanh, tanh_prime)", "Linear", "Tanh", "tanh",
                                                            "tanh_prime")}
    linear = next(o for o in outcomes if o.target.name == "Linear")
    assert linear.target.kind == "dense"
    assert {"grad_param:params['w']", "fd:params['b']"} <= {r.check for r in linear.report.results}
    assert {r.sample for r in linear.report.results} == {"random", "a batch of 5 (5, 4)"}
    (tmp_path / "layers.py").write_text(JOELNET_LAYERS.replace('np.sum(grad, axis=0)', 'np.mean(grad, axis=0)'))
    verdict, checks, _ = _failures(scan([folder], only="linear")[0], "Linear")
    assert verdict == "FAIL" and "grad_param:params['b']" in checks


def test_a_derivative_written_for_the_activations_output_is_told_so(tmp_path):
    folder = _write(tmp_path, {"act.py": "import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\n"
                                         "def sigmoid_prime(x):\n    return x * (1 - x)\n"})
    verdict, _, text = _failures(scan([folder], dtypes=F64)[0], "sigmoid_prime")
    assert verdict == "FAIL" and "the derivative written for the activation's output" in text


YSDA = '''import numpy as np


class Layer:
    def forward(self, input):
        return input

    def backward(self, input, grad_output):
        return np.dot(grad_output, np.eye(input.shape[1]))


class ReLU(Layer):
    def forward(self, input):
        return np.maximum(0, input)

    def backward(self, input, grad_output):
        return grad_output * (input > 0)


class Dense(Layer):
    def __init__(self, input_units, output_units, learning_rate=0.1):
        self.learning_rate = learning_rate
        self.weights = np.random.normal(0.0, np.sqrt(2 / (input_units + output_units)), (input_units, output_units))
        self.biases = np.zeros(output_units)

    def forward(self, input):
        return np.dot(input, self.weights) + self.biases

    def backward(self, input, grad_output):
        grad_input = np.dot(grad_output, self.weights.T)
        grad_weights = np.dot(input.T, grad_output)
        grad_biases = grad_output.mean(axis=0) * input.shape[0]
        self.weights = self.weights - self.learning_rate * grad_weights
        self.biases = self.biases - self.learning_rate * grad_biases
        return grad_input
'''


def test_the_rate_given_to_the_constructor_and_backward_taking_the_input(tmp_path):
    """The YSDA / HSE practical: Dense(input_units, output_units, learning_rate), backward(input,
    grad_output); built with the scan's rate, a dropped 'input.shape[0]' fails on the batch."""
    folder = _write(tmp_path, {"layers.py": YSDA})
    outcomes, _ = scan([folder])
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in ("Layer", "ReLU", "Dense")}
    dense = next(o for o in outcomes if o.target.name == "Dense")
    assert {"grad_param:weights", "fd:biases"} <= {r.check for r in dense.report.results}
    (tmp_path / "layers.py").write_text(YSDA.replace("grad_output.mean(axis=0) * input.shape[0]", "grad_output.mean(axis=0)"))
    verdict, checks, _ = _failures(scan([folder], only="dense")[0], "Dense")
    assert verdict == "FAIL" and "grad_param:biases" in checks


def _dense_rows(update, extra_init="", extra_backward="", signature="def backward(self, grad, learning_rate):"):
    return ("import numpy as np\n\nclass Dense:\n    def __init__(self, n_in, n_out):\n"
            "        self.W = np.random.randn(n_in, n_out)\n        self.b = np.zeros((1, n_out))\n" + extra_init +
            "    def forward(self, x):\n        self.x = x\n        return x @ self.W + self.b\n"
            f"    {signature}\n        dW, db = self.x.T @ grad, grad.sum(axis=0, keepdims=True)\n"
            "        dx = grad @ self.W.T\n" + extra_backward + update + "        return dx\n")


SGD = "        self.W -= learning_rate * dW\n        self.b -= learning_rate * db\n"


@pytest.mark.parametrize("what, update, extra_init, extra_backward, verdict, why", [
    ("plain SGD", SGD, "", "", "PASS", ""),
    ("a default rate", SGD, "", "", "PASS", ""),
    ("momentum buffers, which forward does not read",
     "        self.vW = 0.9 * self.vW - learning_rate * dW\n        self.vb = 0.9 * self.vb - learning_rate * db\n"
     "        self.W += self.vW\n        self.b += self.vb\n",
     "        self.vW = np.zeros_like(self.W)\n        self.vb = np.zeros_like(self.b)\n", "", "PASS", ""),
    ("Adam inside the layer",
     "        self.m = 0.9 * self.m + 0.1 * dW\n        self.v = 0.999 * self.v + 0.001 * dW ** 2\n"
     "        self.W -= learning_rate * (self.m / 0.1) / (np.sqrt(self.v / 0.001) + 1e-8)\n"
     "        self.b -= learning_rate * db\n",
     "        self.m = np.zeros_like(self.W)\n        self.v = np.zeros_like(self.W)\n", "", "FAIL",
     "an optimizer inside the layer"),
    ("the rate forgotten on the bias", "        self.W -= learning_rate * dW\n        self.b -= db\n", "", "",
     "FAIL", "2 times what that rate gives"),
    ("the rate applied twice", "        self.W -= learning_rate * learning_rate * dW\n        self.b -= learning_rate * db\n",
     "", "", "FAIL", "0.5 times what that rate gives"),
    ("the caller's input scaled in place", SGD, "", "        self.x *= 0\n", "FAIL", "its input was modified in place"),
])
def test_dense_layers_on_rows_with_an_update_of_their_own(tmp_path, what, update, extra_init, extra_backward,
                                                          verdict, why):
    sig = "def backward(self, grad, learning_rate=0.01):" if what == "a default rate" else \
        "def backward(self, grad, learning_rate):"
    folder = _write(tmp_path, {"dense.py": _dense_rows(update, extra_init, extra_backward, sig)})
    outcomes, _ = scan([folder])
    got, _, text = _failures(outcomes, "Dense")
    assert got == verdict and why in text, (what, got, text)


def test_a_dropout_drawing_from_the_global_generator_and_a_rate_kept_by_the_layer(tmp_path):
    """The global RNG is seeded before each forward, so a dropout's mask is the same in the forward,
    the backward and every finite difference; a rate given to the constructor, backward(grad)."""
    folder = _write(tmp_path, {"layers.py": (
        "import numpy as np\n\n"
        "class Dropout:\n    def __init__(self, p=0.5):\n        self.p = p\n"
        "    def forward(self, x):\n        self.mask = (np.random.rand(*x.shape) > self.p) / (1 - self.p)\n"
        "        return x * self.mask\n"
        "    def backward(self, grad, learning_rate):\n        return grad * self.mask\n\n"
        "class DenseLR:\n    def __init__(self, n_in, n_out, lr=0.01):\n        self.lr = lr\n"
        "        self.W = np.random.randn(n_in, n_out)\n        self.b = np.zeros((1, n_out))\n"
        "    def forward(self, x):\n        self.x = x\n        return x @ self.W + self.b\n"
        "    def backward(self, grad):\n        dx = grad @ self.W.T\n        self.W -= self.lr * self.x.T @ grad\n"
        "        self.b -= self.lr * grad.sum(0, keepdims=True)\n        return dx\n")})
    outcomes, _ = scan([folder])
    assert verdicts(outcomes) == {"Dropout": ("PASS", {}), "DenseLR": ("PASS", {})}
    assert next(o for o in outcomes if o.target.name == "DenseLR").target.kind == "dense"


def test_what_a_backward_returns_instead_of_the_input_gradient(tmp_path):
    """None from a layer without weights fails (a forgotten return); a softmax handing the output
    gradient through (its gradient taken with cross-entropy's) fails and says so; a tuple fails."""
    folder = _write(tmp_path, {"layers.py": (
        "import numpy as np\n\n"
        "class Tanh:\n    def forward(self, x):\n        self.y = np.tanh(x)\n        return self.y\n"
        "    def backward(self, grad, learning_rate):\n        grad * (1 - self.y ** 2)\n\n"
        "class Softmax:\n    def forward(self, x):\n        e = np.exp(x - x.max())\n        return e / e.sum()\n"
        "    def backward(self, grad, learning_rate):\n        return grad\n\n"
        "class Sigmoid:\n    def forward(self, x):\n        self.s = 1 / (1 + np.exp(-x))\n        return self.s\n"
        "    def backward(self, grad, learning_rate):\n        return grad * self.s * (1 - self.s), None\n")})
    outcomes, _ = scan([folder])
    assert {n: v for n, (v, _) in verdicts(outcomes).items()} == {"Tanh": "FAIL", "Softmax": "FAIL", "Sigmoid": "FAIL"}
    assert "returned None: no input gradient" in _failures(outcomes, "Tanh")[2]
    assert "returns the output gradient unchanged" in _failures(outcomes, "Softmax")[2]
    assert "returned a tuple of 2" in _failures(outcomes, "Sigmoid")[2]


def test_losses_written_with_another_constant_or_the_truth_first(tmp_path):
    folder = _write(tmp_path, {"losses.py": (
        "import numpy as np\n\n"
        "def mse(y_true, y_pred):\n    return 0.5 * np.sum((y_true - y_pred) ** 2)\n\n"
        "def cross_entropy(y_true, y_pred):\n    return -np.sum(y_true * np.log(y_pred)) / y_true.shape[0]\n")})
    outcomes, skipped = scan([folder], dtypes=F64)
    assert "2 times torch's, the mean of the squares" in _failures(outcomes, "mse")[2]
    assert ("cross_entropy", "named like d2l's cross_entropy but it takes (y_true, y_pred)") in skipped


HSE_MODULES = '''import numpy as np


class Module(object):
    def __init__(self):
        self.output = None
        self.gradInput = None

    def forward(self, input):
        return self.updateOutput(input)

    def backward(self, input, gradOutput):
        self.updateGradInput(input, gradOutput)
        self.accGradParameters(input, gradOutput)
        return self.gradInput

    def updateOutput(self, input):
        pass

    def updateGradInput(self, input, gradOutput):
        pass

    def accGradParameters(self, input, gradOutput):
        pass


class Linear(Module):
    def __init__(self, n_in, n_out):
        super(Linear, self).__init__()
        stdv = 1. / np.sqrt(n_in)
        self.W = np.random.uniform(-stdv, stdv, size=(n_out, n_in))
        self.b = np.random.uniform(-stdv, stdv, size=n_out)
        self.gradW = np.zeros_like(self.W)
        self.gradb = np.zeros_like(self.b)

    def updateOutput(self, input):
        self.output = input.dot(self.W.T) + self.b
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput.dot(self.W)
        return self.gradInput

    def accGradParameters(self, input, gradOutput):
        self.gradW += gradOutput.T.dot(input)
        self.gradb += np.sum(gradOutput, axis=0)
'''


def test_gradients_left_in_attributes_and_torchs_weight_layout(tmp_path):
    """The HSE modules homework: backward(input, gradOutput) leaving gradW and gradb for an optimizer,
    W (n_out, n_in) used as input.dot(W.T), torch's layout; Module, whose forward hands over to a
    stub, is its base and no component."""
    folder = _write(tmp_path, {"modules.py": HSE_MODULES})
    outcomes, skipped = scan([folder])
    assert verdicts(outcomes) == {"Linear": ("PASS", {})} and skipped == []
    linear = outcomes[0]
    assert {r.sample for r in linear.report.results} == {"random", "a batch of 5 (5, 4)"}
    assert {"forward", "grad_param:W", "fd:b"} <= {r.check for r in linear.report.results}
    (tmp_path / "modules.py").write_text(HSE_MODULES.replace("gradOutput.T.dot(input)", "input.T.dot(gradOutput).T"
                                                             ).replace("np.sum(gradOutput, axis=0)",
                                                                       "np.mean(gradOutput, axis=0)"))
    verdict, checks, _ = _failures(scan([folder])[0], "Linear")
    assert verdict == "FAIL" and checks == {"grad_param:b", "fd:b"}


OTHER_FORMS = '''import numpy as np


class Linear:
    """the rate kept, backward(grad) leaving dW and db, step() applying them"""
    def __init__(self, in_features, out_features, lr=0.01):
        self.lr = lr
        self.W = np.random.randn(in_features, out_features) * 0.1
        self.b = np.zeros(out_features)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad):
        self.dW = self.x.T @ grad
        self.db = grad.sum(axis=0)
        return grad @ self.W.T

    def step(self):
        self.W -= self.lr * self.dW
        self.b -= self.lr * self.db


class LazyDense:
    """Keras's Dense(units): its weights are made at the first forward"""
    def __init__(self, units):
        self.units = units
        self.weights = None
        self.bias = None

    def forward(self, input):
        if self.weights is None:
            self.weights = np.random.randn(input.shape[1], self.units) * 0.1
            self.bias = np.zeros((1, self.units))
        self.input = input
        return input @ self.weights + self.bias

    def backward(self, output_gradient, learning_rate):
        input_gradient = output_gradient @ self.weights.T
        self.weights -= learning_rate * self.input.T @ output_gradient
        self.bias -= learning_rate * output_gradient.sum(axis=0, keepdims=True)
        return input_gradient


class ListDense:
    """its weights in a list, self.params = [W, b]"""
    def __init__(self, input_size, output_size):
        self.params = [np.random.randn(input_size, output_size), np.zeros(output_size)]

    def forward(self, x):
        self.x = x
        return x @ self.params[0] + self.params[1]

    def backward(self, grad, learning_rate):
        dx = grad @ self.params[0].T
        self.params[0] -= learning_rate * self.x.T @ grad
        self.params[1] -= learning_rate * grad.sum(axis=0)
        return dx


class Tanh:
    def forward(self, input):
        self.input = input
        return np.tanh(input)

    def backward(self, output_gradient, learning_rate):
        return output_gradient * (1 - np.tanh(self.input) ** 2)


class Network:
    """a container: its layers' weights change in its backward"""
    def __init__(self, input_size, output_size):
        self.layers = [ListDense(input_size, 6), Tanh(), ListDense(6, output_size)]

    def forward(self, input):
        for layer in self.layers:
            input = layer.forward(input)
        return input

    def backward(self, output_gradient, learning_rate):
        for layer in reversed(self.layers):
            output_gradient = layer.backward(output_gradient, learning_rate)
        return output_gradient


class Flatten:
    def forward(self, input):
        self.shape = input.shape
        return input.reshape(-1, 1)

    def backward(self, output_gradient, learning_rate):
        return output_gradient.reshape(self.shape)


class RNN:
    def forward(self, inputs):
        return inputs, inputs

    def backprop(self, d_y, learn_rate=2e-2):
        return None
'''


def test_a_kept_rate_with_step_lazy_weights_a_list_a_container_an_image_and_a_recurrent_layer(tmp_path):
    folder = _write(tmp_path, {"forms.py": OTHER_FORMS})
    outcomes, skipped = scan([folder])
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in ("Linear", "LazyDense", "ListDense", "Tanh", "Network",
                                                            "Flatten")}
    assert {r.check for r in next(o for o in outcomes if o.target.name == "ListDense").report.results} >= \
        {"grad_param:params[0]", "fd:params[1]"}
    assert {r.check for r in next(o for o in outcomes if o.target.name == "LazyDense").report.results} >= \
        {"grad_param:weights", "fd:bias"}
    assert next(o for o in outcomes if o.target.name == "Flatten").report.results[0].shape == (4, 7, 6)
    assert [n for n, _ in skipped] == ["RNN"] and "a recurrent layer or an embedding" in skipped[0][1]
    bugs = {"Linear": ("self.db = grad.sum(axis=0)", "self.db = grad.mean(axis=0)", "grad_param:b"),
            "Flatten": ("return output_gradient.reshape(self.shape)",
                        "return output_gradient.reshape(self.shape[::-1]).transpose()", "grad_input"),
            "Network": ("output_gradient = layer.backward(output_gradient, learning_rate)",
                        "output_gradient = layer.backward(output_gradient, learning_rate) * 1.001", "fd:grad_input")}
    for name, (old, new, check) in bugs.items():
        (tmp_path / "forms.py").write_text(OTHER_FORMS.replace(old, new))
        verdict, checks, _ = _failures(scan([folder], only=name)[0], name)
        assert verdict == "FAIL" and check in checks, (name, verdict, checks)


def test_float32_weights_are_judged_at_float32s_tolerance(tmp_path):
    code = ("import numpy as np\n\nclass Dense:\n    def __init__(self, input_size, output_size):\n"
            "        self.weights = (np.random.randn(output_size, input_size) * 0.1).astype(np.float32)\n"
            "        self.bias = np.zeros((output_size, 1), dtype=np.float32)\n"
            "    def forward(self, input):\n        self.input = input.astype(np.float32)\n"
            "        return self.weights @ self.input + self.bias\n"
            "    def backward(self, output_gradient, learning_rate):\n"
            "        output_gradient = output_gradient.astype(np.float32)\n"
            "        input_gradient = self.weights.T @ output_gradient\n"
            "        self.weights -= learning_rate * (output_gradient @ self.input.T)\n"
            "        self.bias -= learning_rate * output_gradient\n        return input_gradient\n")
    folder = _write(tmp_path, {"dense.py": code})
    o = scan([folder])[0][0]
    assert o.verdict == "PASS" and {r.dtype for r in o.report.results} == {"float32"}
    (tmp_path / "dense.py").write_text(code.replace("self.weights -= learning_rate * (", "self.weights -= 1.001 * learning_rate * ("))
    assert scan([folder])[0][0].verdict == "FAIL"


def test_a_forward_written_as_a_lambda_is_no_base_class(tmp_path):
    code = ("import numpy as np\n\nclass Tanh:\n    forward = lambda self, x: np.tanh(x)\n\n"
            "    def backward(self, grad, learning_rate):\n        return grad * (1 - np.tanh(self.x) ** 2)\n")
    folder = _write(tmp_path, {"tanh.py": code})
    assert verdicts(scan([folder])[0]) == {"Tanh": ("FAIL", {})}         # self.x: the lambda keeps nothing
    (tmp_path / "tanh.py").write_text(code.replace("np.tanh(self.x)", "self.y").replace(
        "forward = lambda self, x: np.tanh(x)", "forward = lambda self, x: setattr(self, 'y', np.tanh(x)) or self.y"))
    assert verdicts(scan([folder])[0]) == {"Tanh": ("PASS", {})}
