"""``parity scan`` on ML-From-Scratch's deep-learning code (``examples/ml_from_scratch``): layers with
``forward_pass(X, training)``/``backward_pass(accum_grad)`` stepping their weights with the optimizer
``initialize(optimizer)`` gave them (built with ``set_input_shape`` as its network builds them, given plain
SGD, the gradients read from the update), ``Activation(name)`` built with each name, optimizers whose
``update(w, grad_wrt_w)`` returns the next weight (one copy per weight), and numpy-ml's
``update(param, param_grad, param_name)``. Its own choices are declared conventions; the repository's two
real bugs and seeded ones fail at their component and check."""
import os

import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, ROOT, failed_checks, seeded, verdicts

EXAMPLE = os.path.join(ROOT, "examples", "ml_from_scratch")
DL = "mlfromscratch/deep_learning/"
OWN = {"running_var": "biased", "dropout": "classic", "mse_scale": "half", "sqrt_eps": "inside",
       "momentum": "average"}
CONVENTION = {"BatchNormalization": {"running_var": "biased"}, "Dropout": {"dropout": "classic"},
              "SquareLoss": {"mse_scale": "half"}, "Adagrad": {"sqrt_eps": "inside"},
              "RMSprop": {"sqrt_eps": "inside"}, "StochasticGradientDescent": {"momentum": "average"}}


@pytest.fixture(scope="module")
def outcomes():
    return scan([EXAMPLE], dtypes=F64)


def test_the_example_passes_its_own_conventions_named(outcomes):
    found, skipped = outcomes
    got = verdicts(found)
    assert {n: c for n, (v, c) in got.items() if v == "CONVENTION"} == CONVENTION, got
    assert all(v in ("PASS", "CONVENTION") for v, _ in got.values()), got
    assert {"Dense", "Conv2D", "Conv2D(padding='valid')", "Conv2D(stride=2)", "MaxPooling2D(stride=2)",
            "AveragePooling2D", "Flatten", "Activation('relu')", "Activation('tanh')", "Adam", "Adadelta"} <= set(got)
    assert "PoolingLayer" not in got and "PoolingLayer" not in dict(skipped)    # completed by its subclasses
    assert [n for n, _ in skipped] == ["NesterovAcceleratedGradient"]        # update(w, grad_func)


def test_what_is_compared(outcomes):
    checks = {o.target.name: {r.check for r in o.report.results} for o in outcomes[0]}
    assert {"forward", "grad_input", "grad_param:W", "grad_param:w0", "fd:W"} <= checks["Dense"]
    assert {"grad_param:W", "grad_param:w0", "fd:grad_input"} <= checks["Conv2D(stride=2)"]
    assert {"grad_param:gamma", "grad_param:beta", "running_mean:running_mean", "running_var:running_var",
            "eval_forward"} <= checks["BatchNormalization"]
    assert {"keep_share", "eval_forward"} <= checks["Dropout"]
    assert {"param:w1", "param:b1"} <= checks["Adam"]


def test_declared_it_passes_strict():
    found, _ = scan([EXAMPLE], dtypes=F64, conventions=OWN)
    assert {v for v, _ in verdicts(found).values()} == {"PASS"}, verdicts(found)


REPOSITORY_SOFTMAX = '''

class Softmax():
    def __call__(self, x):
        e_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e_x / np.sum(e_x, axis=-1, keepdims=True)

    def gradient(self, x):
        p = self.__call__(x)
        return p * (1 - p)
'''


def test_the_repositorys_softmax_fails_naming_the_diagonal(tmp_path):
    folder = seeded(tmp_path, EXAMPLE, DL + "activation_functions.py", "class TanH():",
                    REPOSITORY_SOFTMAX.strip() + "\n\n\nclass TanH():")
    verdict, checks, text = failed_checks(scan([folder], only="Softmax", dtypes=F64)[0], "Softmax")
    assert verdict == "FAIL" and "grad_input" in checks and "the Jacobian's diagonal alone" in text, text


