"""``parity scan`` on the Deep Learning Specialization's step-by-step functions (``examples/coursera``):
samples as columns, channels-last images, ``linear_backward``'s 1/m, the course's update rules and
``L_model_forward``/``L_model_backward``. The example passes; each seeded bug fails at its
component and check; d2l's ``relu(X)`` is not taken for the course's ``relu(Z)``."""
import os

import pytest

from parity_tests.cli import main
from parity_tests.gate.scan import scan

from .test_scan import F64, ROOT, failed_checks, seeded, verdicts

COURSERA = os.path.join(ROOT, "examples", "coursera")
PROMOTES = ("CONVENTION", {"dtype": "promotes"})


@pytest.fixture(scope="module")
def outcomes():
    return scan([COURSERA])


def test_every_function_is_recognised_and_the_example_passes(outcomes, capsys):
    found, skipped = outcomes
    assert verdicts(found) == {
        "linear_forward": ("PASS", {}), "linear_activation_forward": ("PASS", {}), "relu": ("PASS", {}),
        "sigmoid": ("PASS", {}), "compute_cost": ("PASS", {}), "L_model_forward": ("PASS", {}),
        "zero_pad": ("PASS", {}), "conv_single_step": ("PASS", {}), "conv_forward": PROMOTES,
        "pool_forward": PROMOTES, "update_parameters": ("PASS", {}), "update_parameters_with_gd": ("PASS", {}),
        "update_parameters_with_momentum": ("PASS", {}), "update_parameters_with_adam": ("PASS", {}),
        "propagate": ("PASS", {}), "forward_propagation": ("PASS", {}), "rnn_cell_forward": ("PASS", {}),
        "rnn_forward": PROMOTES, "lstm_cell_forward": ("PASS", {}), "lstm_forward": PROMOTES, "softmax": ("PASS", {}),
        "compute_cost_with_regularization": ("PASS", {}), "backward_propagation_with_regularization": PROMOTES,
        "forward_propagation_with_dropout": PROMOTES, "initialize_parameters": ("PASS", {}),
        "initialize_parameters_deep": ("PASS", {}), "initialize_parameters_zeros": ("PASS", {}),
        "initialize_parameters_random": ("PASS", {}), "initialize_parameters_he": ("PASS", {}),
        "random_mini_batches": ("PASS", {}), "update_lr": ("PASS", {}), "schedule_lr_decay": ("PASS", {})}
    # the backwards are checked with their forwards, the helpers through their users: none is skipped
    assert skipped == [], skipped
    checks = {(r.component, r.check) for o in found for r in o.report.results}
    assert {("linear_forward", "grad_param:W"), ("linear_forward", "fd:b"), ("conv_forward", "grad_param:W"),
            ("pool_forward", "grad_input"), ("L_model_forward", "fd:W1"),
            ("update_parameters_with_adam", "state:b1.exp_avg_sq"),
            ("update_parameters_with_momentum", "state:W2.v")} <= checks
    assert {("softmax", "softmax_columns")} <= {(o.target.name, o.target.kind) for o in found}
    assert {("lstm_forward", "grad:dWf"), ("rnn_cell_forward", "forward:yt_pred"),
            ("lstm_cell_forward", "grad:dc_prev")} <= checks
    samples = {r.sample for o in found if o.target.name == "pool_forward" for r in o.report.results}
    assert any(s.endswith("average") for s in samples) and any(s.endswith("max") for s in samples)
    assert main(["scan", COURSERA, "-q", "--strict", "--convention", "dtype=promotes"]) == 0


