"""``parity scan`` on the object forms of the blogs' and Keras-like from-scratch frameworks: a
``Dropout(rate)`` (its scale against torch's inverted dropout with the mask it drew, the share it keeps,
its eval forward), a ``BatchNormalization(momentum=0.99, epsilon=1e-3)`` that makes its gamma at the
first forward (checked as an object, not as the book's layer it is named after), an ``Adam``/``SGD``
whose ``update(layer)`` steps ``layer.weights`` by ``layer.dweights`` (20 steps against torch), and a
``Sequential()`` built empty (listed under "Skipped": nothing in it to check). Seeded bugs fail at their
check, with a line saying why where one can."""
import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts, write_files

SOURCE = '''import numpy as np


class Dropout:
    def __init__(self, rate):
        self.rate = rate
        self.training = True

    def forward(self, inputs):
        if not self.training:
            return inputs
        self.mask = (np.random.rand(*inputs.shape) > self.rate) / (1 - self.rate)
        return inputs * self.mask

    def backward(self, dvalues):
        return dvalues * self.mask


class BatchNormalization:
    def __init__(self, momentum=0.99, epsilon=1e-3):
        self.momentum, self.epsilon, self.built = momentum, epsilon, False

    def forward(self, x, training=True):
        if not self.built:
            d = x.shape[1]
            self.gamma, self.beta = np.ones(d), np.zeros(d)
            self.moving_mean, self.moving_var = np.zeros(d), np.ones(d)
            self.built = True
        if training:
            mu, var = x.mean(axis=0), x.var(axis=0)
            n = x.shape[0]
            self.moving_mean = self.momentum * self.moving_mean + (1 - self.momentum) * mu
            self.moving_var = self.momentum * self.moving_var + (1 - self.momentum) * var * n / (n - 1)
        else:
            mu, var = self.moving_mean, self.moving_var
        self.inv_std = 1.0 / np.sqrt(var + self.epsilon)
        self.x_hat = (x - mu) * self.inv_std
        return self.gamma * self.x_hat + self.beta

    def backward(self, grad):
        n = grad.shape[0]
        self.dgamma = (grad * self.x_hat).sum(axis=0)
        self.dbeta = grad.sum(axis=0)
        dx_hat = grad * self.gamma
        return self.inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - self.x_hat * (dx_hat * self.x_hat).sum(axis=0))


class SGD:
    def __init__(self, learning_rate=0.01, momentum=0.0):
        self.learning_rate, self.momentum = learning_rate, momentum

    def update(self, layer):
        if not hasattr(layer, "v_w"):
            layer.v_w, layer.v_b = np.zeros_like(layer.weights), np.zeros_like(layer.biases)
        layer.v_w = self.momentum * layer.v_w + layer.dweights
        layer.v_b = self.momentum * layer.v_b + layer.dbiases
        layer.weights -= self.learning_rate * layer.v_w
        layer.biases -= self.learning_rate * layer.v_b


class Adam:
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate, self.beta1, self.beta2, self.eps = learning_rate, beta1, beta2, eps

    def update(self, layer):
        if not hasattr(layer, "t"):
            layer.m_w, layer.v_w = np.zeros_like(layer.weights), np.zeros_like(layer.weights)
            layer.m_b, layer.v_b = np.zeros_like(layer.biases), np.zeros_like(layer.biases)
            layer.t = 0
        layer.t += 1
        layer.m_w = self.beta1 * layer.m_w + (1 - self.beta1) * layer.dweights
        layer.v_w = self.beta2 * layer.v_w + (1 - self.beta2) * layer.dweights ** 2
        layer.m_b = self.beta1 * layer.m_b + (1 - self.beta1) * layer.dbiases
        layer.v_b = self.beta2 * layer.v_b + (1 - self.beta2) * layer.dbiases ** 2
        m_hat_w, v_hat_w = layer.m_w / (1 - self.beta1 ** layer.t), layer.v_w / (1 - self.beta2 ** layer.t)
        m_hat_b, v_hat_b = layer.m_b / (1 - self.beta1 ** layer.t), layer.v_b / (1 - self.beta2 ** layer.t)
        layer.weights -= self.learning_rate * m_hat_w / (np.sqrt(v_hat_w) + self.eps)
        layer.biases -= self.learning_rate * m_hat_b / (np.sqrt(v_hat_b) + self.eps)


class Sequential:
    def __init__(self, layers=None):
        self.layers = list(layers) if layers else []

    def add(self, layer):
        self.layers.append(layer)

    def forward(self, x, training=True):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad
'''


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return scan([write_files(tmp_path_factory.mktemp("blog"), {"nn.py": SOURCE})], dtypes=F64)


