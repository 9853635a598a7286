"""``parity scan`` on CMU 11-785's MyTorch (``examples/cmu11785``): layers whose ``backward(dLdZ)``
returns dLdA and leaves ``dLdW``/``dLdb`` (Linear, Conv1d/Conv2d and their stride-1 halves, pools,
resampling, Flatten, BatchNorm1d with its running statistics and eval forward), activations, loss classes with ``forward(A, Y)`` and ``backward()``,
optimizers built on the model (``SGD(model, lr, momentum).step()``, Adam, AdamW) and the MLPs holding
the layers. The example passes; each seeded bug fails at its component and check, with a line saying
why where one can. Also: the older handout's ``backward()`` returning dA/dZ, losses taking
(target, prediction) or returning a loss per element (ML-From-Scratch), and the handout's Adam with
eps inside the square root."""
import os

import pytest

from parity_tests.cli import main
from parity_tests.gate.scan import check_target, scan

from .test_scan import F64, ROOT, seeded, verdicts
from .test_scan import failed_checks as _failures, write_files as _write

EXAMPLE = os.path.join(ROOT, "examples", "cmu11785")
NAMES = ("Adam", "AdamW", "BatchNorm1d", "Conv1d", "Conv1d(padding=1)", "Conv1d_stride1", "Conv2d",
         "Conv2d(padding=1)", "Conv2d_stride1", "CrossEntropyLoss",
         "Downsample1d", "Downsample2d", "Flatten", "Identity", "Linear", "MLP0", "MLP4", "MSELoss", "MaxPool2d",
         "MaxPool2d_stride1", "MeanPool2d", "MeanPool2d_stride1", "ReLU", "SGD", "Sigmoid", "Softmax", "Tanh",
         "Upsample1d")


def _checks(outcomes, name):
    return {r.check for r in next(o for o in outcomes if o.target.name == name).report.results}


@pytest.fixture(scope="module")
def example():
    return scan([EXAMPLE])


def test_the_example_passes_every_component(example, capsys):
    outcomes, skipped = example
    # the handout's BatchNorm1d keeps the biased (np.var) variance in running_V; torch the unbiased one
    assert verdicts(outcomes) == {**{n: ("PASS", {}) for n in NAMES},
                                  "BatchNorm1d": ("CONVENTION", {"running_var": "biased"})}
    assert skipped == []
    assert main(["scan", EXAMPLE, "-q"]) == 0
    assert f"{len(NAMES)} components: {len(NAMES) - 1} pass, 1 convention" in capsys.readouterr().out
    assert main(["scan", EXAMPLE, "-q", "--strict"]) == 1
    declared = ["--convention", "running_var=biased", "--strict"]
    assert main(["scan", EXAMPLE, "-q", *declared]) == 0
    assert f"{len(NAMES)} components: {len(NAMES)} pass" in capsys.readouterr().out
    assert main(["scan", EXAMPLE, "-q", "--style", "mytorch", *declared]) == 0     # the same, by its name
    assert f"{len(NAMES)} components: {len(NAMES)} pass" in capsys.readouterr().out


def test_what_each_component_is_checked_on(example):
    outcomes, _ = example
    # against torch AND finite differences, the gradients read from dLdW and dLdb
    assert {"forward", "grad_input", "grad_param:W", "grad_param:b", "fd:grad_input", "fd:W", "fd:b"} <= \
        _checks(outcomes, "Linear")
    # a wrapper's weights by their path, against torch's strided convolution
    assert {"forward", "grad_param:conv2d_stride1.W", "grad_param:conv2d_stride1.b", "fd:conv2d_stride1.W"} <= \
        _checks(outcomes, "Conv2d")
    assert {"forward", "grad_input"} <= _checks(outcomes, "MaxPool2d")
    # the MLP's layers, made with zero weights, checked at random ones (else every gradient is 0 past a ReLU)
    assert {f"fd:layers[{i}].{w}" for i in range(5) for w in "Wb"} <= _checks(outcomes, "MLP4")
    # against torch's batch_norm too, its running statistics after a step, and its eval forward from them
    assert {"forward", "grad_input", "grad_param:BW", "grad_param:Bb", "fd:BW", "fd:Bb", "fd:grad_input",
            "running_mean:running_M", "running_var:running_V", "eval_forward"} <= _checks(outcomes, "BatchNorm1d")
    assert {"forward", "grad_input", "fd:grad_input"} == _checks(outcomes, "CrossEntropyLoss")
    sgd = next(o for o in outcomes if o.target.name == "SGD").report.results
    assert {r.component for r in sgd} == {"SGD(momentum=0.0)", "SGD(momentum=0.9)"}
    assert {r.check for r in sgd} == {"param:layers[0].W", "param:layers[1].W", "param:layers[0].b",
                                      "param:layers[1].b"}