BUGS = {
    "linear_backward without the 1/m": ("dW = 1/m * np.dot(dZ, A_prev.T)", "dW = np.dot(dZ, A_prev.T)",
                                        "linear_forward", "grad_param:W"),
    "db summed over the wrong axis": ("db = 1/m * np.sum(dZ, axis=1, keepdims=True)",
                                      "db = 1/m * np.sum(dZ, axis=0, keepdims=True)", "linear_forward", "grad_param:b"),
    "dA_prev 0.1% off": ("dA_prev = np.dot(W.T, dZ)", "dA_prev = np.dot(W.T, dZ) * 1.001",
                         "linear_forward", "grad_input"),
    "relu_backward passes the gradient at 0": ("dZ[Z <= 0] = 0", "dZ[Z < 0] = 0", "relu", "grad_input"),
    "sigmoid_backward without (1 - s)": ("dZ = dA * s * (1-s)", "dZ = dA * s", "sigmoid", "grad_input"),
    "linear_activation_backward: relu's backward for the sigmoid": (
        "        dZ = sigmoid_backward(dA, activation_cache)", "        dZ = relu_backward(dA, activation_cache)",
        "linear_activation_forward", "grad_input"),
    "cost without the minus": ("cost = -1/m * np.sum(", "cost = 1/m * np.sum(", "compute_cost", "forward"),
    "L_model_backward: dAL's sign": ("dAL = - (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
                                     "dAL = (np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))",
                                     "L_model_forward", "grad_param:W1"),
    "L_model_forward: relu on the output layer": (
        'AL, cache = linear_activation_forward(A, parameters[\'W\' + str(L)], parameters[\'b\' + str(L)], '
        'activation = "sigmoid")',
        'AL, cache = linear_activation_forward(A, parameters[\'W\' + str(L)], parameters[\'b\' + str(L)], '
        'activation = "relu")', "L_model_forward", "forward"),
    "update_parameters: the biases left out": (
        '        parameters["b" + str(l+1)] = parameters["b" + str(l+1)] - learning_rate * grads["db" + str(l+1)]\n',
        "", "update_parameters", "param:b1"),
}
CNN_BUGS = {
    "zero_pad pads the channels": ("((0, 0), (pad, pad), (pad, pad), (0, 0))", "((0, 0), (pad, pad), (pad, pad), (pad, pad))",
                                   "zero_pad", "forward"),
    "conv_single_step without the bias": ("    Z = Z + b.item()", "    Z = Z", "conv_single_step", "forward"),
    "conv_backward overwrites db": ("db[:,:,:,c] += dZ[i, h, w, c]", "db[:,:,:,c] = dZ[i, h, w, c]",
                                    "conv_forward", "grad_param:b"),
    "conv_backward's dW ignores the stride": ("a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]",
                                              "a_slice = a_prev_pad[h:h + f, w:w + f, :]", "conv_forward",
                                              "grad_param:W"),
    "average pooling's gradient not divided": ("average = dz / (n_H * n_W)", "average = dz", "pool_forward",
                                               "grad_input"),
    "max pooling's mask at the minimum": ("mask = (x == np.max(x))", "mask = (x == np.min(x))", "pool_forward",
                                          "grad_input"),
}
OPT_BUGS = {
    "momentum without (1 - beta)": ("(1 - beta) * grads['dW' + str(l)]", "grads['dW' + str(l)]",
                                    "update_parameters_with_momentum", "param:W1"),
    "Adam's epsilon inside the square root": (
        'np.sqrt(s_corrected["db" + str(l)]) + epsilon)', 'np.sqrt(s_corrected["db" + str(l)] + epsilon))',
        "update_parameters_with_adam", "param:b1"),
    "Adam's bias correction a step late": ('v["dW" + str(l)] / (1 - beta1**t)', 'v["dW" + str(l)] / (1 - beta1**(t + 1))',
                                           "update_parameters_with_adam", "param:W1"),
}
LOGISTIC_BUGS = {
    "propagate's dw without the 1/m": ("dw = 1 / m * np.dot(X, (A - Y).T)", "dw = np.dot(X, (A - Y).T)", "propagate",
                                       "grad_param:w"),
    "propagate's db with the wrong sign": ("db = 1 / m * np.sum(A - Y)", "db = 1 / m * np.sum(Y - A)", "propagate",
                                           "grad_param:b"),
    "propagate's cost without the log of 1 - A": ("(1 - Y) * np.log(1 - A)", "(1 - Y) * (1 - A)", "propagate", "loss"),
}
PLANAR_BUGS = {
    "tanh's derivative without the square": ("dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))",
                                             "dZ1 = np.dot(W2.T, dZ2) * (1 - A1)", "forward_propagation",
                                             "grad_param:W1"),
    "db2 summed over every axis": ("db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)", "db2 = 1 / m * np.sum(dZ2)",
                                   "forward_propagation", "grad_param:b2"),
    "the hidden layer a ReLU": ("A1 = np.tanh(Z1)", "A1 = np.maximum(Z1, 0)", "forward_propagation", "forward"),
}
RNN_BUGS = {
    "rnn cell with a sigmoid": ("a_next = np.tanh(np.dot(Waa, a_prev)", "a_next = sigmoid(np.dot(Waa, a_prev)",
                                "rnn_cell_forward", "forward:a_next"),
    "rnn_backward drops the gradient from the next step": (
        "rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])", "rnn_cell_backward(da[:, :, t], caches[t])",
        "rnn_forward", "grad:dWax"),
    "lstm cell's gates swapped": ("c_next = ft * c_prev + it * cct", "c_next = it * c_prev + ft * cct",
                                  "lstm_cell_forward", "forward:c_next"),
    "lstm_cell_backward's dc_prev from dc_next alone": ("dc_prev = dc * ft", "dc_prev = dc_next * ft",
                                                        "lstm_cell_forward", "grad:dc_prev"),
    "rnn_utils softmax over the rows": ("return e_x / e_x.sum(axis=0)", "return e_x / e_x.sum(axis=1, keepdims=True)",
                                        "softmax", "forward"),
}
REG_BUGS = {
    "L2 cost without the 1/m": ("L2_regularization_cost = (1 / m) * (lambd / 2) *", "L2_regularization_cost = (lambd / 2) *",
                                "compute_cost_with_regularization", "loss"),
    "L2 gradient without the 1/m": ("dW3 = 1./m * np.dot(dZ3, A2.T) + (lambd / m) * W3",
                                    "dW3 = 1./m * np.dot(dZ3, A2.T) + lambd * W3",
                                    "backward_propagation_with_regularization", "grad_param:W3"),
    "dropout backward not scaled by keep_prob": ("    dA1 = dA1 / keep_prob\n", "",
                                                 "forward_propagation_with_dropout", "grad_param:W1"),
    "dropout forward not scaled by keep_prob": ("    A2 = A2 / keep_prob\n", "",
                                                "forward_propagation_with_dropout", "forward"),
    "dropout mask keeps 1 - keep_prob": ("D1 = (D1 < keep_prob).astype(int)", "D1 = (D1 > keep_prob).astype(int)",
                                         "forward_propagation_with_dropout", "mask:D1"),
}
INIT_BUGS = {
    "He init scaled by the layer's own size": ("np.sqrt(2./layers_dims[l-1])", "np.sqrt(2./layers_dims[l])",
                                              "initialize_parameters_he", "W std"),
    "He init without the square root": ("np.sqrt(2./layers_dims[l-1])", "(2./layers_dims[l-1])",
                                        "initialize_parameters_he", "W std"),
    "He init from rand, not randn": ("np.random.randn(layers_dims[l], layers_dims[l-1]) * np.sqrt",
                                     "np.random.rand(layers_dims[l], layers_dims[l-1]) * np.sqrt",
                                     "initialize_parameters_he", "W mean"),
    "He init misses the last layer": ("    for l in range(1, L + 1):\n        parameters['W' + str(l)] = np.random.randn("
                                      "layers_dims[l], layers_dims[l-1]) * np.sqrt",
                                      "    for l in range(1, L):\n        parameters['W' + str(l)] = np.random.randn("
                                      "layers_dims[l], layers_dims[l-1]) * np.sqrt", "initialize_parameters_he", "keys"),
    "random init W transposed": ("np.random.randn(layers_dims[l], layers_dims[l-1]) * 10",
                                 "np.random.randn(layers_dims[l-1], layers_dims[l]) * 10",
                                 "initialize_parameters_random", "shapes"),
    "zeros init with b as a vector": ("        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))\n    return "
                                      "parameters\n\ndef initialize_parameters_random",
                                      "        parameters['b' + str(l)] = np.zeros(layers_dims[l])\n    return "
                                      "parameters\n\ndef initialize_parameters_random",
                                      "initialize_parameters_zeros", "shapes"),
    "zeros init with ones for W": ("np.zeros((layers_dims[l], layers_dims[l-1]))", "np.ones((layers_dims[l], "
                                   "layers_dims[l-1]))", "initialize_parameters_zeros", "W zeros"),
}
DNN_INIT_BUGS = {
    "deep init times 0.1": ("np.random.randn(layer_dims[l], layer_dims[l-1]) * 0.01",
                            "np.random.randn(layer_dims[l], layer_dims[l-1]) * 0.1", "initialize_parameters_deep",
                            "W std"),
    "two-layer init: b2 of ones": ("b2 = np.zeros((n_y, 1))", "b2 = np.ones((n_y, 1))", "initialize_parameters",
                                   "b zeros"),
}
BATCH_BUGS = {
    "the short last batch dropped": ("    if m % mini_batch_size != 0:\n", "    if False:\n", "random_mini_batches",
                                     "partition"),
    "Y not shuffled with X": ("shuffled_Y = Y[:, permutation].reshape((1, m))", "shuffled_Y = Y.reshape((1, m))",
                              "random_mini_batches", "pairs"),
    "no shuffle": ("permutation = list(np.random.permutation(m))", "permutation = list(range(m))",
                   "random_mini_batches", "shuffled"),
    "an empty last batch when the batches tile m": ("    if m % mini_batch_size != 0:\n", "    if True:\n",
                                                     "random_mini_batches", "sizes"),
    "the last batch's Y from the loop's k": ("mini_batch_Y = shuffled_Y[:, int(m / mini_batch_size) * mini_batch_size : ]",
                                             "mini_batch_Y = shuffled_Y[:, k * mini_batch_size : ]",
                                             "random_mini_batches", "shapes"),
    "mini_batch_size fixed at 64": ("    np.random.seed(seed)\n    m = X.shape[1]", "    np.random.seed(seed)\n"
                                    "    mini_batch_size = 64\n    m = X.shape[1]", "random_mini_batches", "sizes"),
    "seed fixed at 0": ("    np.random.seed(seed)\n    m = X.shape[1]", "    np.random.seed(0)\n    m = X.shape[1]",
                        "random_mini_batches", "seeded"),
    "not seeded": ("    np.random.seed(seed)\n    m = X.shape[1]", "    m = X.shape[1]", "random_mini_batches",
                   "seeded"),
    "update_lr a step ahead": ("(1 + decay_rate * epoch_num) * learning_rate0", "(1 + decay_rate * (epoch_num + 1)) "
                               "* learning_rate0", "update_lr", "lr"),
    "schedule_lr_decay without the floor": ("np.floor(epoch_num / time_interval)", "(epoch_num / time_interval)",
                                            "schedule_lr_decay", "lr"),
}
FILES = {**{k: ("initialization.py", v) for k, v in INIT_BUGS.items()},
         **{k: ("dnn_step_by_step.py", v) for k, v in DNN_INIT_BUGS.items()},
         **{k: ("opt_utils.py", v) for k, v in BATCH_BUGS.items()},**{k: ("logistic_regression.py", v) for k, v in LOGISTIC_BUGS.items()},
         **{k: ("regularization.py", v) for k, v in REG_BUGS.items()},
         **{k: ("rnn_step_by_step.py", v) for k, v in RNN_BUGS.items()},
         **{k: ("planar_classification.py", v) for k, v in PLANAR_BUGS.items()},
         **{k: ("dnn_step_by_step.py", v) for k, v in BUGS.items()},
         **{k: ("cnn_step_by_step.py", v) for k, v in CNN_BUGS.items()},
         **{k: ("opt_utils.py", v) for k, v in OPT_BUGS.items()}}


