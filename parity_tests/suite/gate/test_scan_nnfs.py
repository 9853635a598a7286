"""``parity scan`` on the third classic style, "Neural Networks from Scratch in Python": layers that
keep ``self.output``/``self.dinputs``, losses of predictions, optimizers ``update_params(layer)``.
The example (``examples/nnfs``) passes; each seeded bug fails at its component and check."""
import os

import numpy as np
import pytest
import torch

from parity_tests import check_component, check_optimizer
from parity_tests.cli import main
from parity_tests.gate.scan import scan

from .test_scan import F64, ROOT, example_module, failed_checks, seeded, verdicts

NNFS = os.path.join(ROOT, "examples", "nnfs")
FILE = "nnfs_model.py"


@pytest.fixture(scope="module")
def nnfs_outcomes():
    return scan([NNFS])[0]


def test_every_class_is_recognised_and_the_example_passes(nnfs_outcomes):
    v = verdicts(nnfs_outcomes)
    assert v == {"Layer_Dense": ("PASS", {}), "Layer_Dropout": ("CONVENTION", {"dtype": "promotes"}),
                 "Activation_ReLU": ("PASS", {}), "Activation_Sigmoid": ("PASS", {}),
                 "Activation_Softmax": ("PASS", {}), "Activation_Linear": ("PASS", {}),
                 "Activation_Softmax_Loss_CategoricalCrossentropy": ("PASS", {}),
                 "Loss_CategoricalCrossentropy": ("CONVENTION", {"dtype": "promotes"}),
                 "Loss_BinaryCrossentropy": ("PASS", {}), "Loss_MeanSquaredError": ("PASS", {}),
                 "Loss_MeanAbsoluteError": ("PASS", {}), "Optimizer_SGD": ("PASS", {}),
                 "Optimizer_Adagrad": ("PASS", {}), "Optimizer_RMSprop": ("PASS", {}),
                 "Optimizer_Adam": ("PASS", {}), "Loss.regularization_loss": ("PASS", {})}, v
    dense = next(o for o in nnfs_outcomes if o.target.name == "Layer_Dense")
    assert {"grad_param:weights", "grad_param:biases", "fd:weights", "fd:biases"} <= {r.check for r in dense.report.results}
    sgd = next(o for o in nnfs_outcomes if o.target.name == "Optimizer_SGD")
    assert {r.component for r in sgd.report.results} == {"Optimizer_SGD", "Optimizer_SGD(momentum=0.9)",
                                                         "Optimizer_SGD(decay=0.1)"}
    adam = next(o for o in nnfs_outcomes if o.target.name == "Optimizer_Adam")
    assert {r.component for r in adam.report.results} == {"Optimizer_Adam", "Optimizer_Adam(decay=0.1)"}
    assert any("regularizers" in r.sample for r in dense.report.results if r.check == "fd:weights")
    assert any(r.check.endswith(".momentums") for r in sgd.report.results)
    assert main(["scan", NNFS, "-q", "--strict", "--convention", "dtype=promotes"]) == 0