def test_the_repositorys_adam_fails_naming_the_missing_step_count(tmp_path):
    folder = seeded(tmp_path, EXAMPLE, DL + "optimizers.py", "        m_hat = self.m / (1 - self.b1 ** self.t)\n"
                    "        v_hat = self.v / (1 - self.b2 ** self.t)\n",
                    "        m_hat = self.m / (1 - self.b1)\n        v_hat = self.v / (1 - self.b2)\n")
    verdict, checks, text = failed_checks(scan([folder], only="Adam", dtypes=F64)[0], "Adam")
    assert verdict == "FAIL" and "param:w1" in checks and "the step count t is missing" in text, text


BUGS = {
    "Dense's bias gradient averaged": ("layers.py", "grad_w0 = np.sum(accum_grad, axis=0, keepdims=True)",
                                       "grad_w0 = np.mean(accum_grad, axis=0, keepdims=True)", "Dense", "grad_param:w0"),
    "Dense's input gradient through the updated W": ("layers.py", "accum_grad = accum_grad.dot(W.T)",
                                                     "accum_grad = accum_grad.dot(self.W.T)", "Dense", "grad_input"),
    "Dense's weight gradient 0.1% off": ("layers.py", "grad_w = self.layer_input.T.dot(accum_grad)",
                                         "grad_w = self.layer_input.T.dot(accum_grad) * 1.001", "Dense", "grad_param:W"),
    "Conv2D's bias gradient over the wrong axis": (
        "layers.py", "grad_w0 = np.sum(accum_grad, axis=1, keepdims=True)",
        "grad_w0 = np.sum(accum_grad, axis=0, keepdims=True).sum(axis=1, keepdims=True) * np.ones((self.n_filters, 1))",
        "Conv2D", "grad_param:w0"),
    "Conv2D's input gradient from the wrong weights": ("layers.py", "accum_grad = self.W_col.T.dot(accum_grad)",
                                                       "accum_grad = 0.5 * self.W_col.T.dot(accum_grad)",
                                                       "Conv2D", "grad_input"),
    "BatchNormalization's input gradient missing a term": (
        "layers.py", "            - self.X_centered * self.stddev_inv**2 * np.sum(accum_grad * self.X_centered, axis=0)\n",
        "", "BatchNormalization", "grad_input"),
    "BatchNormalization's momentum the wrong way round": (
        "layers.py", "self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean",
        "self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean",
        "BatchNormalization", "running_mean:running_mean"),
    "BatchNormalization's eval forward from the batch": (
        "layers.py", "            mean = self.running_mean\n            var = self.running_var\n",
        "            mean = np.mean(X, axis=0)\n            var = self.running_var\n",
        "BatchNormalization", "eval_forward"),
    "Dropout's backward without the mask": ("layers.py", "return accum_grad * self._mask", "return accum_grad",
                                            "Dropout", "fd:grad_input"),
    "MaxPooling2D's gradient to every element": (
        "layers.py", "accum_grad_col[arg_max, range(accum_grad.size)] = accum_grad",
        "accum_grad_col[:, range(accum_grad.size)] = accum_grad", "MaxPooling2D", "grad_input"),
    "AveragePooling2D's gradient not averaged": (
        "layers.py", "accum_grad_col[:, range(accum_grad.size)] = 1. / accum_grad_col.shape[0] * accum_grad",
        "accum_grad_col[:, range(accum_grad.size)] = accum_grad", "AveragePooling2D", "grad_input"),
    "Activation's gradient of the output": (
        "layers.py", "return accum_grad * self.activation_func.gradient(self.layer_input)",
        "return accum_grad * self.activation_func.gradient(self.activation_func(self.layer_input))",
        "Activation('tanh')", "grad_input"),
    "Sigmoid's gradient of the output": ("activation_functions.py",
                                         "return self.__call__(x) * (1 - self.__call__(x))", "return x * (1 - x)",
                                         "Sigmoid", "grad_input"),
    "LeakyReLU's gradient zero below 0": ("activation_functions.py", "return np.where(x >= 0, 1, self.alpha)",
                                          "return np.where(x >= 0, 1, 0)", "LeakyReLU", "grad_input"),
    "SquareLoss's gradient sign": ("loss_functions.py", "return -(y - y_pred)", "return (y - y_pred)",
                                   "SquareLoss", "grad_input"),
    "CrossEntropy's gradient sign": ("loss_functions.py", "return - (y / p) + (1 - y) / (1 - p)",
                                     "return - (y / p) - (1 - y) / (1 - p)", "CrossEntropy", "grad_input"),
    "Adam's v of the gradient, not its square": (
        "optimizers.py", "self.v = self.b2 * self.v + (1 - self.b2) * np.power(grad_wrt_w, 2)",
        "self.v = self.b2 * self.v + (1 - self.b2) * np.abs(grad_wrt_w)", "Adam", "param:w1"),
    "SGD stepping uphill": ("optimizers.py", "return w - self.learning_rate * self.w_updt",
                            "return w + self.learning_rate * self.w_updt", "StochasticGradientDescent", "param:w1"),
    "Adagrad without the square": ("optimizers.py", "self.G += np.power(grad_wrt_w, 2)", "self.G += np.abs(grad_wrt_w)",
                                   "Adagrad", "param:w1"),
    "RMSprop's decay the wrong way round": (
        "optimizers.py", "self.Eg = self.rho * self.Eg + (1 - self.rho) * np.power(grad_wrt_w, 2)",
        "self.Eg = (1 - self.rho) * self.Eg + self.rho * np.power(grad_wrt_w, 2)", "RMSprop", "param:w1"),
    "Adadelta's update average of the gradient": (
        "optimizers.py", "self.E_w_updt = self.rho * self.E_w_updt + (1 - self.rho) * np.power(self.w_updt, 2)",
        "self.E_w_updt = self.rho * self.E_w_updt + (1 - self.rho) * np.power(grad_wrt_w, 2)", "Adadelta",
        "param:w1"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_fails_at_its_component_and_check(tmp_path, bug):
    """Under its own conventions, declared: what is left is the bug."""
    path, old, new, component, check = BUGS[bug]
    folder = seeded(tmp_path, EXAMPLE, DL + path, old, new)
    only = component.split("(")[0]
    verdict, checks, text = failed_checks(scan([folder], only=only, dtypes=F64, conventions=OWN)[0], component)
    assert verdict == "FAIL" and check in checks, (verdict, checks, text)


def test_the_input_gradient_of_the_updated_weights_is_told(tmp_path):
    path, old, new, component, _ = BUGS["Dense's input gradient through the updated W"]
    folder = seeded(tmp_path, EXAMPLE, DL + path, old, new)
    _, _, text = failed_checks(scan([folder], only="Dense", dtypes=F64)[0], "Dense")
    assert "the backward updates the weights before it uses them" in text, text


NUMPY_ML = '''import numpy as np
from copy import deepcopy


class OptimizerBase:
    def __init__(self, lr, scheduler=None):
        self.cache = {}
        self.cur_step = 0
        self.hyperparameters = {}

    def update(self, param, param_grad, param_name, cur_loss=None):
        raise NotImplementedError


class SGD(OptimizerBase):
    def __init__(self, lr=0.01, momentum=0.0, clip_norm=None, lr_scheduler=None, **kwargs):
        super().__init__(lr, lr_scheduler)
        self.hyperparameters = {"id": "SGD", "lr": lr, "momentum": momentum, "clip_norm": clip_norm}

    def update(self, param, param_grad, param_name, cur_loss=None):
        C, H = self.cache, self.hyperparameters
        if param_name not in C:
            C[param_name] = np.zeros_like(param_grad)
        update = H["momentum"] * C[param_name] + H["lr"] * param_grad
        self.cache[param_name] = update
        return param - update


class Adam(OptimizerBase):
    def __init__(self, lr=0.001, decay1=0.9, decay2=0.999, eps=1e-7, clip_norm=None, lr_scheduler=None, **kwargs):
        super().__init__(lr, lr_scheduler)
        self.hyperparameters = {"id": "Adam", "lr": lr, "eps": eps, "decay1": decay1, "decay2": decay2}

    def update(self, param, param_grad, param_name, cur_loss=None):
        C, H = self.cache, self.hyperparameters
        d1, d2, eps, lr = H["decay1"], H["decay2"], H["eps"], H["lr"]
        if param_name not in C:
            C[param_name] = {"t": 0, "mean": np.zeros_like(param_grad), "var": np.zeros_like(param_grad)}
        t = C[param_name]["t"] + 1
        C[param_name]["t"] = t
        C[param_name]["var"] = d2 * C[param_name]["var"] + (1 - d2) * param_grad ** 2
        C[param_name]["mean"] = d1 * C[param_name]["mean"] + (1 - d1) * param_grad
        v_hat = C[param_name]["var"] / (1 - d2 ** t)
        m_hat = C[param_name]["mean"] / (1 - d1 ** t)
        return param - lr * m_hat / (np.sqrt(v_hat) + eps)
'''


@pytest.mark.parametrize("old, new, component", [
    (None, None, None),
    ("update = H[\"momentum\"] * C[param_name] + H[\"lr\"] * param_grad",
     "update = H[\"momentum\"] * C[param_name] - H[\"lr\"] * param_grad", "SGD(momentum=0.9)"),
    ("m_hat = C[param_name][\"mean\"] / (1 - d1 ** t)", "m_hat = C[param_name][\"mean\"] / (1 - d1)", "Adam")])
def test_numpy_mls_named_updates(tmp_path, old, new, component):
    """numpy-ml's optimizers: one object, ``update(param, param_grad, param_name)``, the hyperparameters
    in ``self.hyperparameters``; the abstract base is neither checked nor listed."""
    (tmp_path / "optimizers.py").write_text(NUMPY_ML if old is None else NUMPY_ML.replace(old, new))
    found, skipped = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    assert set(got) == {"SGD", "Adam"} and not skipped, (got, skipped)
    if old is None:
        assert got == {"SGD": ("PASS", {}), "Adam": ("PASS", {})}, got
        assert {r.sample for r in found[0].report.results} == {"20 steps"}
    else:
        verdict, checks, _ = failed_checks(found, component.split("(")[0])
        failing = {r.component for o in found for r in o.report.failures}
        assert verdict == "FAIL" and "param:w1" in checks and component in failing, (verdict, checks, failing)


NUMPY_ML_LOSSES = '''import numpy as np
from abc import ABC, abstractmethod


class ObjectiveBase(ABC):
    @abstractmethod
    def loss(self, y_true, y_pred):
        pass

    @abstractmethod
    def grad(self, y_true, y_pred, **kwargs):
        pass


class SquaredError(ObjectiveBase):
    def __call__(self, y, y_pred):
        return self.loss(y, y_pred)

    @staticmethod
    def loss(y, y_pred):
        return 0.5 * np.linalg.norm(y_pred - y) ** 2

    @staticmethod
    def grad(y, y_pred, z, act_fn):
        return (y_pred - y) * act_fn.grad(z)


class CrossEntropy(ObjectiveBase):
    def __call__(self, y, y_pred):
        return self.loss(y, y_pred)

    @staticmethod
    def loss(y, y_pred):
        eps = np.finfo(float).eps
        return -np.sum(y * np.log(y_pred + eps))

    @staticmethod
    def grad(y, y_pred):
        return y_pred - y
'''
LOSSES_OWN = {"SquaredError": {"loss_reduction": "sum", "mse_scale": "half"},
              "CrossEntropy": {"loss_reduction": "sum", "xent_grad": "logits"}}


@pytest.mark.parametrize("old, new, component, check", [
    (None, None, None, None),
    ("return y_pred - y\n", "return y - y_pred\n", "CrossEntropy", "grad_input"),
    ("return 0.5 * np.linalg.norm(y_pred - y) ** 2", "return np.linalg.norm(y_pred - y) ** 2", "SquaredError",
     "forward"),
    ("return (y_pred - y) * act_fn.grad(z)", "return (y_pred - y) * act_fn.grad(y_pred)", "SquaredError",
     "grad_input:through_sigmoid"),
    ("return -np.sum(y * np.log(y_pred + eps))", "return -np.mean(y * np.log(y_pred + eps))", "CrossEntropy",
     "forward")])
def test_numpy_mls_losses(tmp_path, old, new, component, check):
    """numpy-ml's losses: static ``loss(y, y_pred)``, summed over the batch (torch's reduction="sum");
    the squared error's ``grad(y, y_pred, z, act_fn)`` in the output layer's pre-activation (given the
    identity), the cross-entropy's ``grad(y, y_pred)`` in the logits behind the probabilities: its own
    conventions, named; declared, what is left is the bug."""
    (tmp_path / "losses.py").write_text(NUMPY_ML_LOSSES if old is None else NUMPY_ML_LOSSES.replace(old, new))
    if old is None:
        found, skipped = scan([str(tmp_path)], dtypes=F64)
        assert verdicts(found) == {k: ("CONVENTION", v) for k, v in LOSSES_OWN.items()} and not skipped, \
            (verdicts(found), skipped)
        declared = {k: v for c in LOSSES_OWN.values() for k, v in c.items()}
        assert {v for v, _ in verdicts(scan([str(tmp_path)], dtypes=F64, conventions=declared)[0]).values()} == {"PASS"}
        return
    found, _ = scan([str(tmp_path)], dtypes=F64, conventions=LOSSES_OWN[component])
    verdict, checks, text = failed_checks(found, component)
    assert verdict == "FAIL" and check in checks, (verdict, checks, text)


FIRST_VERSION = '''import numpy as np


class Sigmoid():
    def __init__(self): pass

    def function(self, x):
        return 1 / (1 + np.exp(-x))

    def gradient(self, x):
        return self.function(x) * (1 - self.function(x))


class TanH():
    def __init__(self): pass

    def function(self, x):
        return 2 / (1 + np.exp(-2 * x)) - 1

    def gradient(self, x):
        return 1 - np.power(self.function(x), 2)


class GradientDescent():
    def __init__(self, learning_rate=0.01, momentum=0):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.w_updt = np.array([])

    def update(self, w, grad_wrt_w):
        if not self.w_updt.any():
            self.w_updt = np.zeros(np.shape(w))
        self.w_updt = self.momentum * self.w_updt + grad_wrt_w
        return w - self.learning_rate * self.w_updt
'''


@pytest.mark.parametrize("old, new, component", [
    (None, None, None), ("return 1 - np.power(self.function(x), 2)", "return 1 - np.power(x, 2)", "TanH"),
    ("self.w_updt = self.momentum * self.w_updt + grad_wrt_w", "self.w_updt = self.momentum * self.w_updt - grad_wrt_w",
     "GradientDescent")])
def test_the_first_versions_function_and_gradient(tmp_path, old, new, component):
    """ML-From-Scratch's 2017 release: activations with ``function(x)`` and ``gradient(x)``, and
    ``GradientDescent.update(w, grad_wrt_w)`` with torch's momentum (from a zero velocity)."""
    (tmp_path / "first.py").write_text(FIRST_VERSION if old is None else FIRST_VERSION.replace(old, new))
    found, skipped = scan([str(tmp_path)], dtypes=F64)
    got = verdicts(found)
    assert set(got) == {"Sigmoid", "TanH", "GradientDescent"} and not skipped, (got, skipped)
    assert {n for n, (v, _) in got.items() if v != "PASS"} == ({component} if component else set()), got


def test_the_json_says_under_which_name_a_components_results_are(tmp_path):
    """A component read under a convention has its results under ``name [convention]``: the components list
    says so (``results_under``), so a reader of the JSON finds them."""
    import json

    from parity_tests.cli import main
    out = tmp_path / "r.json"
    assert main(["scan", EXAMPLE, "--only", "adagrad,dense", "--dtype", "float64", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    by_name = {c["name"]: c for c in data["components"]}
    assert by_name["Adagrad"]["results_under"] == "Adagrad [sqrt_eps=inside]"
    assert by_name["Dense"]["results_under"] == "Dense"
    for c in data["components"]:
        assert any(r["component"] == c["results_under"] for r in data["results"]), c