@pytest.mark.parametrize("bug", sorted(FILES))
def test_each_seeded_bug_is_reported_at_its_component_and_check(tmp_path, bug):
    relpath, (old, new, component, check) = FILES[bug]
    path = seeded(tmp_path, COURSERA, relpath, old, new)
    outcomes, _ = scan([path], only=component, dtypes=F64)
    verdict, checks, messages = failed_checks(outcomes, component)
    assert verdict == "FAIL" and check in checks, (bug, verdict, checks, messages)


def test_d2l_relu_is_not_the_courses_and_the_style_option_selects(tmp_path, capsys):
    """d2l's relu(X) returns the array: checked as such. The course's relu(Z) returns (A, cache)
    and has relu_backward beside it."""
    (tmp_path / "d2l_part.py").write_text("import numpy as np\ndef relu(X):\n    return np.maximum(X, 0)\n")
    outcomes, _ = scan([str(tmp_path)])
    assert [(o.target.name, o.target.style, o.verdict) for o in outcomes] == [("relu", "d2l", "PASS")]
    # the course's utils have array-returning relu(x), sigmoid(x) too: checked under --style coursera
    assert main(["scan", str(tmp_path), "--style", "coursera", "-q"]) == 0
    assert "1 component: 1 pass" in capsys.readouterr().out
    assert main(["scan", COURSERA, "--style", "coursera", "-q", "--only", "relu,compute_cost"]) == 0
    out = capsys.readouterr().out
    assert "relu " in out and "compute_cost" in out and ", 0 fail" in out and "d2l" not in out