def test_each_form_is_checked_and_passes(outcomes):
    found, skipped = outcomes
    assert verdicts(found) == {n: ("PASS", {}) for n in ("Dropout", "BatchNormalization", "SGD", "Adam")}
    checks = {o.target.name: {r.check for r in o.report.results} for o in found}
    assert {"forward", "keep_share", "eval_forward", "fd:grad_input"} <= checks["Dropout"]
    assert {"forward", "grad_param:gamma", "running_mean:moving_mean", "running_var:moving_var",
            "eval_forward"} <= checks["BatchNormalization"]
    assert {r.component for o in found if o.target.name == "SGD" for r in o.report.results} == \
        {"SGD", "SGD(momentum=0.9)"}
    assert dict(skipped)["Sequential"].startswith("a container built empty (layers = []")


BUGS = {
    "dropout not scaled": ("self.mask = (np.random.rand(*inputs.shape) > self.rate) / (1 - self.rate)",
                           "self.mask = np.random.rand(*inputs.shape) > self.rate", "Dropout", "forward",
                           "not divided by 1 - p"),
    "dropout scaled by the rate": ("self.mask = (np.random.rand(*inputs.shape) > self.rate) / (1 - self.rate)",
                                   "self.mask = (np.random.rand(*inputs.shape) > self.rate) / self.rate", "Dropout",
                                   "forward", "divided by p, the drop probability"),
    "dropout keeps the rate": ("self.mask = (np.random.rand(*inputs.shape) > self.rate) / (1 - self.rate)",
                               "self.mask = (np.random.rand(*inputs.shape) < self.rate) / (1 - self.rate)",
                               "Dropout", "keep_share", "the drop probability"),
    "dropout scales in eval too": ("        if not self.training:\n            return inputs\n",
                                   "        if not self.training:\n            return inputs * (1 - self.rate)\n",
                                   "Dropout", "eval_forward", ""),
    "batchnorm running variance 0.1% off": (
        "(1 - self.momentum) * var * n / (n - 1)", "(1 - self.momentum) * var * n / (n - 1) * 1.001",
        "BatchNormalization", "running_var:moving_var", ""),
    "batchnorm eps outside the square root": ("self.inv_std = 1.0 / np.sqrt(var + self.epsilon)",
                                              "self.inv_std = 1.0 / (np.sqrt(var) + self.epsilon)",
                                              "BatchNormalization", "forward", "eps added outside"),
    "adam without the bias correction's t": ("layer.t += 1\n", "layer.t = 1\n", "Adam", "param:*", ""),
    "sgd momentum's sign": ("layer.v_w = self.momentum * layer.v_w + layer.dweights",
                            "layer.v_w = self.momentum * layer.v_w - layer.dweights", "SGD", "param:*", ""),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_fails_at_its_check(tmp_path, bug):
    old, new, component, check, why = BUGS[bug]
    assert SOURCE.count(old) == 1, old
    found = scan([write_files(tmp_path, {"nn.py": SOURCE.replace(old, new)})], only=component, dtypes=F64)[0]
    verdict, checks, text = failed_checks(found, component)
    assert verdict == "FAIL" and why in text, (verdict, checks, text)
    if check.endswith("*"):
        assert any(c.startswith(check[:-1]) for c in checks), checks
    else:
        assert check in checks, checks


CLASSIC = '''import numpy as np


class Dropout:
    def __init__(self, p=0.5):
        self.p = p

    def forward(self, x, training=True):
        if training:
            self.mask = np.random.rand(*x.shape) > self.p
            return x * self.mask
        return x * (1 - self.p)

    def backward(self, grad):
        return grad * self.mask
'''


def test_classic_dropout_scaling_in_eval_is_the_convention(tmp_path):
    folder = write_files(tmp_path, {"d.py": CLASSIC})
    assert verdicts(scan([folder], dtypes=F64)[0]) == {"Dropout": ("CONVENTION", {"dropout": "classic"})}
    assert verdicts(scan([folder], dtypes=F64, conventions={"dropout": "classic"})[0]) == {"Dropout": ("PASS", {})}


BOOK_ADAM = '''import numpy as np


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.iter, self.m, self.v = lr, beta1, beta2, 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)
'''


def test_the_lr_backward_style_checks_book_named_classes_as_objects(tmp_path):
    """Under ``--style lr-backward`` a class named like the book's (``BatchNormalization``, ``Dropout``) is
    checked as an object, and an optimizer with the book's ``update(params, grads)`` as the book's: that
    style runs no book adapter, so they were left out without a word."""
    found, _ = scan([write_files(tmp_path, {"nn.py": SOURCE})], style="lr-backward", dtypes=F64)
    assert {"Dropout", "BatchNormalization", "SGD", "Adam"} <= set(verdicts(found))
    (tmp_path / "book").mkdir()
    book = scan([write_files(tmp_path / "book", {"opt.py": BOOK_ADAM})], style="lr-backward", dtypes=F64)[0]
    assert verdicts(book)["Adam"][0] == "CONVENTION"          # the book's eps before the bias correction


def test_a_dropout_whose_p_keeps_is_the_keep_convention(tmp_path):
    source = CLASSIC.replace("class Dropout:", "class DropoutLayer:").replace(
        "self.mask = np.random.rand(*x.shape) > self.p\n            return x * self.mask",
        "self.mask = (np.random.rand(*x.shape) < self.p) / self.p\n            return x * self.mask").replace(
        "return x * (1 - self.p)", "return x")
    outcomes = scan([write_files(tmp_path, {"d.py": source})], dtypes=F64)[0]
    assert verdicts(outcomes) == {"DropoutLayer": ("CONVENTION", {"dropout_p": "keep"})}


WITH_ACTIVATION = '''import numpy as np


class Dense:
    def __init__(self, n_in, n_out, activation=None):
        self.W = np.random.randn(n_in, n_out) * 0.1
        self.b = np.zeros(n_out)
        self.activation = activation

    def forward(self, x):
        self.x, self.z = x, x @ self.W + self.b
        if self.activation == "relu":
            return np.maximum(self.z, 0)
        if self.activation == "sigmoid":
            return 1 / (1 + np.exp(-self.z))
        if self.activation == "tanh":
            return np.tanh(self.z)
        return self.z

    def backward(self, grad):
        if self.activation == "relu":
            grad = grad * (self.z > 0)
        elif self.activation == "sigmoid":
            s = 1 / (1 + np.exp(-self.z))
            grad = grad * s * (1 - s)
        elif self.activation == "tanh":
            grad = grad * (1 - np.tanh(self.z) ** 2)
        self.dW, self.db = self.x.T @ grad, grad.sum(axis=0)
        return grad @ self.W.T
'''


def test_a_layer_taking_an_activation_is_also_built_with_each(tmp_path):
    """``Dense(n_in, n_out, activation=None)``: built as it comes and with "relu", "sigmoid" and "tanh",
    whose branches were never run (numpy-ml's ``FullyConnected(act_fn=None)``); a wrong derivative in one
    branch fails there."""
    found = scan([write_files(tmp_path, {"d.py": WITH_ACTIVATION})], dtypes=F64)[0]
    assert verdicts(found) == {n: ("PASS", {}) for n in ("Dense", "Dense(activation='relu')",
                                                         "Dense(activation='sigmoid')", "Dense(activation='tanh')")}
    bad = scan([write_files(tmp_path, {"d.py": WITH_ACTIVATION.replace("grad * s * (1 - s)", "grad * s")})],
               dtypes=F64)[0]
    assert {k: v[0] for k, v in verdicts(bad).items()} == {"Dense": "PASS", "Dense(activation='relu')": "PASS",
                                                           "Dense(activation='sigmoid')": "FAIL",
                                                           "Dense(activation='tanh')": "PASS"}


OTHER_FORMS = '''import numpy as np


class Layer:
    def forward_pass(self, X, training=True):
        raise NotImplementedError()

    def backward_pass(self, accum_grad):
        raise NotImplementedError()


class Flatten(Layer):
    def forward_pass(self, X, training=True):
        self.prev_shape = X.shape
        return X.reshape((X.shape[0], -1))

    def backward_pass(self, accum_grad):
        return accum_grad.reshape(self.prev_shape)


class SoftPlus:
    def __call__(self, x):
        return np.log(1 + np.exp(x))

    def gradient(self, x):
        return 1 / (1 + np.exp(-x))


class StochasticGradientDescent:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate

    def update(self, w, grad_wrt_w):
        return w - self.learning_rate * grad_wrt_w


class NesterovAcceleratedGradient:
    def __init__(self, learning_rate=0.001, momentum=0.4):
        self.learning_rate, self.momentum, self.w_updt = learning_rate, momentum, np.array([])

    def update(self, w, grad_func):
        return w - self.learning_rate * grad_func(w)


class Mystery:
    def forward_pass(self, X, mask, training=True):
        return X * mask

    def backward_pass(self, accum_grad):
        return accum_grad
'''


def test_classes_of_forms_no_style_checks_are_listed_not_dropped(tmp_path):
    """ML-From-Scratch's ``forward_pass``/``backward_pass`` layers and ``update(w, grad_wrt_w)`` optimizers
    are checked (test_scan_ml_from_scratch.py); forms of theirs no style drives (a forward taking more than
    the input, ``update(w, grad_func)``) are listed, never dropped without a word; a base class whose
    methods are not written is not listed."""
    found, skipped = scan([write_files(tmp_path, {"m.py": OTHER_FORMS, "d.py": WITH_ACTIVATION})], dtypes=F64)
    why = dict(skipped)
    got = verdicts(found)
    assert got["Flatten"] == got["SoftPlus"] == got["StochasticGradientDescent"] == ("PASS", {}), got
    assert why["Mystery"].startswith("has forward_pass() and backward_pass(): not a form parity scan checks")
    assert why["NesterovAcceleratedGradient"].startswith("an optimizer whose update(w, grad_func) parity scan "
                                                         "does not drive")
    assert "Layer" not in why and "Layer" not in got


CALL_GRADIENT = '''import numpy as np


class Sigmoid():
    def __call__(self, x):
        return 1 / (1 + np.exp(-x))

    def gradient(self, x):
        return self.__call__(x) * (1 - self.__call__(x))


class LeakyReLU():
    def __init__(self, alpha=0.2):
        self.alpha = alpha

    def __call__(self, x):
        return np.where(x >= 0, x, self.alpha * x)

    def gradient(self, x):
        return np.where(x >= 0, 1, self.alpha)


class Softmax():
    def __call__(self, x):
        e_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e_x / np.sum(e_x, axis=-1, keepdims=True)

    def gradient(self, x):
        p = self.__call__(x)
        return p * (1 - p)
'''


def test_activations_with_call_and_gradient_are_checked(tmp_path):
    """ML-From-Scratch's activations, ``__call__(x)`` and ``gradient(x)`` (dA/dZ at x), against torch with
    their own alpha; its Softmax's elementwise ``p * (1 - p)`` is the Jacobian's diagonal alone, and is
    told so (they were listed as having no forward())."""
    found = scan([write_files(tmp_path, {"activation_functions.py": CALL_GRADIENT})], dtypes=F64)[0]
    assert {k: v[0] for k, v in verdicts(found).items()} == {"Sigmoid": "PASS", "LeakyReLU": "PASS",
                                                             "Softmax": "FAIL"}
    verdict, checks, text = failed_checks(found, "Softmax")
    assert "grad_input" in checks and "the Jacobian's diagonal alone" in text
    bad = CALL_GRADIENT.replace("return np.where(x >= 0, 1, self.alpha)", "return np.where(x >= 0, 1, 0)")
    (tmp_path / "bad").mkdir()
    assert verdicts(scan([write_files(tmp_path / "bad", {"a.py": bad})], dtypes=F64)[0])["LeakyReLU"][0] == "FAIL"
