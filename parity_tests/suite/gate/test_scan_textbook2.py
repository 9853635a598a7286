"""``parity scan`` on "Deep Learning from Scratch 2"'s style: layers keeping ``self.params`` and
``self.grads`` as lists (gradients written in place), optimizers ``update(params, grads)`` on lists,
the recurrent layers of ``time_layers.py`` (steps taking their states as inputs, Time layers with
``set_state``, float32 outputs whatever the input). The example (``examples/textbook2``) passes; each
seeded bug fails at its component and check."""
import os

import numpy as np
import pytest
import torch

from parity_tests import check_component, check_optimizer
from parity_tests.cli import main
from parity_tests.gate.scan import scan

from .test_scan import CS231N, F64, ROOT, example_module, seeded, verdicts

BOOK2 = os.path.join(ROOT, "examples", "textbook2")
DECLARED = "dropout=classic,softmax_eps=1e-7,dtype=promotes,adam_eps=folded,compute=float32"


@pytest.fixture(scope="module")
def outcomes():
    return scan([BOOK2])


def test_every_layer_and_optimizer_is_recognised_and_the_example_passes(outcomes):
    pass_ = ("PASS", {})
    assert verdicts(outcomes[0]) == {
        "relu": pass_, "sigmoid": pass_, "softmax": pass_, "Affine": pass_, "MatMul": pass_, "Sigmoid": pass_,
        "Softmax": pass_, "Embedding": pass_, "Dropout": ("CONVENTION", {"dropout": "classic"}),
        "SigmoidWithLoss": ("CONVENTION", {"dtype": "promotes", "softmax_eps": "1e-7"}),
        "SoftmaxWithLoss": ("CONVENTION", {"softmax_eps": "1e-7"}), "SGD": pass_, "Momentum": pass_,
        "Nesterov": pass_, "AdaGrad": pass_, "RMSprop": pass_, "Adam": ("CONVENTION", {"adam_eps": "folded"}),
        "RNN": pass_, "LSTM": pass_, "TimeAffine": pass_, "TimeDropout": ("CONVENTION", {"compute": "float32"}),
        "TimeEmbedding": ("CONVENTION", {"compute": "float32"}), "TimeRNN": ("CONVENTION", {"compute": "float32"}),
        "TimeLSTM": ("CONVENTION", {"compute": "float32"}),
        "TimeSoftmaxWithLoss": ("CONVENTION", {"dtype": "promotes"}),
        "cross_entropy_error": ("CONVENTION", {"softmax_eps": "1e-7"})}          # common/functions.py's
    by = {o.target.name: o for o in outcomes[0]}
    checks = {r.check for r in by["LSTM"].report.results}
    assert {"grad_param:h_prev", "grad_param:c_prev", "grad_param:Wx", "fd:Wx", "fd:c_prev"} <= checks, checks
    assert "grad_param:h0" in {r.check for r in by["TimeRNN"].report.results}
    assert {"grad_param:h_prev", "fd:h_prev"} <= {r.check for r in by["RNN"].report.results}
    assert "grad_param:h0" in {r.check for r in by["TimeLSTM"].report.results}
    assert any(r.check.endswith(".v") for r in by["Momentum"].report.results)     # its velocity list, as state
    assert any(r.check.endswith(".iter") for r in by["Adam"].report.results)
    assert main(["scan", BOOK2, "-q", "--strict", "--convention", DECLARED]) == 0


