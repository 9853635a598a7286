"""``parity scan`` on the object forms triage 12 found read wrongly in outside code (PyPI packages, a
reduced copy of each in ``/tmp/triage12/repro``): each correct form passes, and a bug seeded beside it
fails at its component and check, with a line saying why where one can."""
import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts, write_files

# kronyx's optimizers: update(layer) reaching weights/dweights through getattr on their names; a step
# count of each layer's own (kronyx counts once per layer, its real bug, seeded below)
GETATTR_UPDATE = '''import numpy as np


def _trainable_params(layer):
    if hasattr(layer, "weights") and layer.weights is not None:
        yield "weights", "dweights", "w"
        yield "biases", "dbiases", "b"


class SGD:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate

    def update(self, layer):
        for param_attr, grad_attr, _ in _trainable_params(layer):
            param = getattr(layer, param_attr)
            grad = getattr(layer, grad_attr)
            setattr(layer, param_attr, param - self.learning_rate * grad)


class Adam:
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.iterations = 0

    def update(self, layer):
        params = list(_trainable_params(layer))
        if not params:
            return
        layer.adam_t = getattr(layer, "adam_t", 0) + 1
        t = layer.adam_t
        for param_attr, grad_attr, state_prefix in params:
            param = getattr(layer, param_attr)
            grad = getattr(layer, grad_attr)
            m_attr, v_attr = f"m_{state_prefix}", f"v_{state_prefix}"
            if not hasattr(layer, m_attr):
                setattr(layer, m_attr, np.zeros_like(param))
                setattr(layer, v_attr, np.zeros_like(param))
            m = self.beta1 * getattr(layer, m_attr) + (1 - self.beta1) * grad
            v = self.beta2 * getattr(layer, v_attr) + (1 - self.beta2) * grad ** 2
            setattr(layer, m_attr, m)
            setattr(layer, v_attr, v)
            m_hat = m / (1 - self.beta1 ** t)
            v_hat = v / (1 - self.beta2 ** t)
            setattr(layer, param_attr, param - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon))
'''

# sinnn's optimizers, optimise(weights, grad_weights) -> the new weights, and a loss class with a gradient only
OPTIMISE = '''import numpy as np


class SGD:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate

    def optimise(self, weights, grad_weights):
        return weights - self.learning_rate * grad_weights


class Momentum:
    def __init__(self, learning_rate=0.01, eta=0.9):
        self.learning_rate = learning_rate
        self.eta = eta
        self.momentum = 0

    def optimise(self, weights, grad_weights):
        self.momentum = self.eta * self.momentum + self.learning_rate * grad_weights
        return weights - self.momentum


class CrossEntropy:
    def loss_gradient(self, z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True) - np.eye(z.shape[1])[y]) / len(z)
'''

# {form: (source, {component: verdict})}
FORMS = {
    "getattr update(layer)": (GETATTR_UPDATE, {"SGD": "PASS", "Adam": "PASS"}),
    "optimise(w, g)": (OPTIMISE, {"SGD": "PASS", "Momentum": "PASS"}),
}

# {bug: (form, old, new, component, check (a prefix ending in *), why)}
BUGS = {
    "kronyx: adam's step count once per layer": (
        "getattr update(layer)", '''        layer.adam_t = getattr(layer, "adam_t", 0) + 1
        t = layer.adam_t
''', '''        self.iterations += 1
        t = self.iterations
''', "Adam", "param:*", "advances once per layer"),
    "sgd's sign": ("getattr update(layer)", "param - self.learning_rate * grad)",
                   "param + self.learning_rate * grad)", "SGD", "param:*", ""),
    "momentum's coefficient": ("optimise(w, g)", "self.momentum = self.eta * self.momentum",
                               "self.momentum = 0.5 * self.momentum", "Momentum", "param:*", ""),
    "sgd's rate twice": ("optimise(w, g)", "return weights - self.learning_rate * grad_weights",
                         "return weights - 2 * self.learning_rate * grad_weights", "SGD", "param:*", ""),
}


def test_a_loss_class_with_a_gradient_only_is_listed(tmp_path):
    skipped = dict(scan([write_files(tmp_path, {"nn.py": OPTIMISE})], dtypes=F64)[1])
    assert skipped["CrossEntropy"].startswith("a loss class with loss_gradient() but no loss value"), skipped


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_correct_form_passes(tmp_path, form):
    source, want = FORMS[form]
    found, skipped = scan([write_files(tmp_path, {"nn.py": source})], dtypes=F64)
    got = {name: verdict for name, (verdict, _) in verdicts(found).items()}
    assert got == want, (got, skipped, [r.message() for o in found for r in o.report.failures])


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_fails_at_its_check(tmp_path, bug):
    form, old, new, component, check, why = BUGS[bug]
    source = FORMS[form][0]
    assert source.count(old) == 1, old
    found = scan([write_files(tmp_path, {"nn.py": source.replace(old, new)})], only=component, dtypes=F64)[0]
    verdict, checks, text = failed_checks(found, component)
    assert verdict == "FAIL" and why in text, (verdict, checks, text)
    if check.endswith("*"):
        assert any(c.startswith(check[:-1]) for c in checks), checks
    else:
        assert check in checks, checks