BUGS = {
    "dropout keeping 1 - rate": ("np.random.binomial(1, self.rate, size=inputs.shape) / self.rate",
                                 "np.random.binomial(1, 1 - self.rate, size=inputs.shape) / self.rate",
                                 "Layer_Dropout", "keep_share"),
    "regularization loss L1 without abs": (
        "layer.weight_regularizer_l1 * np.sum(np.abs(layer.weights))", "layer.weight_regularizer_l1 * np.sum(layer.weights)",
        "Loss.regularization_loss", "value"),
    "regularization loss bias L2 with the weight's coefficient": (
        "regularization_loss += layer.bias_regularizer_l2 * np.sum(layer.biases * layer.biases)",
        "regularization_loss += layer.weight_regularizer_l2 * np.sum(layer.biases * layer.biases)",
        "Loss.regularization_loss", "value"),
    "dweights transposed": ("self.dweights = np.dot(self.inputs.T, dvalues)", "self.dweights = np.dot(dvalues.T, self.inputs)",
                            "Layer_Dense", "grad_param:weights"),
    "dbiases summed without keepdims": ("self.dbiases = np.sum(dvalues, axis=0, keepdims=True)",
                                        "self.dbiases = np.sum(dvalues, axis=0, keepdims=True) / len(dvalues)",
                                        "Layer_Dense", "grad_param:biases"),
    "relu passes the gradient at 0": ("self.dinputs[self.inputs <= 0] = 0", "self.dinputs[self.inputs < 0] = 0",
                                      "Activation_ReLU", "grad_input"),
    "softmax jacobian without the outer product": (
        "jacobian_matrix = np.diagflat(single_output) - np.dot(single_output, single_output.T)",
        "jacobian_matrix = np.diagflat(single_output)", "Activation_Softmax", "grad_input"),
    "sigmoid derivative from the input": ("self.dinputs = dvalues * (1 - self.output) * self.output",
                                          "self.dinputs = dvalues * (1 - self.inputs) * self.inputs",
                                          "Activation_Sigmoid", "grad_input"),
    "dropout mask not scaled": ("size=inputs.shape) / self.rate", "size=inputs.shape)", "Layer_Dropout", "forward"),
    "softmax loss gradient without 1/N": ("        self.dinputs[range(samples), y_true] -= 1\n        self.dinputs = self.dinputs / samples",
                                          "        self.dinputs[range(samples), y_true] -= 1",
                                          "Activation_Softmax_Loss_CategoricalCrossentropy", "grad_input"),
    "the book's MAE sign": ("np.sign(dvalues - y_true) / outputs", "np.sign(y_true - dvalues) / outputs",
                            "Loss_MeanAbsoluteError", "grad_input"),
    "MSE without 1/outputs": ("self.dinputs = -2 * (y_true - dvalues) / outputs", "self.dinputs = -2 * (y_true - dvalues)",
                              "Loss_MeanSquaredError", "grad_input"),
    "BCE without 1/N": ("/ (1 - clipped_dvalues)) / outputs\n        self.dinputs = self.dinputs / samples",
                        "/ (1 - clipped_dvalues)) / outputs", "Loss_BinaryCrossentropy", "grad_input"),
    "momentum velocity sign": ("weight_updates = self.momentum * layer.weight_momentums - self.current_learning_rate",
                               "weight_updates = -self.momentum * layer.weight_momentums - self.current_learning_rate",
                               "Optimizer_SGD(momentum=0.9)", "param:w1"),
    "Adam bias without its correction": (
        "bias_momentums_corrected = layer.bias_momentums / (1 - self.beta_1 ** (self.iterations + 1))",
        "bias_momentums_corrected = layer.bias_momentums", "Optimizer_Adam", "param:b1"),
    "RMSprop rho the weight of the new square": (
        "layer.weight_cache = self.rho * layer.weight_cache + (1 - self.rho) * layer.dweights ** 2",
        "layer.weight_cache = (1 - self.rho) * layer.weight_cache + self.rho * layer.dweights ** 2",
        "Optimizer_RMSprop", "param:w1"),
    "L2 regularizer gradient without its 2": ("self.dweights += 2 * self.weight_regularizer_l2 * self.weights",
                                              "self.dweights += self.weight_regularizer_l2 * self.weights",
                                              "Layer_Dense", "grad_param:weights"),
    "bias L1 regularizer with the weights' coefficient": (
        "self.dbiases += self.bias_regularizer_l1 * dL1", "self.dbiases += self.weight_regularizer_l1 * dL1",
        "Layer_Dense", "grad_param:biases"),
    "L1 regularizer gradient of the wrong sign": ("dL1[self.weights < 0] = -1", "dL1[self.weights > 0] = -1",
                                                  "Layer_Dense", "fd:weights"),
    "SGD never counts its iterations (its decay never acts)": (
        "            bias_updates = -self.current_learning_rate * layer.dbiases\n        layer.weights += weight_updates\n"
        "        layer.biases += bias_updates\n\n    def post_update_params(self):\n        self.iterations += 1",
        "            bias_updates = -self.current_learning_rate * layer.dbiases\n        layer.weights += weight_updates\n"
        "        layer.biases += bias_updates\n\n    def post_update_params(self):\n        pass",
        "Optimizer_SGD(decay=0.1)", "param:w1"),
    "Adagrad cache of the gradient, not its square": ("layer.weight_cache += layer.dweights ** 2",
                                                       "layer.weight_cache += np.abs(layer.dweights)",
                                                       "Optimizer_Adagrad", "param:w1"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_is_reported_at_its_component_and_check(tmp_path, bug):
    old, new, component, check = BUGS[bug]
    path = seeded(tmp_path, NNFS, FILE, old, new)
    target = component.split("(")[0]
    o = next(o for o in scan([path], only=target, dtypes=F64)[0] if o.target.name == target)
    failures = {(r.component, r.check) for r in o.report.failures}
    assert o.verdict == "FAIL" and (component, check) in failures, failures


def test_an_early_chapters_classes_without_training_argument_or_momentum(tmp_path):
    """Chapter 10's SGD takes the learning rate only; chapter 9's layers forward(inputs)."""
    (tmp_path / "ch10.py").write_text(
        "import numpy as np\n"
        "class Activation_ReLU:\n    def forward(self, inputs):\n        self.inputs = inputs\n"
        "        self.output = np.maximum(0, inputs)\n"
        "    def backward(self, dvalues):\n        self.dinputs = dvalues.copy()\n        self.dinputs[self.inputs <= 0] = 0\n"
        "class Optimizer_SGD:\n    def __init__(self, learning_rate=1.0):\n        self.learning_rate = learning_rate\n"
        "    def update_params(self, layer):\n        layer.weights += -self.learning_rate * layer.dweights\n"
        "        layer.biases += -self.learning_rate * layer.dbiases\n"
        "class Activation_Softmax_Loss_CategoricalCrossentropy:\n    def forward(self, inputs, y_true):\n"
        "        e = np.exp(inputs - inputs.max(axis=1, keepdims=True))\n        self.output = e / e.sum(axis=1, keepdims=True)\n"
        "        yt = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true\n"
        "        return -np.log(np.clip(self.output, 1e-7, 1 - 1e-7)[range(len(inputs)), yt]).mean() * 1.5\n"
        "    def backward(self, dvalues, y_true):\n        samples = len(dvalues)\n"
        "        y_true = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true\n"
        "        self.dinputs = dvalues.copy()\n        self.dinputs[range(samples), y_true] -= 1\n"
        "        self.dinputs = self.dinputs / samples\n")
    outcomes, _ = scan([str(tmp_path / "ch10.py")], dtypes=F64)
    v = verdicts(outcomes)
    assert v["Activation_ReLU"] == ("PASS", {}) and v["Optimizer_SGD"] == ("PASS", {}), v
    # its forward's loss value is checked when it has one: here scaled by 1.5 (so the gradient is
    # no longer that value's derivative either)
    verdict, checks, _ = failed_checks(outcomes, "Activation_Softmax_Loss_CategoricalCrossentropy")
    assert verdict == "FAIL" and checks == {"loss", "fd:input"}, checks


def test_the_nnfs_style_through_the_api():
    m = example_module(os.path.join(NNFS, FILE), "nnfs_model")
    rng = np.random.default_rng(0)
    dense = m.Layer_Dense(4, 3)
    assert check_component(dense, rng.standard_normal((5, 4))).passed
    assert check_component(m.Layer_Dropout(0.3), rng.standard_normal((6, 5)), hyper={"p": 0.3},
                           conventions={"dtype": "promotes"}).passed
    assert not check_component(m.Layer_Dropout(0.3), rng.standard_normal((6, 5)), hyper={"p": 0.5}).passed
    with pytest.raises(TypeError, match="hyper= takes a dict of hyperparameters"):
        check_component(m.Layer_Dropout(0.3), rng.standard_normal((6, 5)), hyper=0.3)
    report = check_optimizer(m.Optimizer_Adam(learning_rate=1e-3), torch.optim.Adam, {"lr": 1e-3, "eps": 1e-7})
    assert report.passed and any(r.check.endswith(".cache") for r in report.results)
    assert not check_optimizer(m.Optimizer_Adam(learning_rate=1e-3), torch.optim.Adam, {"lr": 1e-3}).passed
    # regularizers: torch and the finite differences (of the output plus the penalty) see them
    x = rng.standard_normal((5, 4))
    regularized = m.Layer_Dense(4, 3, weight_regularizer_l1=0.1, bias_regularizer_l2=0.2)
    # weights at least 0.01 from 0: finite differences (h = 1e-5) straddling L1's kink at 0 fail one time in
    # about a hundred with the book's 0.01 * randn drawn from whatever the global generator holds
    w = rng.standard_normal((4, 3))
    regularized.weights = np.sign(w) * (0.01 + 0.01 * np.abs(w))
    report = check_component(regularized, x)
    assert report.passed and {"fd:weights", "fd:biases"} <= {r.check for r in report.results}
    forgetful = m.Layer_Dense(4, 3, weight_regularizer_l2=0.1)
    forgetful.weight_regularizer_l2 = 0.2           # its backward adds twice what the reference is told
    assert not check_component(forgetful, x, hyper={"weight_regularizer_l2": 0.1}).passed
    # a decaying learning rate: torch's set per step
    decay = {"lr_factor": lambda i: 1 / (1 + 0.5 * i)}
    sgd = check_optimizer(m.Optimizer_SGD(learning_rate=0.1, decay=0.5), torch.optim.SGD, {"lr": 0.1}, **decay)
    assert sgd.passed
    assert not check_optimizer(m.Optimizer_SGD(learning_rate=0.1, decay=0.4), torch.optim.SGD, {"lr": 0.1},
                               **decay).passed


def test_style_option_selects_the_nnfs_classes(capsys):
    assert main(["scan", NNFS, "-q", "--style", "cs231n"]) == 2
    capsys.readouterr()
    assert main(["scan", NNFS, "-q", "--style", "nnfs", "--only", "Layer_Dense", "--dtype", "float64"]) == 0
    assert "Layer_Dense" in capsys.readouterr().out


def test_nnfs_init_at_import_does_not_change_the_numpy_the_checks_use(tmp_path, capsys):
    """The book's scripts call nnfs.init(), which swaps np.dot, np.zeros, np.eye and np.random.randn
    for float32-forcing versions: left in place, every float64 check after it (anyone's) would fail."""
    originals = (np.dot, np.zeros, np.eye, np.random.randn)
    (tmp_path / "hw").mkdir()
    text = open(os.path.join(NNFS, FILE)).read()
    (tmp_path / "hw" / "script.py").write_text(
        "import nnfs\nfrom nnfs.datasets import spiral_data\nnnfs.init()\n" + text[text.index("import numpy"):]
        + "\nX, y = spiral_data(samples=20, classes=3)\ndense1 = Layer_Dense(2, 8)\ndense1.forward(X, True)\n")
    with open(os.path.join(ROOT, "examples", "cs231n", "layers.py")) as f:
        (tmp_path / "hw" / "layers.py").write_text(f.read())
    outcomes, skipped = scan([str(tmp_path / "hw")], only="Layer_Dense,affine_forward,Activation_Softmax", dtypes=F64)
    assert verdicts(outcomes) == {"Layer_Dense": ("PASS", {}), "affine_forward": ("PASS", {}),
                                  "Activation_Softmax": ("PASS", {}),
                                  "Activation_Softmax_Loss_CategoricalCrossentropy": ("PASS", {})}
    assert any("replaced numpy.dot, numpy.eye, numpy.random.randn, numpy.zeros when imported" in why
               for _, why in skipped), skipped
    assert (np.dot, np.zeros, np.eye, np.random.randn) == originals


def test_a_dropout_whose_forward_takes_no_mode_is_not_checked_in_eval_mode(tmp_path):
    """Chapters 15-18: ``forward(self, inputs)``, no training argument, so no eval mode to compare."""
    (tmp_path / "ch15.py").write_text(
        "import numpy as np\n\n\nclass Layer_Dropout:\n    def __init__(self, rate):\n        self.rate = 1 - rate\n\n"
        "    def forward(self, inputs):\n        self.inputs = inputs\n"
        "        self.binary_mask = np.random.binomial(1, self.rate, size=inputs.shape) / self.rate\n"
        "        self.output = inputs * self.binary_mask\n\n"
        "    def backward(self, dvalues):\n        self.dinputs = dvalues * self.binary_mask\n")
    outcomes, _ = scan([str(tmp_path)], style="nnfs")
    assert verdicts(outcomes) == {"Layer_Dropout": ("CONVENTION", {"dtype": "promotes"})}
    assert not [r for r in outcomes[0].report.results if r.check.startswith("eval")]


# chapters 10 to 18 of the book, as printed: the combined class's forward returns the loss of the
# softmax through Loss_CategoricalCrossentropy, which clips the probabilities to [1e-7, 1 - 1e-7]
CH10_SOFTMAX_LOSS = '''import numpy as np

class Activation_Softmax:
    def forward(self, inputs):
        self.inputs = inputs
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        probabilities = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        self.output = probabilities

class Loss:
    def calculate(self, output, y):
        sample_losses = self.forward(output, y)
        data_loss = np.mean(sample_losses)
        return data_loss

class Loss_CategoricalCrossentropy(Loss):
    def forward(self, y_pred, y_true):
        samples = len(y_pred)
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        if len(y_true.shape) == 1:
            correct_confidences = y_pred_clipped[range(samples), y_true]
        elif len(y_true.shape) == 2:
            correct_confidences = np.sum(y_pred_clipped * y_true, axis=1)
        negative_log_likelihoods = -np.log(correct_confidences)
        return negative_log_likelihoods

class Activation_Softmax_Loss_CategoricalCrossentropy():
    def __init__(self):
        self.activation = Activation_Softmax()
        self.loss = Loss_CategoricalCrossentropy()
    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        return self.loss.calculate(self.output, y_true)
    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples
'''
COMBINED = "Activation_Softmax_Loss_CategoricalCrossentropy"


def test_the_books_clipped_loss_value_is_the_softmax_eps_clip_convention(tmp_path, capsys):
    """On logits near 800 the book's clipped value is 12.09 where torch's is 38.35: correct code, a
    named convention. Declared, it passes for every seed; with the eps-added value declared instead,
    the clip is what the verdict names, and a clip at another bound still fails once declared."""
    (tmp_path / "ch10.py").write_text(CH10_SOFTMAX_LOSS)
    outcomes, _ = scan([str(tmp_path)], only=COMBINED)
    assert verdicts(outcomes) == {COMBINED: ("CONVENTION", {"softmax_eps": "clip"})}
    for seed in ("1", "2", "3"):
        assert main(["scan", str(tmp_path), "--only", COMBINED, "--seed", seed, "--strict",
                     "--convention", "softmax_eps=clip"]) == 0
    capsys.readouterr()
    assert main(["scan", str(tmp_path), "--only", COMBINED, "--dtype", "float64", "-q", "--strict",
                 "--convention", "softmax_eps=1e-7"]) == 1
    assert "CONVENTION softmax_eps=clip" in capsys.readouterr().out
    path = seeded(tmp_path / "bound", str(tmp_path), "ch10.py", "np.clip(y_pred, 1e-7, 1 - 1e-7)",
                  "np.clip(y_pred, 1e-5, 1 - 1e-7)")
    capsys.readouterr()
    assert main(["scan", path, "--only", COMBINED, "--dtype", "float64", "-q",
                 "--convention", "softmax_eps=clip"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_chapter_14s_regularization_loss_takes_a_layer(tmp_path):
    """Chapters 14-18: ``loss_activation.loss.regularization_loss(dense1)``, one layer per call. A
    squared L1 is caught; the losses that inherit it do not each report it again."""
    src = ("import numpy as np\n"
           "class Loss:\n    def regularization_loss(self, layer):\n        regularization_loss = 0\n"
           "        if layer.weight_regularizer_l1 > 0:\n"
           "            regularization_loss += layer.weight_regularizer_l1 * np.sum(np.abs(layer.weights))\n"
           "        if layer.weight_regularizer_l2 > 0:\n"
           "            regularization_loss += layer.weight_regularizer_l2 * np.sum(layer.weights * layer.weights)\n"
           "        if layer.bias_regularizer_l1 > 0:\n"
           "            regularization_loss += layer.bias_regularizer_l1 * np.sum(np.abs(layer.biases))\n"
           "        if layer.bias_regularizer_l2 > 0:\n"
           "            regularization_loss += layer.bias_regularizer_l2 * np.sum(layer.biases * layer.biases)\n"
           "        return regularization_loss\n"
           "    def calculate(self, output, y):\n        return np.mean(self.forward(output, y))\n"
           "class Loss_MeanSquaredError(Loss):\n    def forward(self, y_pred, y_true):\n"
           "        return np.mean((y_true - y_pred)**2, axis=-1)\n"
           "    def backward(self, dvalues, y_true):\n        samples, outputs = len(dvalues), len(dvalues[0])\n"
           "        self.dinputs = -2 * (y_true - dvalues) / outputs / samples\n"
           "class Loss_MeanAbsoluteError(Loss):\n    def forward(self, y_pred, y_true):\n"
           "        return np.mean(np.abs(y_true - y_pred), axis=-1)\n"
           "    def backward(self, dvalues, y_true):\n        samples, outputs = len(dvalues), len(dvalues[0])\n"
           "        self.dinputs = np.sign(dvalues - y_true) / outputs / samples\n")
    (tmp_path / "ch14.py").write_text(src)
    outcomes, _ = scan([str(tmp_path)])
    assert verdicts(outcomes) == {"Loss_MeanSquaredError": ("PASS", {}), "Loss_MeanAbsoluteError": ("PASS", {}),
                                  "Loss.regularization_loss": ("PASS", {})}
    (tmp_path / "ch14.py").write_text(src.replace("np.sum(np.abs(layer.weights))", "np.sum(np.abs(layer.weights)) ** 2"))
    verdict, checks, _ = failed_checks(scan([str(tmp_path)], only="regularization")[0], "Loss.regularization_loss")
    assert verdict == "FAIL" and checks == {"value"}


CH17_DROPOUT = """import numpy as np
class Layer_Dropout:
    def __init__(self, rate):
        self.rate = 1 - rate
    def forward(self, inputs):
        self.inputs = inputs
        self.binary_mask = np.random.binomial(1, self.rate, size=inputs.shape){scale}
        self.output = inputs * self.binary_mask
    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask
"""


def test_chapter_17_dropout_without_an_eval_mode_must_scale_its_mask(tmp_path):
    """Chapters 14-17's ``forward(inputs)`` has no eval mode, so nothing would ever scale an unscaled
    mask: that is a bug, not the classic dropout convention (which multiplies by keep in eval)."""
    for scale, verdict in ((" / self.rate", "PASS"), ("", "FAIL")):
        folder = tmp_path / ("scaled" if scale else "unscaled")
        folder.mkdir()
        (folder / "ch17.py").write_text(CH17_DROPOUT.format(scale=scale))
        outcomes, _ = scan([str(folder)], style="nnfs", dtypes=F64, conventions={"dtype": "promotes"})
        assert verdicts(outcomes)["Layer_Dropout"][0] == verdict, (scale, verdicts(outcomes))
