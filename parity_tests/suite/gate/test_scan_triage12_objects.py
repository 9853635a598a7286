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

# "Neural Networks from Scratch"'s losses under other names (vanillanets, ronet): forward returns the
# losses of each sample, backward leaves self.dinputs; the per-sample MSE as (N,) and (N, 1); the
# combined softmax-and-loss class spelled otherwise (ronet's); layers leaving self.dinput (mapicx's)
NNFS_OTHER_NAMES = '''import numpy as np


class Loss:
    def calculate(self, output, y):
        return np.mean(self.forward(output, y))


class CategoricalCrossEntropy(Loss):
    def forward(self, y_pred, y_true):
        samples = len(y_pred)
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        if len(y_true.shape) == 1:
            correct_confidences = y_pred_clipped[range(samples), y_true]
        else:
            correct_confidences = np.sum(y_pred_clipped * y_true, axis=1)
        return -np.log(correct_confidences)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        labels = len(dvalues[0])
        if len(y_true.shape) == 1:
            y_true = np.eye(labels)[y_true]
        self.dinputs = -y_true / np.clip(dvalues, 1e-7, 1 - 1e-7)
        self.dinputs = self.dinputs / samples


class BinaryCrossEntropy(Loss):
    def forward(self, y_pred, y_true):
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        sample_losses = -(y_true * np.log(y_pred_clipped) + (1 - y_true) * np.log(1 - y_pred_clipped))
        return np.mean(sample_losses, axis=-1)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        outputs = len(dvalues[0])
        clipped = np.clip(dvalues, 1e-7, 1 - 1e-7)
        self.dinputs = -(y_true / clipped - (1 - y_true) / (1 - clipped)) / outputs
        self.dinputs = self.dinputs / samples


class MeanSquaredError:
    def forward(self, y_pred, y_true):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def backward(self, y_pred, y_true):
        samples, outputs = y_pred.shape
        return -2 * (y_true - y_pred) / outputs / samples


class MeanSquaredErrorLoss(Loss):
    def forward(self, y_pred, y_true):
        return np.mean((y_true - y_pred) ** 2, axis=-1, keepdims=True)

    def backward(self, y_pred, y_true):
        samples, outputs = y_pred.shape
        self.dinputs = -2 * (y_true - y_pred) / outputs / samples


class Softmax:
    def forward(self, input):
        exp_values = np.exp(input - np.max(input, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)

    def backward(self, dvalues):
        self.dinput = np.empty_like(dvalues)
        for index, (single_output, single_dvalues) in enumerate(zip(self.output, dvalues)):
            single_output = single_output.reshape(-1, 1)
            jacobian = np.diagflat(single_output) - single_output.dot(single_output.T)
            self.dinput[index] = jacobian.dot(single_dvalues)


class Relu:
    def forward(self, input):
        self.input = input
        self.output = np.maximum(0, input)

    def backward(self, dvalues):
        self.dinput = dvalues.copy()
        self.dinput[self.input <= 0] = 0


class Activation_Softmax_Loss_Cross_Entropy:
    def __init__(self):
        self.activation = Softmax()
        self.loss = CategoricalCrossEntropy()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        return self.loss.forward(self.output, y_true)

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs / samples
'''

# "Neural Networks from Scratch"'s Optimizer_SGD with its hook renamed pre_update_lr (vanillanets')
PRE_UPDATE_LR = '''import numpy as np


class Optimizer_SGD:
    def __init__(self, learning_rate=1.0, decay=0., momentum=0.):
        self.learning_rate = learning_rate
        self.current_learning_rate = learning_rate
        self.decay = decay
        self.iterations = 0
        self.momentum = momentum

    def pre_update_lr(self):
        if self.decay:
            self.current_learning_rate = self.learning_rate * (1. / (1. + self.decay * self.iterations))

    def update_params(self, layer):
        if self.momentum:
            if not hasattr(layer, 'weight_momentums'):
                layer.weight_momentums = np.zeros_like(layer.weights)
                layer.bias_momentums = np.zeros_like(layer.biases)
            weight_updates = self.momentum * layer.weight_momentums - self.current_learning_rate * layer.dweights
            layer.weight_momentums = weight_updates
            bias_updates = self.momentum * layer.bias_momentums - self.current_learning_rate * layer.dbiases
            layer.bias_momentums = bias_updates
        else:
            weight_updates = -self.current_learning_rate * layer.dweights
            bias_updates = -self.current_learning_rate * layer.dbiases
        layer.weights += weight_updates
        layer.biases += bias_updates

    def post_update_params(self):
        self.iterations += 1
'''

# vanillanets' LeakyReLU: its slope a literal 0.1 in forward and backward (the nnfs manner)
LITERAL_SLOPE = '''import numpy as np


class LeakyReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.where(inputs > 0, inputs, 0.1 * inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] *= 0.1
'''

