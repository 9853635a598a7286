"""``parity scan`` on code from outside the five styles it knows (ML-From-Scratch, numpy-ml, a
Nielsen-style sigmoid): a class named like a known component but with another interface is listed
under "Skipped" with why, never failed as if the user's code were wrong; a known component that
is wrong only past exp's overflow is caught; a book-named dropout drawing from its own generator."""
import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, verdicts

OVERFLOWING = "return np.exp(x) / (1 + np.exp(x))"        # nan past x = 709


@pytest.mark.parametrize("source, name", [
    ("import numpy as np\ndef sigmoid(x):\n    " + OVERFLOWING + "\n", "sigmoid"),
    ("import numpy as np\nclass Sigmoid:\n    def forward(self, x):\n        self.out = 1 / (1 + np.exp(-x))\n"
     "        self.out = np.exp(x) / (1 + np.exp(x))\n        return self.out\n"
     "    def backward(self, dout):\n        return dout * self.out * (1 - self.out)\n", "Sigmoid")])
def test_a_sigmoid_that_overflows_fails_on_large_inputs(tmp_path, source, name):
    (tmp_path / "act.py").write_text(source)
    o = next(o for o in scan([str(tmp_path)], dtypes=F64)[0] if o.target.name == name)
    assert o.verdict == "FAIL" and all("800" in r.sample for r in o.report.failures), [r.sample for r in o.report.failures]


def test_the_stable_sigmoids_pass_on_large_inputs(tmp_path):
    (tmp_path / "act.py").write_text(
        "import numpy as np\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
        "class Sigmoid:\n    def forward(self, x):\n        self.out = 1 / (1 + np.exp(-x))\n        return self.out\n"
        "    def backward(self, dout):\n        return dout * self.out * (1 - self.out)\n")
    assert verdicts(scan([str(tmp_path)])[0]) == {"sigmoid": ("PASS", {}), "Sigmoid": ("PASS", {})}


def test_classes_named_like_the_books_with_another_interface(tmp_path):
    (tmp_path / "optimizers.py").write_text(
        "import numpy as np\n"
        "class Adam:\n    def __init__(self, learning_rate=0.001):\n        self.lr = learning_rate\n"
        "    def update(self, w, grad_wrt_w):\n        return w - self.lr * grad_wrt_w\n"       # ML-From-Scratch
        "class SGD:\n    def __init__(self, lr=0.01):\n        self.lr = lr\n"
        "    def update(self, param, param_grad, param_name, cur_loss=None):\n"               # numpy-ml
        "        return param - self.lr * param_grad\n")
    (tmp_path / "wrappers.py").write_text(
        "class Dropout:\n    def __init__(self, wrapped_layer, p):\n        self.layer, self.p = wrapped_layer, p\n"
        "    def forward(self, X):\n        return X\n    def backward(self, dLdy):\n        return dLdy\n")
    outcomes, skipped = scan([str(tmp_path)], dtypes=F64)
    # ML-From-Scratch's update(w, grad_wrt_w) and numpy-ml's update(param, param_grad, param_name) are
    # driven now (test_scan_ml_from_scratch.py): an "Adam" stepping as plain SGD fails, the SGD passes
    assert verdicts(outcomes) == {"Adam": ("FAIL", {}), "SGD": ("PASS", {})}
    reasons = dict(skipped)
    assert "Adam" not in reasons and "SGD" not in reasons, reasons
    assert "no value for 'wrapped_layer'" in reasons["Dropout"], reasons


def test_layers_of_another_interface_are_checked(tmp_path):
    """ML-From-Scratch's layers (forward_pass/backward_pass) are checked (test_scan_ml_from_scratch.py):
    a Dropout that never drops fails at its keep share; its activations (__call__/gradient) are checked
    (test_scan_blog_objects.py)."""
    (tmp_path / "layers.py").write_text(
        "import numpy as np\n"
        "class Dropout:\n    def __init__(self, p=0.2):\n        self.p = p\n"
        "    def forward_pass(self, X, training=True):\n        return X\n"
        "    def backward_pass(self, accum_grad):\n        return accum_grad\n"
        "class Sigmoid:\n    def __call__(self, x):\n        return 1 / (1 + np.exp(-x))\n"
        "    def gradient(self, x):\n        return self.__call__(x) * (1 - self.__call__(x))\n")
    outcomes, skipped = scan([str(tmp_path)], dtypes=F64)
    assert not skipped, skipped
    assert verdicts(outcomes) == {"Sigmoid": ("PASS", {}), "Dropout": ("FAIL", {})}
    drop = next(o for o in outcomes if o.target.name == "Dropout")
    assert any(r.check == "keep_share" and "kept 100.0%" in r.note for r in drop.report.failures)


def test_a_torch_file_with_a_class_named_like_the_second_books_is_not_imported(tmp_path):
    """``class Embedding(nn.Module)`` in a torch repository: its file (here importing a package that is
    not installed) is left alone; only files keeping ``self.grads`` are taken for the book's."""
    (tmp_path / "model.py").write_text("import not_installed_anywhere\nimport torch\n"
                                       "class Embedding(torch.nn.Module):\n    def forward(self, x):\n        return x\n")
    (tmp_path / "act.py").write_text("import numpy as np\ndef relu(X):\n    return np.maximum(X, 0)\n")
    outcomes, skipped = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(outcomes) == {"relu": ("PASS", {})} and not any("model.py" in w for w, _ in skipped), skipped