def test_the_courses_float_b_gets_a_hint_under_recent_numpy(tmp_path, capsys):
    """The notebook's conv_single_step writes float(b) of a (1, 1, 1) b, which recent NumPy refuses:
    the failure says what to write instead."""
    path = seeded(tmp_path, COURSERA, "cnn_step_by_step.py", "    Z = Z + b.item()", "    Z = Z + float(b)")
    import numpy as np
    try:
        float(np.ones((1, 1, 1)))
    except TypeError:
        assert main(["scan", path, "--only", "conv_single_step", "-q", "--dtype", "float64"]) == 1
        assert "write b.item(), which works in every version" in capsys.readouterr().out
    else:                                           # an older NumPy converts it: the course's code passes
        assert main(["scan", path, "--only", "conv_single_step", "-q", "--dtype", "float64"]) == 0


# course 2 week 1, "Gradient Checking": the notebook hands out backward_propagation_n with two
# mistakes planted (dW2 doubled, db1 times 4) for gradient_check_n to find
GRADIENT_CHECKING = 'import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\ndef relu(x):\n    return np.maximum(0, x)\n\ndef forward_propagation_n(X, Y, parameters):\n    m = X.shape[1]\n    W1 = parameters["W1"]; b1 = parameters["b1"]; W2 = parameters["W2"]; b2 = parameters["b2"]\n    W3 = parameters["W3"]; b3 = parameters["b3"]\n    Z1 = np.dot(W1, X) + b1\n    A1 = relu(Z1)\n    Z2 = np.dot(W2, A1) + b2\n    A2 = relu(Z2)\n    Z3 = np.dot(W3, A2) + b3\n    A3 = sigmoid(Z3)\n    log_probs = np.multiply(-np.log(A3),Y) + np.multiply(-np.log(1 - A3), 1 - Y)\n    cost = 1. / m * np.sum(log_probs)\n    cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)\n    return cost, cache\n\ndef backward_propagation_n(X, Y, cache):\n    m = X.shape[1]\n    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache\n    dZ3 = A3 - Y\n    dW3 = 1. / m * np.dot(dZ3, A2.T)\n    db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)\n    dA2 = np.dot(W3.T, dZ3)\n    dZ2 = np.multiply(dA2, np.int64(A2 > 0))\n    dW2 = 1. / m * np.dot(dZ2, A1.T) * 2\n    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)\n    dA1 = np.dot(W2.T, dZ2)\n    dZ1 = np.multiply(dA1, np.int64(A1 > 0))\n    dW1 = 1. / m * np.dot(dZ1, X.T)\n    db1 = 4. / m * np.sum(dZ1, axis=1, keepdims=True)\n    gradients = {"dZ3": dZ3, "dW3": dW3, "db3": db3,\n                 "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,\n                 "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}\n    return gradients\n'


