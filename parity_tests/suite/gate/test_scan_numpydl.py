"""``parity scan`` on code in NumpyDL's forms (written here for the tests): layers that make their weights
in ``connect_to(prev_layer=None)`` (called with the layer before, a stand-in of 4 features, where one is
needed), ``forward(input, *args, **kwargs)``/``backward(pre_grad, *args, **kwargs)`` leaving ``dW``, ``db``;
optimizers built as ``SGD(*args, **kwargs)`` over a base ``Optimizer(lr=0.001, ...)``, their
``update(params, grads)`` on lists, their own ``epsilon`` read where they keep one."""
import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts

LAYERS = '''import numpy as np


class Layer:
    def connect_to(self, prev_layer):
        raise NotImplementedError()

    def forward(self, input, *args, **kwargs):
        raise NotImplementedError()

    def backward(self, pre_grad, *args, **kwargs):
        raise NotImplementedError()


class Linear(Layer):
    def __init__(self, n_out, n_in=None):
        self.n_out, self.n_in = n_out, n_in
        self.W = self.b = self.dW = self.db = None

    def connect_to(self, prev_layer=None):
        n_in = self.n_in if prev_layer is None else prev_layer.out_shape[-1]
        self.W = np.random.uniform(-0.5, 0.5, (n_in, self.n_out))
        self.b = np.zeros((self.n_out,))

    def forward(self, input, *args, **kwargs):
        self.last_input = input
        return np.dot(input, self.W) + self.b

    def backward(self, pre_grad, *args, **kwargs):
        self.dW = np.dot(self.last_input.T, pre_grad)
        self.db = np.sum(pre_grad, axis=0)
        return np.dot(pre_grad, self.W.T)


class BatchNormal(Layer):
    def __init__(self, epsilon=1e-6):
        self.epsilon = epsilon

    def connect_to(self, prev_layer):
        n_in = prev_layer.out_shape[-1]
        self.beta = np.zeros((n_in,))
        self.gamma = np.ones((n_in,))

    def forward(self, input, *args, **kwargs):
        mean = np.mean(input, axis=0)
        xmu = input - mean
        var = np.mean(xmu ** 2, axis=0)
        ivar = 1. / np.sqrt(var + self.epsilon)
        xhat = xmu * ivar
        self.cache = (xhat, ivar)
        return self.gamma * xhat + self.beta

    def backward(self, pre_grad, *args, **kwargs):
        xhat, ivar = self.cache
        N = pre_grad.shape[0]
        self.dbeta = np.sum(pre_grad, axis=0)
        self.dgamma = np.sum(pre_grad * xhat, axis=0)
        dxhat = pre_grad * self.gamma
        return ivar / N * (N * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0))
'''

OPTIMIZERS = '''import numpy as np


class Optimizer(object):
    def __init__(self, lr=0.001, clip=-1, decay=0.):
        self.lr = lr
        self.clip = clip
        self.decay = decay
        self.iterations = 0

    def update(self, params, grads):
        self.iterations += 1


class SGD(Optimizer):
    def __init__(self, *args, **kwargs):
        super(SGD, self).__init__(*args, **kwargs)

    def update(self, params, grads):
        for p, g in zip(params, grads):
            p -= self.lr * g
        super(SGD, self).update(params, grads)


class Adam(Optimizer):
    def __init__(self, beta1=0.9, beta2=0.999, epsilon=1e-8, *args, **kwargs):
        super(Adam, self).__init__(*args, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.ms = self.vs = None

    def update(self, params, grads):
        if self.ms is None:
            self.ms = [np.zeros(p.shape) for p in params]
            self.vs = [np.zeros(p.shape) for p in params]
        self.iterations += 1
        t = self.iterations
        for i, (p, g) in enumerate(zip(params, grads)):
            self.ms[i] = self.beta1 * self.ms[i] + (1 - self.beta1) * g
            self.vs[i] = self.beta2 * self.vs[i] + (1 - self.beta2) * g ** 2
            m_hat = self.ms[i] / (1 - self.beta1 ** t)
            v_hat = self.vs[i] / (1 - self.beta2 ** t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.epsilon)


class RMSprop(Optimizer):
    def __init__(self, rho=0.9, epsilon=1e-6, *args, **kwargs):
        super(RMSprop, self).__init__(*args, **kwargs)
        self.rho, self.epsilon = rho, epsilon
        self.cache = None

    def update(self, params, grads):
        if self.cache is None:
            self.cache = [np.zeros(p.shape) for p in params]
        for i, (c, p, g) in enumerate(zip(self.cache, params, grads)):
            c = self.rho * c + (1 - self.rho) * np.power(g, 2)
            p -= (self.lr * g / np.sqrt(c + self.epsilon))
            self.cache[i] = c
'''


def write(tmp_path, name, source, edits=()):
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    (tmp_path / name).write_text(source)
    return str(tmp_path)


def test_layers_made_by_connect_to_are_checked(tmp_path):
    found, _ = scan([write(tmp_path, "layers.py", LAYERS)], dtypes=F64)
    assert verdicts(found) == {"Linear": ("PASS", {}), "BatchNormal": ("PASS", {})}, verdicts(found)
    checks = {o.target.name: {r.check for r in o.report.results} for o in found}
    assert {"forward", "grad_param:W", "grad_param:b"} <= checks["Linear"]
    assert {"forward", "grad_param:gamma", "grad_param:beta"} <= checks["BatchNormal"]


@pytest.mark.parametrize("old, new, component, check", [
    ("self.db = np.sum(pre_grad, axis=0)", "self.db = np.mean(pre_grad, axis=0)", "Linear", "grad_param:b"),
    ("var = np.mean(xmu ** 2, axis=0)", "var = np.std(xmu, axis=0)", "BatchNormal", "forward")])
def test_the_layers_bugs_fail(tmp_path, old, new, component, check):
    """NumpyDL's own: a bias gradient averaged beside a weight gradient summed; the standard deviation
    where the variance belongs."""
    verdict, checks, text = failed_checks(scan([write(tmp_path, "layers.py", LAYERS, [(old, new)])],
                                               dtypes=F64)[0], component)
    assert verdict == "FAIL" and check in checks, (verdict, checks, text)


def test_optimizers_built_through_kwargs_with_their_own_epsilon(tmp_path):
    """``SGD(lr=...)`` reaches the base through ``**kwargs``; ``RMSprop(rho, epsilon, *args, **kwargs)``
    refuses the book's ``decay_rate`` and is built with the rate alone; Adam's epsilon of 1e-8 is its own,
    not the book's 1e-7; RMSprop's eps inside the square root is a convention, named."""
    found, _ = scan([write(tmp_path, "optimizers.py", OPTIMIZERS)], dtypes=F64)
    assert verdicts(found) == {"SGD": ("PASS", {}), "Adam": ("PASS", {}),
                               "RMSprop": ("CONVENTION", {"sqrt_eps": "inside"})}, verdicts(found)
    bad = write(tmp_path, "optimizers.py", OPTIMIZERS, [("m_hat = self.ms[i] / (1 - self.beta1 ** t)",
                                                         "m_hat = self.ms[i] / (1 - self.beta1)"),
                                                        ("v_hat = self.vs[i] / (1 - self.beta2 ** t)",
                                                         "v_hat = self.vs[i] / (1 - self.beta2)")])
    verdict, checks, text = failed_checks(scan([bad], only="adam", dtypes=F64)[0], "Adam")
    assert verdict == "FAIL" and "the step count t is missing" in text, text