# aeronet's Dense(input_shape, output_shape), two integers; weights (out, in), columns, SGD inside backward
DENSE_INTS = '''import numpy as np


class Dense:
    def __init__(self, input_shape, output_shape, learning_rate=0.05):
        self.learning_rate = learning_rate
        self.weights = np.random.uniform(-1, 1, (output_shape, input_shape))
        self.bias = np.random.uniform(-1, 1, (output_shape, 1))

    def forward(self, input):
        self.input = input
        return np.dot(self.weights, self.input) + self.bias

    def backward(self, output_gradient):
        weights_gradient = np.dot(output_gradient, self.input.T)
        input_gradient = np.dot(self.weights.T, output_gradient)
        self.weights -= self.learning_rate * weights_gradient
        self.bias -= self.learning_rate * output_gradient
        return input_gradient
'''

# ronet's Dropout(dropout_rate), keeping 1 - rate under self.dropout_rate, in the nnfs manner (an eval
# forward that sets self.output); aeronet's Dropout(probability=0.25), the drop probability
RONET_DROPOUT = '''import numpy as np


class Dropout:
    def __init__(self, dropout_rate):
        self.dropout_rate = 1 - dropout_rate

    def forward(self, inputs, training=True):
        self.inputs = inputs
        if not training:
            self.output = inputs.copy()
            return
        self.binary_mask = np.random.binomial(1, self.dropout_rate, inputs.shape) / self.dropout_rate
        self.output = self.inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask
'''

AERONET_DROPOUT = '''import numpy as np


class Dropout:
    def __init__(self, probability=0.25):
        self.probability = probability

    def forward(self, input):
        keep = 1 - self.probability
        self.mask = np.random.binomial(1, keep, size=input.shape) / keep
        return input * self.mask

    def backward(self, output_gradient):
        return output_gradient * self.mask
'''

# PyEZNet's Diff_Func: __call__ runs forward and then stores calc_Grad(x), which backward multiplies by
CALL_LOCAL_GRAD = '''import numpy as np


class Diff_Func:
    def __init__(self):
        self.cache = {}
        self.grad = {}

    def __call__(self, *arg, **kargs):
        output = self.forward(*arg, **kargs)
        self.grad = self.calc_Grad(*arg, **kargs)
        return output

    def forward(self, *arg, **kargs):
        pass

    def calc_Grad(self, *arg, **kargs):
        pass

    def backward(self, *arg, **kargs):
        pass


class Tanh(Diff_Func):
    def forward(self, x):
        return np.tanh(x)

    def backward(self, dY):
        return dY * self.grad['x']

    def calc_Grad(self, x):
        return {'x': 1.0 - np.tanh(x) ** 2}


class Softplus(Diff_Func):
    def forward(self, x):
        return np.logaddexp(0, x)

    def backward(self, dY):
        return dY * self.grad['x']

    def calc_Grad(self, x):
        return {'x': 1 / (1 + np.exp(-x))}
'''

# multilayer-perceptron-from-scratch's Network: Nielsen's, its feedforward returning (a, activations, zs)
TUPLE_FEEDFORWARD = '''import numpy as np


class Network(object):
    def __init__(self, layer_sizes):
        self.num_layers = len(layer_sizes)
        self.biases = [np.random.randn(y, 1) for y in layer_sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(layer_sizes[:-1], layer_sizes[1:])]

    def sigmoid(self, z):
        return 1.0 / (1.0 + np.exp(-z))

    def sigmoid_prime(self, z):
        return self.sigmoid(z) * (1 - self.sigmoid(z))

    def feedforward(self, x):
        a = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, a) + b
            zs.append(z)
            a = self.sigmoid(z)
            activations.append(a)
        return a, activations, zs

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        output, activations, zs = self.feedforward(x)
        delta = (activations[-1] - y) * self.sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * self.sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)
'''