def test_the_gradient_checking_notebooks_planted_mistakes_are_found(tmp_path):
    (tmp_path / "gc.py").write_text(GRADIENT_CHECKING)
    outcomes, _ = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(outcomes)["forward_propagation_n"] == ("PASS", {})
    verdict, checks, _ = failed_checks(outcomes, "backward_propagation_n")
    assert verdict == "FAIL" and checks == {"grad_param:W2", "grad_param:b1"}, checks
    fixed = GRADIENT_CHECKING.replace("np.dot(dZ2, A1.T) * 2", "np.dot(dZ2, A1.T)").replace("db1 = 4. / m", "db1 = 1. / m")
    (tmp_path / "gc.py").write_text(fixed)
    outcomes, _ = scan([str(tmp_path)], dtypes=F64)
    assert verdicts(outcomes)["backward_propagation_n"] == ("PASS", {})


def test_rnn_utils_softmax_on_its_own_and_an_older_compute_cost(tmp_path, capsys):
    """rnn_utils.py, which the course 5 notebook star-imports, holds softmax over axis 0 with nothing
    else of the course's: it is the course's softmax. Week 3's older compute_cost(A2, Y, parameters)
    takes more than the checked one: listed, not failed."""
    (tmp_path / "rnn_utils.py").write_text("import numpy as np\ndef softmax(x):\n    e_x = np.exp(x - np.max(x))\n"
                                           "    return e_x / e_x.sum(axis=0)\n")
    (tmp_path / "planar.py").write_text("import numpy as np\ndef compute_cost(A2, Y, parameters):\n"
                                        "    return -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))\n")
    outcomes, skipped = scan([str(tmp_path)])
    assert [(o.target.name, o.target.kind, o.verdict) for o in outcomes] == [("softmax", "softmax_columns", "PASS")]
    assert dict(skipped)["compute_cost"] == ("named like the Deep Learning Specialization's compute_cost but it "
                                             "takes (A2, Y, parameters)")


