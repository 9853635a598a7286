"""``parity scan`` on functions with a forward and no backward: "Dive into Deep Learning"'s from-scratch
chapters in NumPy (``examples/d2l``) and "Deep Learning from Scratch"'s ``common/functions.py``. The
example passes; each seeded bug fails at its function; d2l's PyTorch edition is told apart."""
import os
import re
import textwrap

import numpy as np
import pytest

from parity_tests import check_component
from parity_tests.cli import main
from parity_tests.gate.scan import scan

from .test_scan import ROOT, seeded, verdicts

D2L = os.path.join(ROOT, "examples", "d2l")
FILE = "d2l_scratch.py"
PROMOTES = ("CONVENTION", {"dtype": "promotes"})


def test_every_function_is_recognised_and_the_example_passes(capsys):
    outcomes, _ = scan([D2L])
    assert verdicts(outcomes) == {
        "softmax": ("PASS", {}), "cross_entropy": ("PASS", {}), "relu": ("PASS", {}), "squared_loss": ("PASS", {}),
        "linreg": ("PASS", {}), "dropout_layer": ("PASS", {}), "corr2d": PROMOTES, "corr2d_multi_in": PROMOTES,
        "corr2d_multi_in_out": PROMOTES, "corr2d_multi_in_out_1x1": ("PASS", {}), "pool2d": PROMOTES}
    pool = next(o for o in outcomes if o.target.name == "pool2d")
    assert {r.sample for r in pool.report.results} == {"X (5,6) 2x3 max", "X (5,6) 2x3 avg"}
    assert main(["scan", D2L, "-q", "--strict", "--convention", "dtype=promotes"]) == 0
    assert "11 components: 11 pass" in capsys.readouterr().out