# {form: (source, {component: verdict})}
FORMS = {
    "getattr update(layer)": (GETATTR_UPDATE, {"SGD": "PASS", "Adam": "PASS"}),
    "optimise(w, g)": (OPTIMISE, {"SGD": "PASS", "Momentum": "PASS"}),
    # the combined class clips the probabilities as the book's chapters 10-18 do: softmax_eps=clip
    "nnfs, other names": (NNFS_OTHER_NAMES, {
        "CategoricalCrossEntropy": "PASS", "BinaryCrossEntropy": "PASS", "MeanSquaredError": "PASS",
        "MeanSquaredErrorLoss": "PASS", "Softmax": "PASS", "Relu": "PASS",
        "Activation_Softmax_Loss_Cross_Entropy": "CONVENTION"}),
    "pre_update_lr": (PRE_UPDATE_LR, {"Optimizer_SGD": "PASS"}),
    "literal slope": (LITERAL_SLOPE, {"LeakyReLU": "PASS"}),
    "dense of two integers": (DENSE_INTS, {"Dense": "PASS"}),
    "dropout keeping 1 - rate": (RONET_DROPOUT, {"Dropout": "PASS"}),
    "dropout of probability": (AERONET_DROPOUT, {"Dropout": "PASS"}),
    "__call__ computes the local gradient": (CALL_LOCAL_GRAD, {"Tanh": "PASS", "Softplus": "PASS"}),
    "feedforward returns a tuple": (TUPLE_FEEDFORWARD, {"Network": "PASS"}),
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
    "cce's 1/N": ("nnfs, other names", "        self.dinputs = self.dinputs / samples\n\n\nclass BinaryCrossEntropy",
                  "        self.dinputs = self.dinputs\n\n\nclass BinaryCrossEntropy", "CategoricalCrossEntropy",
                  "grad_input", "the mean's 1/N missing?"),
    "bce's sign": ("nnfs, other names", "self.dinputs = -(y_true / clipped - (1 - y_true) / (1 - clipped)) / outputs",
                   "self.dinputs = (y_true / clipped - (1 - y_true) / (1 - clipped)) / outputs",
                   "BinaryCrossEntropy", "grad_input", ""),
    "per-sample mse without 1/N": ("nnfs, other names", "        return -2 * (y_true - y_pred) / outputs / samples",
                                   "        return -2 * (y_true - y_pred) / outputs", "MeanSquaredError",
                                   "grad_input", "the mean's 1/N missing?"),
    "per-sample mse (N, 1) without the square": (
        "nnfs, other names", "return np.mean((y_true - y_pred) ** 2, axis=-1, keepdims=True)",
        "return np.mean(np.abs(y_true - y_pred), axis=-1, keepdims=True)", "MeanSquaredErrorLoss", "forward", ""),
    "relu's dinput at the kink": ("nnfs, other names", "self.dinput[self.input <= 0] = 0",
                                  "self.dinput[self.input < 0] = 0", "Relu", "grad_input", ""),
    "softmax's dinput: the diagonal alone": (
        "nnfs, other names", "jacobian = np.diagflat(single_output) - single_output.dot(single_output.T)",
        "jacobian = np.diagflat(single_output * (1 - single_output))", "Softmax", "grad_input", ""),
    "combined class: y not subtracted": ("nnfs, other names", "self.dinputs[range(samples), y_true] -= 1",
                                         "self.dinputs[range(samples), y_true] -= 0",
                                         "Activation_Softmax_Loss_Cross_Entropy", "grad_input", ""),
    "decay's step one ahead": ("pre_update_lr", "(1. + self.decay * self.iterations)",
                               "(1. + self.decay * (self.iterations + 1))", "Optimizer_SGD", "param:*", ""),
    "no pre-update hook": ("pre_update_lr", "def pre_update_lr(self):", "def before_step(self):", "Optimizer_SGD",
                           "param:*", "decay never applied: it has no pre_update_params()"),
    "leaky relu: another slope in backward": ("literal slope", "self.dinputs[self.inputs <= 0] *= 0.1",
                                              "self.dinputs[self.inputs <= 0] *= 0.01", "LeakyReLU", "grad_input",
                                              "slope 0.1, read from its output"),
    "leaky relu: no leak": ("literal slope", "np.where(inputs > 0, inputs, 0.1 * inputs)",
                            "np.where(inputs > 0, inputs, 0.0 * inputs)", "LeakyReLU", "forward", ""),
    "dense: the bias's rate forgotten": ("dense of two integers", "self.bias -= self.learning_rate * output_gradient",
                                         "self.bias -= output_gradient", "Dense", "grad_param:bias", ""),
    "ronet dropout unscaled": ("dropout keeping 1 - rate", "inputs.shape) / self.dropout_rate",
                               "inputs.shape)", "Dropout", "forward", "not divided by 1 - p"),
    "ronet dropout draws the drop rate": ("dropout keeping 1 - rate",
                                          "np.random.binomial(1, self.dropout_rate, inputs.shape)",
                                          "np.random.binomial(1, 1 - self.dropout_rate, inputs.shape)",
                                          "Dropout", "keep_share", ""),
    "ronet dropout scales in eval": ("dropout keeping 1 - rate", "self.output = inputs.copy()",
                                     "self.output = inputs * self.dropout_rate", "Dropout", "eval_forward", ""),
    "aeronet dropout draws the probability": (
        "dropout of probability", "self.mask = np.random.binomial(1, keep, size=input.shape) / keep",
        "self.mask = np.random.binomial(1, self.probability, size=input.shape) / keep", "Dropout",
        "keep_share", "p = 0.25"),
    "tanh's local gradient without the square": ("__call__ computes the local gradient",
                                                 "return {'x': 1.0 - np.tanh(x) ** 2}",
                                                 "return {'x': 1.0 - np.tanh(x)}", "Tanh", "grad_input", ""),
    "softplus's local gradient of -x": ("__call__ computes the local gradient", "return {'x': 1 / (1 + np.exp(-x))}",
                                        "return {'x': 1 / (1 + np.exp(x))}", "Softplus", "grad_input", ""),
    "nielsen: the cost sum((a - y)**2)": ("feedforward returns a tuple", "delta = (activations[-1] - y) *",
                                          "delta = 2 * (activations[-1] - y) *", "Network", "grad_param:*",
                                          "2 times the gradient of the book's quadratic cost"),
    "nielsen: no sigmoid_prime at the output": ("feedforward returns a tuple",
                                                "delta = (activations[-1] - y) * self.sigmoid_prime(zs[-1])",
                                                "delta = (activations[-1] - y)", "Network", "grad_param:*", ""),
}