BUGS = {
    "Linear: weight gradient averaged over the batch": (
        "mytorch/nn/linear.py", "self.dLdW = dLdZ.T @ self.A", "self.dLdW = dLdZ.T @ self.A / self.N",
        "Linear", "grad_param:W", "0.2 times torch's"),
    "Linear: bias gradient not summed": (
        "mytorch/nn/linear.py", "self.dLdb = dLdZ.T @ self.Ones", "self.dLdb = dLdZ.T[:, :1]",
        "Linear", "grad_param:b", ""),
    "Linear: 0.1% scale error in the input gradient": (
        "mytorch/nn/linear.py", "dLdA = dLdZ @ self.W", "dLdA = 1.001 * dLdZ @ self.W", "Linear", "grad_input", ""),
    "Tanh: derivative of the input, not the output": (
        "mytorch/nn/activation.py", "dAdZ = 1 - self.A * self.A", "dAdZ = 1 - self.A", "Tanh", "grad_input", ""),
    "Softmax: backward without the row sum": (
        "mytorch/nn/activation.py", "self.A * (dLdA - np.sum(dLdA * self.A, axis=1, keepdims=True))",
        "self.A * dLdA", "Softmax", "grad_input", ""),
    "CrossEntropyLoss: the 1/N of the mean missing in backward": (
        "mytorch/nn/loss.py", "return (self.softmax - self.Y) / self.N", "return self.softmax - self.Y",
        "CrossEntropyLoss", "grad_input", "the mean's 1/N missing"),
    "MSELoss: forward as half the mean": (
        "mytorch/nn/loss.py", "return sse / (self.N * self.C)", "return sse / (2 * self.N * self.C)",
        "MSELoss", "forward", "0.5 times torch's"),
    "BatchNorm1d: gamma left out of the input gradient": (
        "mytorch/nn/batchnorm.py", "dLdNZ = dLdBZ * self.BW", "dLdNZ = dLdBZ", "BatchNorm1d", "fd:grad_input", ""),
    "BatchNorm1d: eps added outside the square root": (
        "mytorch/nn/batchnorm.py", "self.NZ = (Z - self.M) / np.sqrt(self.V + self.eps)",
        "self.NZ = (Z - self.M) / (np.sqrt(self.V) + self.eps)", "BatchNorm1d", "forward",
        "eps added outside the square root"),
    "BatchNorm1d: running mean's momentum the wrong way round": (
        "mytorch/nn/batchnorm.py", "self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M",
        "self.running_M = (1 - self.alpha) * self.running_M + self.alpha * self.M", "BatchNorm1d",
        "running_mean:running_M", "the momentum the wrong way round"),
    "BatchNorm1d: running variance from the standard deviation": (
        "mytorch/nn/batchnorm.py", "(1 - self.alpha) * self.V", "(1 - self.alpha) * np.sqrt(self.V)",
        "BatchNorm1d", "running_var:running_V", ""),
    "BatchNorm1d: eval normalises by the batch's statistics": (
        "mytorch/nn/batchnorm.py", "NZ = (Z - self.running_M) / np.sqrt(self.running_V + self.eps)",
        "NZ = (Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + self.eps)", "BatchNorm1d", "eval_forward", ""),
    "BatchNorm1d: eval leaves gamma out": (
        "mytorch/nn/batchnorm.py", "return self.BW * NZ + self.Bb", "return NZ + self.Bb", "BatchNorm1d",
        "eval_forward", ""),
    "BatchNorm1d: eval updates the running mean": (
        "mytorch/nn/batchnorm.py", "        if eval:\n", "        if eval:\n            self.running_M = 0.5 * self.running_M\n",
        "BatchNorm1d", "eval_forward", "updated in training only"),
    "Conv1d_stride1: kernel not flipped in the input gradient": (
        "mytorch/nn/conv.py", "sliding_window_view(padded, K, axis=2), self.W[:, :, ::-1])",
        "sliding_window_view(padded, K, axis=2), self.W)", "Conv1d_stride1", "grad_input", ""),
    "Conv2d: padding cropped from one side only": (
        "mytorch/nn/conv.py", "return dLdA[:, :, p:dLdA.shape[2] - p, p:dLdA.shape[3] - p]",
        "return dLdA[:, :, :dLdA.shape[2] - 2 * p, :dLdA.shape[3] - 2 * p]", "Conv2d(padding=1)", "grad_input", ""),
    "MaxPool2d_stride1: gradient to the window's last element": (
        "mytorch/nn/pool.py", "np.add.at(dLdA, (n, c, i + self.arg // k, j + self.arg % k), dLdZ)",
        "np.add.at(dLdA, (n, c, i + k - 1, j + k - 1), dLdZ)", "MaxPool2d_stride1", "grad_input", ""),
    "MaxPool2d_stride1: forward 0.1% off (its backward consistent with it)": (
        "mytorch/nn/pool.py", "return flat.max(axis=4)", "return flat.max(axis=4) * 1.001", "MaxPool2d_stride1",
        "forward", ""),
    "Conv2d_stride1: forward 0.1% off": (
        "mytorch/nn/conv.py", 'return np.einsum("nchwij,ocij->nohw", windows, self.W) + self.b[None, :, None, None]',
        'return np.einsum("nchwij,ocij->nohw", windows, self.W) * 1.001 + self.b[None, :, None, None]',
        "Conv2d_stride1", "forward", ""),
    "MeanPool2d_stride1: gradient not divided by the window": (
        "mytorch/nn/pool.py", ".sum(axis=(4, 5)) / (k * k)", ".sum(axis=(4, 5))", "MeanPool2d_stride1",
        "grad_input", ""),
    "Downsample2d: backward keeps every other row only": (
        "mytorch/nn/resampling.py", "dLdA[:, :, ::k, ::k] = dLdZ", "dLdA[:, :, ::k, ::k] = dLdZ * 1.0\n"
        "        dLdA[:, :, ::k, 0] = 0", "Downsample2d", "fd:grad_input", ""),
    "SGD: momentum added after the step": (
        "mytorch/optim/sgd.py", "self.l[i].W = self.l[i].W - self.lr * self.v_W[i]",
        "self.l[i].W = self.l[i].W - self.lr * self.l[i].dLdW", "SGD", "param:layers[0].W", "first diverged at step 2"),
    "Adam: bias correction of step t + 1": (
        "mytorch/optim/adam.py", "m_W_hat = self.m_W[i] / (1 - b1 ** self.t)",
        "m_W_hat = self.m_W[i] / (1 - b1 ** (self.t + 1))", "Adam", "param:layers[0].W", ""),
    "AdamW: weight decay left out": (
        "mytorch/optim/adamw.py", "layer.W = layer.W - self.lr * self.weight_decay * layer.W",
        "layer.W = layer.W", "AdamW", "param:layers[0].W", ""),
    "MLP4: backward skips the activations": (
        "models/mlp.py", "dLdA = layer.backward(f.backward(dLdA))", "dLdA = layer.backward(dLdA)",
        "MLP4", "fd:grad_input", ""),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_is_reported_at_its_component_and_check(tmp_path, bug):
    path, old, new, component, check, why = BUGS[bug]
    folder = seeded(tmp_path, EXAMPLE, path, old, new)
    verdict, checks, text = _failures(scan([folder], only=component, dtypes=F64)[0], component)
    assert verdict == "FAIL" and check in checks and why in text, (verdict, checks, text)


FIRST_HANDOUT = {   # the older handout: an activation's backward() returns dA/dZ; the model multiplies
    "activation.py": "import numpy as np\n\n"
                     "class Sigmoid:\n    def forward(self, Z):\n        self.A = 1 / (1 + np.exp(-Z))\n"
                     "        return self.A\n\n    def backward(self):\n        return self.A - self.A * self.A\n\n"
                     "class ReLU:\n    def forward(self, Z):\n        self.A = np.maximum(0, Z)\n        return self.A\n\n"
                     "    def backward(self):\n        return np.where(self.A > 0, 1, 0)\n",
}


def test_the_first_handouts_backward_without_arguments(tmp_path):
    """``backward()`` returning the elementwise dA/dZ: checked as dLdA * dA/dZ. A derivative of the
    input, not of the output, fails."""
    outcomes, _ = scan([_write(tmp_path, FIRST_HANDOUT)], dtypes=F64)
    assert verdicts(outcomes) == {"ReLU": ("PASS", {}), "Sigmoid": ("PASS", {})}
    (tmp_path / "bad").mkdir()
    bad = {"activation.py": FIRST_HANDOUT["activation.py"].replace("return self.A - self.A * self.A",
                                                                   "return self.A")}
    verdict, checks, _ = _failures(scan([_write(tmp_path / "bad", bad)], dtypes=F64)[0], "Sigmoid")
    assert verdict == "FAIL" and "grad_input" in checks


HANDOUT_ADAM = '''import numpy as np

class Adam:
    def __init__(self, model, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        self.l = model.layers
        self.beta1, self.beta2, self.eps, self.lr, self.t = beta1, beta2, eps, lr, 0
        self.m_W = [np.zeros(l.W.shape) for l in self.l]
        self.v_W = [np.zeros(l.W.shape) for l in self.l]
        self.m_b = [np.zeros(l.b.shape) for l in self.l]
        self.v_b = [np.zeros(l.b.shape) for l in self.l]

    def step(self):
        self.t += 1
        for i, layer in enumerate(self.l):
            self.m_W[i] = self.beta1 * self.m_W[i] + (1 - self.beta1) * layer.dLdW
            self.v_W[i] = self.beta2 * self.v_W[i] + (1 - self.beta2) * layer.dLdW ** 2
            self.m_b[i] = self.beta1 * self.m_b[i] + (1 - self.beta1) * layer.dLdb
            self.v_b[i] = self.beta2 * self.v_b[i] + (1 - self.beta2) * layer.dLdb ** 2
            m_W_hat = self.m_W[i] / (1 - self.beta1 ** self.t)
            v_W_hat = self.v_W[i] / (1 - self.beta2 ** self.t)
            m_b_hat = self.m_b[i] / (1 - self.beta1 ** self.t)
            v_b_hat = self.v_b[i] / (1 - self.beta2 ** self.t)
            layer.W = layer.W - self.lr * m_W_hat / np.sqrt(v_W_hat + self.eps)
            layer.b = layer.b - self.lr * m_b_hat / np.sqrt(v_b_hat + self.eps)
'''


def test_the_handouts_adam_with_eps_inside_the_root_is_told_so(tmp_path):
    verdict, _, text = _failures(scan([_write(tmp_path, {"adam.py": HANDOUT_ADAM})])[0], "Adam")
    assert verdict == "FAIL" and "eps inside the square root" in text


ML_FROM_SCRATCH = '''import numpy as np

class Loss(object):
    def loss(self, y_true, y_pred):
        return NotImplementedError()

    def gradient(self, y, y_pred):
        raise NotImplementedError()

class SquareLoss(Loss):
    def __init__(self): pass

    def loss(self, y, y_pred):
        return np.power((y - y_pred), 2)

    def gradient(self, y, y_pred):
        return -2 * (y - y_pred)

class CrossEntropy(Loss):
    def __init__(self): pass

    def loss(self, y, p):
        p = np.clip(p, 1e-15, 1 - 1e-15)
        return - y * np.log(p) - (1 - y) * np.log(1 - p)

    def gradient(self, y, p):
        p = np.clip(p, 1e-15, 1 - 1e-15)
        return - (y / p) + (1 - y) / (1 - p)
'''


def test_loss_classes_taking_the_target_first_and_returning_a_loss_per_element(tmp_path):
    """ML-From-Scratch: ``loss(y, y_pred)`` and ``gradient(y, y_pred)``, unreduced; the base class is
    not a component. Its own SquareLoss is 0.5 * (y - p)**2 with the gradient -(y - p): half torch's,
    consistently, which is the convention mse_scale=half; strictly read, told as such."""
    outcomes, skipped = scan([_write(tmp_path, {"loss_functions.py": ML_FROM_SCRATCH})])
    assert verdicts(outcomes) == {"CrossEntropy": ("PASS", {}), "SquareLoss": ("PASS", {})}
    assert skipped == []
    (tmp_path / "half").mkdir()
    half = ML_FROM_SCRATCH.replace("return np.power((y - y_pred), 2)", "return 0.5 * np.power((y - y_pred), 2)") \
        .replace("return -2 * (y - y_pred)", "return -(y - y_pred)")
    found = scan([_write(tmp_path / "half", {"loss_functions.py": half})])[0]
    assert verdicts(found)["SquareLoss"] == ("CONVENTION", {"mse_scale": "half"})
    strict = check_target(next(o.target for o in found if o.target.name == "SquareLoss"), F64, {})
    assert "forward" in {r.check for r in strict.failures}
    assert "half the square" in " ".join(r.message() for r in strict.failures)
    # half the loss with the full gradient is no convention: its forward fails, and its gradient against it
    wrong = half.replace("return -(y - y_pred)", "return -2 * (y - y_pred)")
    (tmp_path / "wrong").mkdir()
    verdict, checks, _ = _failures(scan([_write(tmp_path / "wrong", {"loss_functions.py": wrong})])[0], "SquareLoss")
    assert verdict == "FAIL" and {"forward", "fd:grad_input"} <= checks


OUTSIDE = {   # what the review of this style wrote as others write it
    "layers.py": '''import numpy as np

class ELUModule(object):
    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * (np.exp(x) - 1))

    def backward(self, dout):
        return dout * np.where(self.x > 0, 1, self.alpha * np.exp(self.x))


class SpatialDropout:
    def __init__(self, p=0.5, seed=0):
        self.p = p
        self.rng = np.random.default_rng(seed)

    def forward(self, x):
        N, C = x.shape[:2]
        self.mask = (self.rng.random((N, C, 1, 1)) >= self.p) / (1 - self.p)
        return x * self.mask

    def backward(self, delta):
        return delta * self.mask


class Linear:
    def __init__(self, in_feature, out_feature, weight_init_fn, bias_init_fn):
        self.W = np.asarray(weight_init_fn(in_feature, out_feature), dtype="f")
        self.b = bias_init_fn(out_feature)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, delta):
        self.dW = self.x.T @ delta
        self.db = np.sum(delta, axis=0, keepdims=True)
        return delta @ self.W.T


class Conv2D:
    def __init__(self, in_channels, out_channels, kernel_size=3, strides=1):
        self.s, self.k = strides, kernel_size
        self.W = np.random.randn(out_channels, in_channels, kernel_size, kernel_size)
        self.b = np.zeros(out_channels)

    def forward(self, x):
        self.x = x
        N, C, H, W = x.shape
        k, s = self.k, self.s
        oh, ow = (H - k) // s + 1, (W - k) // s + 1
        cols = np.stack([x[:, :, i * s:i * s + k, j * s:j * s + k].reshape(N, -1)
                         for i in range(oh) for j in range(ow)], axis=1)          # (N, oh*ow, C*k*k)
        self.cols = cols
        out = cols @ self.W.reshape(len(self.W), -1).T + self.b
        return out.transpose(0, 2, 1).reshape(N, -1, oh, ow)

    def backward(self, dout):
        N, F, oh, ow = dout.shape
        k, s = self.k, self.s
        d = dout.reshape(N, F, -1).transpose(0, 2, 1)                            # (N, oh*ow, F)
        self.dW = np.einsum("npf,npc->fc", d, self.cols).reshape(self.W.shape)
        self.db = d.sum(axis=(0, 1))
        dcols = d @ self.W.reshape(F, -1)
        dx = np.zeros(self.x.shape)
        for p, (i, j) in enumerate((i, j) for i in range(oh) for j in range(ow)):
            dx[:, :, i * s:i * s + k, j * s:j * s + k] += dcols[:, p].reshape(N, -1, k, k)
        return dx
''',
    "mlp.py": '''import numpy as np
from layers import Linear

class Tanh:
    def forward(self, x):
        self.state = np.tanh(x)
        return self.state

    def derivative(self):
        return 1 - self.state ** 2

class MLP:
    def __init__(self):
        zeros = lambda *shape: np.zeros(shape)
        self.layers = [Linear(3, 4, zeros, zeros), Linear(4, 2, zeros, zeros)]
        self.f = Tanh()

    def forward(self, x):
        return self.layers[1].forward(self.f.forward(self.layers[0].forward(x)))

    def backward(self, delta):
        delta = self.layers[1].backward(delta)
        self.layers[0].backward(delta * self.f.derivative())
        return NotImplemented
''',
}


def test_code_written_elsewhere_in_these_forms(tmp_path):
    """An ELU by torch's F.elu with the layer's alpha; a dropout drawing from its own generator (drawn
    again from the same state before each forward, and checked on images, not broadcast up); float32
    weights made by init functions the scan supplies, checked as float64 with finite differences; a
    bias gradient kept (1, d) for a bias (d,); a strided convolution also built with strides=2; the
    older handout's derivative() and an MLP whose backward returns NotImplemented."""
    outcomes, skipped = scan([_write(tmp_path, OUTSIDE)], dtypes=F64)
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in (
        "Conv2D", "Conv2D(strides=2)", "ELUModule", "Linear", "MLP", "SpatialDropout", "Tanh")}, \
        [(o.target.name, o.verdict, [r.message() for r in o.report.failures][:2]) for o in outcomes]
    assert "forward" in _checks(outcomes, "ELUModule")
    assert {"fd:W", "fd:b"} <= _checks(outcomes, "Linear")
    assert {"fd:layers[0].W", "fd:layers[1].W"} <= _checks(outcomes, "MLP")
    (tmp_path / "bad").mkdir()
    bad = {"layers.py": OUTSIDE["layers.py"].replace("dx[:, :, i * s:i * s + k, j * s:j * s + k]",
                                                     "dx[:, :, i:i + k, j:j + k]"), "mlp.py": OUTSIDE["mlp.py"]}
    verdict, checks, _ = _failures(scan([_write(tmp_path / "bad", bad)], only="Conv2D", dtypes=F64)[0],
                                   "Conv2D(strides=2)")
    assert verdict == "FAIL" and "grad_input" in checks
    (tmp_path / "elu").mkdir()
    elu = {"layers.py": OUTSIDE["layers.py"].replace("self.alpha * (np.exp(x) - 1)", "self.alpha * np.exp(x)")
           .replace("self.alpha * np.exp(self.x))", "self.alpha * np.exp(self.x))  # consistent"),
           "mlp.py": OUTSIDE["mlp.py"]}
    verdict, checks, _ = _failures(scan([_write(tmp_path / "elu", elu)], only="ELU", dtypes=F64)[0], "ELUModule")
    assert verdict == "FAIL" and "forward" in checks  # its backward matches its own forward: only torch sees it


def test_recurrent_cells_and_ctc_are_listed_with_why(tmp_path):
    files = {"rnn.py": "class RNNCell:\n    def __init__(self, input_size, hidden_size):\n        pass\n"
                       "    def forward(self, x, h_prev_t):\n        return h_prev_t\n"
                       "    def backward(self, delta, h_t, h_prev_l, h_prev_t):\n        return delta, delta\n\n"
                       "class CTCLoss:\n    def forward(self, logits, target, input_lengths, target_lengths):\n"
                       "        return 0.0\n    def backward(self):\n        return None\n"}
    for style in ("auto", "mytorch"):
        _, skipped = scan([_write(tmp_path, files)], style=style)
        reasons = dict(skipped)
        assert "recurrent cell" in reasons["RNNCell"] and "CTC loss" in reasons["CTCLoss"], (style, reasons)