BUGS = {
    "the book's softmax, without the max shift": ("np.exp(X - X.max(1, keepdims=True))", "np.exp(X)", "softmax",
                                                  "logits near 800"),
    "cross entropy without its minus": ("return -np.log(y_hat[range(len(y_hat)), y])",
                                        "return np.log(y_hat[range(len(y_hat)), y])", "cross_entropy", "probabilities"),
    "squared loss without the 1/2": ("return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2",
                                     "return (y_hat - y.reshape(y_hat.shape)) ** 2", "squared_loss", "y_hat"),
    "relu passing negatives": ("return np.maximum(X, a)", "return np.abs(X)", "relu", "random"),
    "dropout without the 1/(1-p) scaling": ("mask.astype(np.float32) * X / (1.0 - dropout)",
                                            "mask.astype(np.float32) * X", "dropout_layer", "dropout=0.3"),
    "dropout keeping with probability p": ("> dropout\n", "< dropout\n", "dropout_layer", "dropout=0.3"),
    "corr2d one row short": ("Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))\n    for",
                             "Y = np.zeros((X.shape[0] - h, X.shape[1] - w + 1))\n    for", "corr2d", "X (5,6)"),
    "output channels stacked on the wrong axis": ("for k in K], 0)", "for k in K], 1)", "corr2d_multi_in_out", "X"),
    "1x1 conv with K transposed": ("K = K.reshape((c_o, c_i))", "K = K.reshape((c_i, c_o)).T", "corr2d_multi_in_out_1x1",
                                   "X"),
    "avg pooling that takes the max": ("Y[i, j] = X[i: i + p_h, j: j + p_w].mean()",
                                       "Y[i, j] = X[i: i + p_h, j: j + p_w].max()", "pool2d", "avg"),
    "linreg without the bias": ("return np.matmul(X, w) + b", "return np.matmul(X, w)", "linreg", "X"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_fails_at_its_function(tmp_path, bug):
    old, new, name, sample = BUGS[bug]
    path = seeded(tmp_path, D2L, FILE, old, new)
    o = next(o for o in scan([path], only=name, dtypes=("float64",))[0] if o.target.name == name)
    assert o.verdict == "FAIL" and any(sample in r.sample for r in o.report.failures), o.report.failures


def test_a_pool2d_without_mode_pools_max_and_a_misnamed_function_is_listed(tmp_path):
    (tmp_path / "mine.py").write_text(textwrap.dedent('''\
        import numpy as np

        def pool2d(X, pool_size):
            p_h, p_w = pool_size
            Y = np.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype)
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            return Y

        def relu():
            return None
        '''))
    outcomes, skipped = scan([str(tmp_path)])
    assert verdicts(outcomes) == {"pool2d": ("PASS", {})}
    assert {r.sample for r in outcomes[0].report.results} == {"X (5,6) 2x3 max"}
    assert ("relu", "named like d2l's relu but it takes ()") in skipped, skipped


def test_the_pytorch_edition_is_told_apart_not_failed(tmp_path, capsys):
    (tmp_path / "torch_edition.py").write_text(textwrap.dedent('''\
        import torch

        def softmax(X):
            X_exp = torch.exp(X)
            return X_exp / X_exp.sum(1, keepdim=True)

        def corr2d_multi_in(X, K):
            return sum(corr2d(x, k) for x, k in zip(X, K))
        '''))
    assert main(["scan", str(tmp_path), "-q"]) == 2                 # nothing of NumPy's to check
    out = capsys.readouterr().out
    assert "skipped softmax: written for torch tensors (it calls torch; d2l's PyTorch edition)" in out, out
    assert "skipped corr2d_multi_in: written for torch tensors" in out, out


def test_a_loss_that_returns_its_value_alone_is_checked_on_its_value(tmp_path, capsys):
    """"Deep Learning from Scratch"'s common/functions.py: softmax_loss(X, t) returns the loss only."""
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "functions.py").write_text(textwrap.dedent('''\
        import numpy as np

        def softmax(x):
            x = x - np.max(x, axis=-1, keepdims=True)
            return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)

        def cross_entropy_error(y, t):
            if t.size == y.size:
                t = t.argmax(axis=1)
            batch_size = y.shape[0]
            return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size

        def softmax_loss(X, t):
            y = softmax(X)
            return cross_entropy_error(y, t)
        '''))
    assert main(["scan", str(tmp_path), "-q", "--convention", "softmax_eps=1e-7"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"softmax_loss +softmax_loss +", out) and "PASS (the loss value only: it returns no gradient)" in out, out
    text = (tmp_path / "common" / "functions.py").read_text()
    (tmp_path / "common" / "functions.py").write_text(text.replace("/ batch_size", "/ (batch_size - 1)"))
    assert main(["scan", str(tmp_path), "-q", "--convention", "softmax_eps=1e-7"]) == 1
    assert "softmax_loss [loss]" in capsys.readouterr().out

    def value_only(x, y):
        e = np.exp(x - x.max(1, keepdims=True))
        return -np.log(e[np.arange(len(x)), y] / e.sum(1)).mean()
    rng = np.random.default_rng(0)
    report = check_component(value_only, rng.standard_normal((5, 4)), y=rng.integers(0, 4, 5), kind="softmax_loss")
    assert report.passed and [r.check for r in report.results] == ["loss"]


def test_what_scan_names_but_does_not_check_is_listed(tmp_path, capsys):
    """d2l's batch_norm and rnn, and a network class scan does not know by name (the book's
    DeepConvNet), are listed under Skipped with why, never passed over in silence."""
    (tmp_path / "ch7.py").write_text(
        "import numpy as np\n"
        "def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):\n    return X, moving_mean, moving_var\n"
        "def rnn(inputs, state, params):\n    return inputs, state\n"
        "def relu(X):\n    return np.maximum(X, 0)\n")
    (tmp_path / "deep_convnet.py").write_text(
        "class DeepConvNet:\n    def predict(self, x):\n        return x\n    def loss(self, x, t):\n        return 0.0\n"
        "    def gradient(self, x, t):\n        return {}\n")
    outcomes, skipped = scan([str(tmp_path)])
    assert verdicts(outcomes) == {"relu": ("PASS", {})}
    reasons = dict(skipped)
    assert "keeps its state in what it returns" in reasons["batch_norm"] and "rnn" in reasons
    assert reasons["DeepConvNet"].startswith("a network parity scan does not recognise by name")