L, T, O = "common/layers.py", "common/time_layers.py", "common/optimizer.py"
BUGS = {
    "MatMul's dW 0.1% off": (L, "dW = np.dot(self.x.T, dout)\n        self.grads[0][...] = dW\n        return dx",
                             "dW = np.dot(self.x.T, dout) * 1.001\n        self.grads[0][...] = dW\n        return dx",
                             "MatMul", "grad_param:W"),
    "Affine's db averaged": (L, "db = np.sum(dout, axis=0)\n\n        self.grads[0]", "db = np.mean(dout, axis=0)\n\n"
                             "        self.grads[0]", "Affine", "grad_param:b"),
    "Softmax backward without the output": (L, "dx -= self.out * sumdx", "dx -= sumdx", "Softmax", "grad_input"),
    "SoftmaxWithLoss without 1/N": (L, "dx = dx / batch_size", "dx = dx", "SoftmaxWithLoss", "grad_input"),
    "SigmoidWithLoss sign": (L, "dx = (self.y - self.t) * dout / batch_size", "dx = (self.t - self.y) * dout / batch_size",
                             "SigmoidWithLoss", "grad_input"),
    "Embedding overwrites repeated ids": (L, "np.add.at(dW, self.idx, dout)", "dW[self.idx] = dout", "Embedding",
                                          "grad_param:W"),
    "Dropout unscaled in eval": (L, "return x * (1.0 - self.dropout_ratio)", "return x", "Dropout", "forward"),
    "RNN dh_prev without the transpose": (T, "dh_prev = np.dot(dt, Wh.T)", "dh_prev = np.dot(dt, Wh)", "RNN",
                                          "grad_param:h_prev"),
    "LSTM gradient gates out of order": (T, "dA = np.hstack((df, dg, di, do))", "dA = np.hstack((df, di, dg, do))",
                                         "LSTM", "grad_param:Wx"),
    "LSTM dc_prev without the forget gate": (T, "dc_prev = ds * f", "dc_prev = ds", "LSTM", "grad_param:c_prev"),
    "TimeRNN drops the carried dh": (T, "dx, dh = layer.backward(dhs[:, t, :] + dh)", "dx, dh = layer.backward(dhs[:, t, :])",
                                     "TimeRNN", "grad_input"),
    "TimeRNN keeps no dh": (T, "self.dh = dh\n\n        return dxs", "self.dh = 0 * dh\n\n        return dxs", "TimeRNN",
                            "grad_param:h0"),
    "TimeLSTM drops the carried dc": (T, "layer.backward(dhs[:, t, :] + dh, dc)", "layer.backward(dhs[:, t, :] + dh, 0)",
                                      "TimeLSTM", "grad_input"),
    "TimeEmbedding keeps the last step's gradient": (T, "grad += layer.grads[0]", "grad = layer.grads[0]",
                                                     "TimeEmbedding", "grad_param:W"),
    "TimeAffine's db 0.1% off": (T, "db = np.sum(dout, axis=0)", "db = np.sum(dout, axis=0) * 1.001", "TimeAffine",
                                 "grad_param:b"),
    "TimeSoftmaxWithLoss gradient at ignored labels": (T, "        dx *= mask[:, np.newaxis]", "", "TimeSoftmaxWithLoss",
                                                       "grad_input"),
    "TimeDropout unscaled": (T, "scale = 1 / (1.0 - self.dropout_ratio)", "scale = 1", "TimeDropout", "forward"),
    "SGD replaces the array": (O, "params[i] -= self.lr * grads[i]\n\n\nclass Momentum",
                               "params[i] = params[i] - self.lr * grads[i]\n\n\nclass Momentum", "SGD", "in_place:w1"),
    "Momentum's velocity sign": (O, "self.v[i] = self.momentum * self.v[i] - self.lr * grads[i]",
                                 "self.v[i] = -self.momentum * self.v[i] - self.lr * grads[i]", "Momentum", "param:w1"),
    "AdaGrad without the square": (O, "self.h[i] += grads[i] * grads[i]", "self.h[i] += np.abs(grads[i])", "AdaGrad",
                                   "param:w1"),
    "RMSprop never decays": (O, "self.h[i] *= self.decay_rate\n", "pass\n", "RMSprop", "param:w1"),
    "Affine rebinds its gradient array": (L, "self.grads[0][...] = dW\n        self.grads[1][...] = db",
                                          "self.grads[0] = dW\n        self.grads[1][...] = db", "Affine", "error"),
    "Adam without the sqrt in its correction": (O, "lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter)",
                                                "lr_t = self.lr * (1.0 - self.beta2**self.iter)", "Adam", "param:w1"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_is_reported_at_its_component_and_check(tmp_path, bug):
    path, old, new, component, check = BUGS[bug]
    folder = seeded(tmp_path, BOOK2, path, old, new)
    o = next(o for o in scan([folder], only=component, dtypes=F64)[0] if o.target.name == component)
    failures = {r.check for r in o.report.failures}
    assert o.verdict == "FAIL" and check in failures, (o.verdict, failures)


BOOKS_NESTEROV = ("            params[i] += self.momentum * self.momentum * self.v[i]\n"
                  "            params[i] -= (1 + self.momentum) * self.lr * grads[i]\n"
                  "            self.v[i] *= self.momentum\n            self.v[i] -= self.lr * grads[i]",
                  "            self.v[i] *= self.momentum\n            self.v[i] -= self.lr * grads[i]\n"
                  "            params[i] += self.momentum * self.momentum * self.v[i]\n"
                  "            params[i] -= (1 + self.momentum) * self.lr * grads[i]")


def test_the_books_nesterov_fails_and_says_what_it_does(tmp_path):
    """The book updates v first and then adds mu*mu times it: not the paper's (nor torch's) Nesterov."""
    folder = seeded(tmp_path, BOOK2, O, *BOOKS_NESTEROV)
    o = scan([folder], only="Nesterov", dtypes=F64)[0][0]
    assert o.verdict == "FAIL"
    assert all("with v already updated" in r.note for r in o.report.failures), [r.note for r in o.report.failures]


def test_the_time_layers_are_exact_in_float32_and_the_convention_does_not_hide_a_bug(tmp_path):
    outcomes = scan([BOOK2], only="TimeRNN,TimeLSTM", dtypes=("float32",))[0]
    assert {o.target.name: o.verdict for o in outcomes} == {"TimeRNN": "PASS", "TimeLSTM": "PASS"}
    folder = seeded(tmp_path, BOOK2, T, "dt = dh_next * (1 - h_next ** 2)", "dt = dh_next * (1 - h_next ** 2) * 1.001")
    o = next(o for o in scan([folder], only="TimeRNN", conventions={"compute": "float32"})[0])
    assert o.verdict == "FAIL" and {"float64", "float32"} <= {r.dtype for r in o.report.failures}


def test_the_api_takes_list_layers_with_their_states_and_list_optimizers():
    layers = example_module(os.path.join(BOOK2, "common"), "common.time_layers")
    rng = np.random.default_rng(0)
    N, D, H = 3, 4, 5
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = rng.standard_normal((D, 4 * H)) / 2, rng.standard_normal((H, 4 * H)) / 2, rng.standard_normal(4 * H)
    report = check_component(layers.LSTM(Wx.copy(), Wh.copy(), b.copy()), x, h, c)
    assert report.passed, report.summary()
    assert {"grad_param:h_prev", "grad_param:c_prev"} <= {r.check for r in report.results}
    affine = check_component(layers.Affine(rng.standard_normal((D, 3)), rng.standard_normal(3)), x)
    assert affine.passed and "grad_param:W" in {r.check for r in affine.results}
    opt = example_module(os.path.join(BOOK2, "common"), "common.optimizer")
    assert check_optimizer(opt.Momentum(lr=0.01, momentum=0.9), torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}).passed


def test_a_network_of_the_second_book_is_listed_not_checked(tmp_path):
    (tmp_path / "net.py").write_text(
        "import numpy as np\n"
        "class TwoLayerNet:\n    def __init__(self, I, H, O):\n        self.params, self.grads = [], []\n"
        "    def forward(self, x, t):\n        return 0.0\n    def backward(self, dout=1):\n        return None\n"
        "class Affine:\n    def __init__(self, W, b):\n        self.params = [W, b]\n"
        "        self.grads = [np.zeros_like(W), np.zeros_like(b)]\n"
        "    def forward(self, x):\n        self.x = x\n        return x @ self.params[0] + self.params[1]\n"
        "    def backward(self, dout):\n        self.grads[0][...] = self.x.T @ dout\n"
        "        self.grads[1][...] = dout.sum(axis=0)\n        return dout @ self.params[0].T\n")
    outcomes, skipped = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(outcomes) == {"Affine": ("PASS", {})}
    reasons = dict(skipped)
    assert "Deep Learning from Scratch 2" in reasons["TwoLayerNet"], reasons


def test_compute_float32_does_not_pass_float64_code_with_a_small_error(tmp_path):
    """A 3e-6 error in a float64 rnn step is below float32's tolerance: the convention must not apply to
    code that shows no float32 array."""
    folder = seeded(tmp_path, CS231N, "rnn_layers.py", "da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)",
                    "da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0) * (1 + 3e-6)")
    o = next(o for o in scan([os.path.join(folder, "rnn_layers.py")], only="rnn_step")[0])
    assert o.verdict == "FAIL", (o.verdict, o.convention)
    o = next(o for o in scan([os.path.join(folder, "rnn_layers.py")], only="rnn_step",
                             conventions={"compute": "float32"})[0])
    assert o.verdict == "FAIL" and "compute" in {r.check for r in o.report.failures}


def test_a_book_named_layer_keeping_lists_is_checked_as_its_kind(tmp_path):
    (tmp_path / "layers.py").write_text(
        "import numpy as np\nclass Tanh:\n    def __init__(self):\n        self.params, self.grads = [], []\n"
        "    def forward(self, x):\n        self.out = np.tanh(x)\n        return self.out\n"
        "    def backward(self, dout):\n        return dout * (1 - self.out)\n")          # the square left out
    o = scan([str(tmp_path)], dtypes=F64)[0][0]
    assert (o.target.name, o.verdict) == ("Tanh", "FAIL") and "grad_input" in {r.check for r in o.report.failures}


def test_list_optimizers_indexed_any_way(tmp_path):
    (tmp_path / "optimizer.py").write_text(
        "class SGD:\n    def __init__(self, lr=0.01):\n        self.lr = lr\n"
        "    def update(self, params, grads):\n        n = len(params)\n        for j in range(n):\n"
        "            params[j] -= self.lr * grads[j]\n"
        "class Momentum:\n    def __init__(self, lr=0.01, momentum=0.9):\n        self.lr, self.momentum, self.v = lr, momentum, None\n"
        "    def update(self, params, grads):\n        if self.v is None:\n            self.v = [0 * p for p in params]\n"
        "        for key in range(len(params)):\n            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]\n"
        "            params[key] += self.v[key]\n")
    assert verdicts(scan([str(tmp_path)], dtypes=F64)[0]) == {"SGD": ("PASS", {}), "Momentum": ("PASS", {})}


def test_the_api_says_what_is_wrong_with_states_and_lists():
    layers = example_module(os.path.join(BOOK2, "common"), "common.time_layers")
    rng = np.random.default_rng(1)
    N, D, H = 3, 4, 5
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)), rng.standard_normal(4 * H)
    with pytest.raises(TypeError, match=r"LSTM: takes 2 states after x \(h_prev, c_prev\), got 1"):
        check_component(layers.LSTM(Wx, Wh, b), x, h)
    with pytest.raises(TypeError, match=r"state c_prev has shape \(3, 6\); expected \(N, H\) with H = 5"):
        check_component(layers.LSTM(Wx, Wh, b), x, h, rng.standard_normal((N, H + 1)))
    with pytest.raises(ValueError, match=r"state h_prev has shape \(4, 5\); expected \(N, H\) = \(3, 5\)"):
        check_component(layers.LSTM(Wx, Wh, b), x, rng.standard_normal((N + 1, H)), c)
    rnn = (rng.standard_normal((D, H)), rng.standard_normal((H, H)), rng.standard_normal(H))
    with pytest.raises(TypeError, match="stateful=False"):
        check_component(layers.TimeRNN(*rnn), rng.standard_normal((N, 2, D)), h)

    class Half:
        def __init__(self, W, b):
            self.params, self.grads = [W, b], [np.zeros_like(W)]

        def forward(self, x):
            return x

        def backward(self, dout):
            return dout
    with pytest.raises(TypeError, match="params holds 2 arrays and grads 1"):
        check_component(Half(rng.standard_normal((D, 3)), np.zeros(3)), x)