def test_a_rule_that_returns_the_wrong_thing_is_told_so_not_said_to_raise(tmp_path):
    """An update rule still a stub (returns None), or returning a list: the failure is the finding,
    not a TypeError 'raised' by the user's code."""
    (tmp_path / "opt.py").write_text(
        "def update_parameters_with_gd(parameters, grads, learning_rate):\n    return [parameters]\n"
        "def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,"
        " epsilon=1e-8):\n    pass\n")
    outcomes, _ = scan([str(tmp_path)], dtypes=F64)
    notes = {o.target.name: o.report.failures[0].message() for o in outcomes}
    assert "at step 1: update_parameters_with_gd returned list; expected the parameters dict" in \
        notes["update_parameters_with_gd"]
    assert "update_parameters_with_adam returned None: not written yet?" in notes["update_parameters_with_adam"]
    assert not any("raised" in n for n in notes.values()), notes


def test_the_notebooks_other_functions_are_listed_as_skipped_with_why(tmp_path):
    """``model``, ``predict``, ``gradient_check_n``... beside a recognised course function are listed
    under Skipped, not passed over in silence; a ``predict`` in another style's file is not."""
    course = tmp_path / "course"
    course.mkdir()
    src = (open(os.path.join(COURSERA, "initialization.py")).read()
           + "\ndef model(X, Y, layers_dims, learning_rate=0.01):\n    return initialize_parameters_he(layers_dims)\n"
           + "\ndef predict(X, y, parameters):\n    return None\n")
    (course / "init_notebook.py").write_text(src)
    found, skipped = scan([str(course)], dtypes=F64)
    assert {o.target.name for o in found} == {"initialize_parameters_zeros", "initialize_parameters_random",
                                              "initialize_parameters_he"}
    assert dict(skipped)["model"].startswith("a training loop") and "predict" in dict(skipped)
    other = tmp_path / "other"
    other.mkdir()
    (other / "svm.py").write_text("import numpy as np\ndef svm_loss(x, y):\n    return 0.0, np.zeros_like(x)\n"
                                  "def predict(X, W):\n    return (X @ W).argmax(1)\n")
    assert "predict" not in dict(scan([str(other)], dtypes=F64)[1])


def test_set_up_functions_with_other_argument_names_are_listed_and_odd_returns_fail_alone(tmp_path):
    """``random_mini_batches(X_train, Y_train, ...)`` beside the course's functions is listed under Skipped
    (it would not be checked); an ``update_lr`` returning a string fails by itself, the others keep
    their verdicts."""
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "initialization.py").write_text(open(os.path.join(COURSERA, "initialization.py")).read()
                                              + "\ndef random_mini_batches(X_train, Y_train, mini_batch_size=64, seed=0):"
                                                "\n    return []\n"
                                              + "\ndef update_lr(learning_rate0, epoch_num, decay_rate):"
                                                "\n    return 'abc'\n")
    found, skipped = scan([str(folder)], dtypes=F64)
    v = verdicts(found)
    assert v["update_lr"][0] == "FAIL" and v["initialize_parameters_he"][0] == "PASS", v
    assert "named like the course's random_mini_batches(X, Y, mini_batch_size, seed)" in dict(skipped)[
        "random_mini_batches"], skipped


def test_scan_leaves_the_callers_random_generators_alone(tmp_path):
    """numpy's, torch's and Python's global generators are as they were after a scan, whatever the
    user's code seeded (the mini-batch check's DataLoader draws from a generator of its own)."""
    import random

    import numpy as np
    import torch
    (tmp_path / "seeds.py").write_text("import random, torch\nrandom.seed(1)\ntorch.manual_seed(1)\n"
                                       + open(os.path.join(COURSERA, "opt_utils.py")).read())
    np.random.seed(5)
    torch.manual_seed(5)
    random.seed(5)
    before = (np.random.get_state()[1].copy(), torch.random.get_rng_state().clone(), random.getstate())
    scan([str(tmp_path)], only="random_mini_batches", dtypes=F64)
    assert np.array_equal(np.random.get_state()[1], before[0])
    assert torch.equal(torch.random.get_rng_state(), before[1]) and random.getstate() == before[2]