# sinnn's lazy Dense(neurons, weights_initialiser=None, optimiser=None): its Model.add() supplies both
NEEDS_MODEL_OBJECTS = '''import numpy as np


class Dense:
    def __init__(self, neurons, weights_initialiser=None, optimiser=None):
        self.neurons = neurons
        self.weights = None
        self.weights_initialiser = weights_initialiser
        self.optimiser = optimiser

    def forward(self, x):
        if self.weights is None:
            self.weights = self.weights_initialiser.initialise(x.shape[1] + 1, self.neurons)
        self.input = np.hstack((np.ones((x.shape[0], 1)), x))
        self.output = np.dot(self.input, self.weights)

    def backward(self, grad_output):
        grad_input = np.dot(grad_output, self.weights[1:, :].T)
        grad_weights = np.dot(self.input.T, grad_output)
        self.weights = self.optimiser.optimise(self.weights, grad_weights)
        return grad_input
'''


def test_a_layer_needing_its_models_objects_is_listed(tmp_path):
    found, skipped = scan([write_files(tmp_path, {"nn.py": NEEDS_MODEL_OBJECTS})], dtypes=F64)
    assert not found and dict(skipped)["Dense"].startswith(
        "a layer built as Dense(neurons, weights_initialiser, optimiser) that needs the weights_initialiser and "
        "optimiser objects its model supplies"), skipped


# zeronet's cs231n names in another form: the forward returns out alone, the backward takes the forward's
# inputs and dout and returns a dict
NO_CACHE = '''import numpy as np


def linear_forward(x, weights):
    w, b = weights
    return x.reshape(x.shape[0], -1).dot(w) + b


def linear_backward(x, weights, dout):
    w, b = weights
    return {'x': dout.dot(w.T).reshape(x.shape), 'w': x.reshape(x.shape[0], -1).T.dot(dout), 'b': dout.sum(axis=0)}


def relu_forward(x):
    return x * (x > 0)


def relu_backward(x, dout):
    return {'x': dout * (x > 0)}
'''


def test_forwards_without_a_cache_are_listed_not_failed(tmp_path):
    found, skipped = scan([write_files(tmp_path, {"nn.py": NO_CACHE})], dtypes=F64)
    why = dict(skipped)
    assert not found and why["relu_forward"].startswith("its backward takes (x, dout), the forward's inputs") and \
        "not cs231n's (dout, cache)" in why["linear_forward"], skipped


# nnlib's course-named functions keeping parameters["W"][l]
NESTED = '''import numpy as np


def initialize_parameters(layers_dims):
    parameters = dict(W={}, b={})
    for l in range(1, len(layers_dims)):
        parameters["W"][l] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(2 / layers_dims[l - 1])
        parameters["b"][l] = np.zeros((layers_dims[l], 1))
    return parameters


def update_parameters(parameters, grads, learning_rate):
    for l in range(len(parameters["W"])):
        parameters["W"][l + 1] = parameters["W"][l + 1] - learning_rate * grads["dW"][l + 1]
        parameters["b"][l + 1] = parameters["b"][l + 1] - learning_rate * grads["db"][l + 1]
    return parameters
'''


def test_parameters_nested_by_kind_are_listed_not_failed(tmp_path):
    found, skipped = scan([write_files(tmp_path, {"nn.py": NESTED})], dtypes=F64)
    why = dict(skipped)
    assert not found and all(why[n].startswith("parameters kept as parameters['W'][l]")
                             for n in ("initialize_parameters", "update_parameters")), skipped


def test_the_slope_read_from_the_output_is_said(tmp_path):
    from parity_tests.gate.scan import format_outcomes
    found, skipped = scan([write_files(tmp_path, {"nn.py": LITERAL_SLOPE})], dtypes=F64)
    assert "PASS (a leaky ReLU of slope 0.1, read from its output" in format_outcomes(found, skipped, quiet=True)[0]


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