@pytest.mark.parametrize("body, what", [("np.exp(y) / np.sum(np.exp(y))", "every element at once"),
                                        ("np.exp(y) / np.sum(np.exp(y), axis=0, keepdims=True)", "each column")])
def test_a_softmax_over_another_axis_fails_and_says_which(tmp_path, body, what):
    """Karpathy's min-char-rnn normalises one column vector: right there, not for rows (N, C)."""
    (tmp_path / "act.py").write_text(f"import numpy as np\ndef softmax(y):\n    return {body}\n")
    o = scan([str(tmp_path)], dtypes=F64)[0][0]
    notes = [r.note for r in o.report.failures if r.sample.startswith("random")]
    assert o.verdict == "FAIL" and notes and all(f"normalises over {what}" in n for n in notes), notes


OWN_RNG_DROPOUT = '''import numpy as np


class Dropout:
    def __init__(self, dropout_ratio=0.5, seed=0):
        self.dropout_ratio = dropout_ratio
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = self.rng.random(x.shape) > self.dropout_ratio
            return x * self.mask / (1.0 - self.dropout_ratio)
        return x

    def backward(self, dout):
        return dout * self.mask / (1.0 - self.dropout_ratio)
'''


@pytest.mark.parametrize("change, verdict", [
    (None, "PASS"),
    (("return x * self.mask / (1.0 - self.dropout_ratio)", "return x * self.mask"), "FAIL"),   # no convention
    (("return dout * self.mask / (1.0 - self.dropout_ratio)",
      "return dout * (self.rng.random(dout.shape) > self.dropout_ratio) / (1.0 - self.dropout_ratio)"), "FAIL")])
def test_a_book_named_dropout_drawing_from_its_own_generator(tmp_path, change, verdict):
    """The book's Dropout drawing its mask from a generator of its own (``self.rng``), not np.random: the
    same mask is drawn again for finite differences and torch's mirror (it failed as if wrong); one
    unscaled in training but not in eval, or a backward drawing a new mask, still fails."""
    (tmp_path / "layers.py").write_text(OWN_RNG_DROPOUT if change is None else OWN_RNG_DROPOUT.replace(*change))
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0])["Dropout"][0] == verdict


AUTOGRAD = '''import numpy as np


class Tensor:
    def __init__(self, data, _children=()):
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self._backward, self._prev = (lambda: None), set(_children)

    def __mul__(self, other):
        out = Tensor(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def log_softmax(self):
        z = self.data - self.data.max(axis=1, keepdims=True)
        out = Tensor(z - np.log(np.exp(z).sum(axis=1, keepdims=True)), (self,))

        def _backward():
            self.grad += out.grad - np.exp(out.data) * out.grad.sum(axis=1, keepdims=True)
        out._backward = _backward
        return out

    def backward(self):
        self.grad = np.ones_like(self.data)
        self._backward()


def cross_entropy(logits, y):
    return logits.log_softmax()


def relu(x):
    return np.maximum(x, 0)
'''


def test_a_function_taking_an_autograd_tensor_is_skipped_not_failed(tmp_path):
    """A micrograd-like engine's ``cross_entropy(logits: Tensor, y)`` is not d2l's on arrays: it is listed
    with why (it failed as if wrong, raising on the array it was given); an array function beside it is
    still checked, and an array function with a typo still fails."""
    (tmp_path / "engine.py").write_text(AUTOGRAD)
    outcomes, skipped = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(outcomes) == {"relu": ("PASS", {})}
    why = dict(skipped)["cross_entropy"]
    assert "autograd class Tensor (it calls .log_softmax() on what it is given)" in why, why
    (tmp_path / "engine.py").write_text(AUTOGRAD.replace("np.maximum(x, 0)", "x.maximum(0)"))
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0])["relu"][0] == "FAIL"


def test_a_network_whose_backward_takes_the_labels_is_listed_as_one(tmp_path):
    """Raschka's NeuralNetMLP: ``forward(x) -> (a_h, a_out)``, ``backward(x, a_h, a_out, y)`` returning its
    gradients: a network of another style, said so (it was "a layer class ... not recognised by name")."""
    (tmp_path / "net.py").write_text(
        "import numpy as np\n\ndef sigmoid(z):\n    return 1. / (1. + np.exp(-z))\n\n"
        "class NeuralNetMLP:\n    def __init__(self, num_features, num_hidden, num_classes):\n"
        "        self.weight_h = np.zeros((num_hidden, num_features))\n\n"
        "    def forward(self, x):\n        a_h = sigmoid(x @ self.weight_h.T)\n        return a_h, a_h\n\n"
        "    def backward(self, x, a_h, a_out, y):\n        return (a_out - y, a_h)\n")
    outcomes, skipped = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(outcomes) == {"sigmoid": ("PASS", {})}
    assert dict(skipped)["NeuralNetMLP"].startswith("a network whose backward takes the labels (backward(x, a_h, "
                                                     "a_out, y))")
