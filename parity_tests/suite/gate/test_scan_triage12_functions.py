"""``parity scan`` on function-style code found in a triage of outside code: an activation with a
derivative flag (``sigmoid(x, derivative=False)``, iamtrask's ``nonlin(x, deriv=False)``), Andrew Ng's
Machine Learning course (``sigmoidGradient``, ``costFunction``, ``costFunctionReg``, ``nnCostFunction``)
and the Independent Code's losses under their long names (aeronet's ``mean_squared_error``,
``categorical_cross_entropy``). Each correct form passes; each seeded bug fails at its component and check."""
import pytest

from parity_tests.gate.scan import format_outcomes, scan

from .test_scan import F64, failed_checks, verdicts, write_files

FLAGS = '''import numpy as np


def nonlin(x, deriv=False):
    if(deriv == True):
        return x * (1 - x)
    return 1 / (1 + np.exp(-x))


def sigmoid(x, derivative=False):
    s = 1 / (1 + np.exp(-x))
    if derivative:
        return s * (1 - s)
    return s


def relu(x, derivative=False):
    if derivative:
        return (x > 0).astype(x.dtype)
    return np.maximum(0, x)


def tanh(x, derivative=False):
    if derivative:
        return 1 - np.tanh(x) ** 2
    return np.tanh(x)
'''


def test_an_activations_derivative_flag_is_checked_at_the_input_or_of_the_output(tmp_path):
    outcomes, _ = scan([write_files(tmp_path, {"act.py": FLAGS})], dtypes=F64)
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in ("nonlin", "sigmoid", "relu", "tanh")}
    nonlin = next(o for o in outcomes if o.target.name == "nonlin")
    assert nonlin.target.kind == "sigmoid" and "deriv=True" in {r.check for r in nonlin.report.results}
    text = format_outcomes(outcomes, [], quiet=True)[0]
    assert "nonlin  " in text and "deriv=True: the derivative written for the output" in text
    assert "derivative=True: the derivative at its input x" in text


@pytest.mark.parametrize("name, old, new", [
    ("tanh", "return 1 - np.tanh(x) ** 2", "return 1 - np.tanh(x)"),             # the square forgotten
    ("relu", "return (x > 0).astype(x.dtype)", "return (x < 0).astype(x.dtype)"),
    ("nonlin", "return x * (1 - x)", "return x * (1 + x)"),
    ("sigmoid", "return s * (1 - s)", "return s"),
])
def test_a_wrong_derivative_behind_its_flag_fails_there(tmp_path, name, old, new):
    outcomes, _ = scan([write_files(tmp_path, {"act.py": FLAGS.replace(old, new)})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, name)
    flag = "deriv" if name == "nonlin" else "derivative"
    assert verdict == "FAIL" and checks == {f"{flag}=True"}
    assert f"{flag}=True) is neither" in text or f"{flag}=True) is not" in text
    assert all(v == "PASS" for n, (v, _) in verdicts(outcomes).items() if n != name)


NG = '''import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoidGradient(z):
    g = np.zeros(z.shape)
    g = sigmoid(z) * (1 - sigmoid(z))
    return g


def costFunction(theta, X, y):
    m = y.size
    h = sigmoid(X.dot(theta.T))
    J = (1 / m) * np.sum(-y.dot(np.log(h)) - (1 - y).dot(np.log(1 - h)))
    grad = (1 / m) * (h - y).dot(X)
    return J, grad


def costFunctionReg(theta, X, y, lambda_):
    m = y.size
    h = sigmoid(X.dot(theta.T))
    temp = theta.copy()
    temp[0] = 0
    J = (1 / m) * np.sum(-y.dot(np.log(h)) - (1 - y).dot(np.log(1 - h))) + (lambda_ / (2 * m)) * np.sum(np.square(temp))
    grad = (1 / m) * (h - y).dot(X)
    grad = grad + (lambda_ / m) * temp
    return J, grad


def randInitializeWeights(L_in, L_out, epsilon_init=0.12):
    return np.random.rand(L_out, 1 + L_in) * 2 * epsilon_init - epsilon_init


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_=0.0):
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, (input_layer_size + 1)))
    Theta2 = np.reshape(nn_params[(hidden_layer_size * (input_layer_size + 1)):],
                        (num_labels, (hidden_layer_size + 1)))
    m = y.size
    a1 = np.concatenate([np.ones((m, 1)), X], axis=1)
    a2 = sigmoid(a1.dot(Theta1.T))
    a2 = np.concatenate([np.ones((a2.shape[0], 1)), a2], axis=1)
    a3 = sigmoid(a2.dot(Theta2.T))
    y_matrix = np.eye(num_labels)[y.reshape(-1)]
    reg_term = (lambda_ / (2 * m)) * (np.sum(np.square(Theta1[:, 1:])) + np.sum(np.square(Theta2[:, 1:])))
    J = (-1 / m) * np.sum((np.log(a3) * y_matrix) + np.log(1 - a3) * (1 - y_matrix)) + reg_term
    delta_3 = a3 - y_matrix
    delta_2 = delta_3.dot(Theta2)[:, 1:] * sigmoidGradient(a1.dot(Theta1.T))
    Theta1_grad = (1 / m) * delta_2.T.dot(a1)
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad = (1 / m) * delta_3.T.dot(a2)
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
'''
NG_NAMES = ("sigmoid", "sigmoidGradient", "costFunction", "costFunctionReg", "nnCostFunction")


def test_andrew_ngs_machine_learning_course_functions_pass(tmp_path):
    outcomes, skipped = scan([write_files(tmp_path, {"ex4.py": NG})])
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in NG_NAMES}
    kinds = {o.target.name: o.target.kind for o in outcomes}
    assert kinds["sigmoidGradient"] == "sigmoid_prime" and kinds["nnCostFunction"] == "nn_cost"
    assert {"loss", "grad_param:theta", "fd:theta"} <= {r.check for o in outcomes if o.target.name == "costFunction"
                                                        for r in o.report.results}
    assert [n for n, _ in skipped] == ["randInitializeWeights"]


def test_the_octave_courses_labels_and_columns_pass_too(tmp_path):
    octave = NG.replace("y_matrix = np.eye(num_labels)[y.reshape(-1)]",
                        "y_matrix = (y.reshape(-1, 1) == np.arange(1, num_labels + 1)).astype(float)")
    # an Octave-like port: theta (n+1, 1) and y (m, 1), J taken out of a (1, 1) product
    columns = ("import numpy as np\n\ndef costFunction(theta, X, y):\n    m = len(y)\n"
               "    h = 1 / (1 + np.exp(-X @ theta))\n    J = (-y.T @ np.log(h) - (1 - y).T @ np.log(1 - h)) / m\n"
               "    return J[0, 0], X.T @ (h - y) / m\n")
    outcomes, _ = scan([write_files(tmp_path, {"ex4.py": octave, "ex2.py": columns})], only="nnCostFunction,costFunction")
    assert {(o.target.where.rsplit("/", 1)[-1], o.target.name, o.verdict) for o in outcomes if "Reg" not in o.target.name} \
        >= {("ex4.py", "nnCostFunction", "PASS"), ("ex2.py", "costFunction", "PASS")}
    text = format_outcomes(outcomes, [], quiet=True)[0]
    assert "its labels 1..K, as the Octave course's" in text
    cost = next(o for o in outcomes if o.target.name == "costFunction" and o.target.where.endswith("ex2.py"))
    assert {r.sample for r in cost.report.results} == {"X (9,4) with its ones column, theta and y columns"}


@pytest.mark.parametrize("name, old, new, check", [
    ("sigmoidGradient", "g = sigmoid(z) * (1 - sigmoid(z))", "g = sigmoid(z)", "forward"),
    ("costFunction", "grad = (1 / m) * (h - y).dot(X)\n    return J, grad\n\n\ndef costFunctionReg",
     "grad = (h - y).dot(X)\n    return J, grad\n\n\ndef costFunctionReg", "grad_param:theta"),
    ("costFunction", "J = (1 / m) * np.sum(-y.dot(np.log(h)) - (1 - y).dot(np.log(1 - h)))\n    grad = (1 / m)",
     "J = np.sum(-y.dot(np.log(h)) - (1 - y).dot(np.log(1 - h)))\n    grad = (1 / m)", "loss"),
    ("costFunctionReg", "temp = theta.copy()", "temp = theta", "no_mutation"),
    ("costFunctionReg", "grad = grad + (lambda_ / m) * temp", "grad = grad + (lambda_ / m) * theta",
     "grad_param:theta"),
    ("nnCostFunction", "Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]",
     "Theta2_grad = Theta2_grad + (lambda_ / m) * Theta2", "grad_param:nn_params"),
    ("nnCostFunction", "np.sum(np.square(Theta2[:, 1:])))", "np.sum(np.square(Theta2)))", "loss"),
])
def test_each_seeded_bug_in_the_ml_course_fails_at_its_function_and_check(tmp_path, name, old, new, check):
    assert NG.count(old) == 1
    outcomes, _ = scan([write_files(tmp_path, {"ex4.py": NG.replace(old, new)})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, name)
    assert verdict == "FAIL" and check in checks, text
    uses = {"sigmoidGradient": "nnCostFunction"}.get(name)        # its backward calls sigmoidGradient
    assert all(v == "PASS" for n, (v, _) in verdicts(outcomes).items() if n not in (name, uses))
    if name == "costFunction" and check.startswith("grad"):
        assert "the 1/m missing?" in text
    if name == "nnCostFunction" and check.startswith("grad"):
        assert "its bias column" in text


LOSSES = '''import numpy as np


def mean_squared_error(y_true, y_pred):
    return np.mean(np.power(y_true - y_pred, 2))


def mean_squared_error_prime(y_true, y_pred):
    return 2 * (y_pred - y_true) / np.size(y_true)


def categorical_cross_entropy(y_true, y_pred):
    return -np.sum(y_true * np.log(y_pred + 10**-100))


def categorical_cross_entropy_prime(y_true, y_pred):
    return -y_true / (y_pred + 10**-100)
'''
LOSS_NAMES = ("mean_squared_error", "mean_squared_error_prime", "categorical_cross_entropy",
              "categorical_cross_entropy_prime")


@pytest.mark.parametrize("swap", [False, True])
def test_the_independent_codes_losses_under_their_long_names(tmp_path, swap):
    code = LOSSES.replace("(y_true, y_pred)", "(y_pred, y_true)") if swap else LOSSES
    outcomes, _ = scan([write_files(tmp_path, {"losses.py": code})])
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in LOSS_NAMES}


@pytest.mark.parametrize("name, old, new", [
    ("mean_squared_error_prime", "2 * (y_pred - y_true)", "2 * (y_true - y_pred)"),          # the sign
    ("mean_squared_error", "np.mean(np.power(y_true - y_pred, 2))", "np.sum(np.power(y_true - y_pred, 2))"),
    ("categorical_cross_entropy_prime", "-y_true / (y_pred", "y_true / (y_pred"),
    ("categorical_cross_entropy", "-np.sum(y_true * np.log(", "-np.mean(y_true * np.log("),
])
def test_each_seeded_bug_in_the_long_named_losses_fails_there(tmp_path, name, old, new):
    outcomes, _ = scan([write_files(tmp_path, {"losses.py": LOSSES.replace(old, new)})], dtypes=F64)
    verdict, checks, _ = failed_checks(outcomes, name)
    assert verdict == "FAIL" and checks == {"forward"}
    assert all(v == "PASS" for n, (v, _) in verdicts(outcomes).items() if n != name)


def test_a_loss_off_by_a_factor_that_is_no_sum_gets_no_reduction_hint(tmp_path):
    bce = ("import numpy as np\n\ndef binary_cross_entropy(y_true, y_pred):\n"
           "    return np.mean(-y_true * np.log1p(y_pred) - (1 - y_true) * np.log1p(1 - y_pred))\n")
    outcomes, _ = scan([write_files(tmp_path, {"bce.py": bce})], dtypes=F64)
    verdict, _, text = failed_checks(outcomes, "binary_cross_entropy")
    assert verdict == "FAIL" and "where the mean is meant?" not in text
    summed = "import numpy as np\n\ndef mse(y_true, y_pred):\n    return np.sum((y_true - y_pred) ** 2)\n"
    outcomes, _ = scan([write_files(tmp_path, {"mse.py": summed})], dtypes=F64, only="mse")
    assert "4 times torch's, the mean of the squares (a sum, or half of one, where the mean is meant?)" in \
        failed_checks(outcomes, "mse")[2]


LINEAR = '''import numpy as np


def computeCost(X, y, theta):
    m = y.size
    return np.sum((X.dot(theta) - y) ** 2) / (2 * m)


def linearRegCostFunction(X, y, theta, lambda_=0.0):
    m = y.size
    h = X.dot(theta)
    J = np.sum((h - y) ** 2) / (2 * m) + lambda_ / (2 * m) * np.sum(theta[1:] ** 2)
    grad = (h - y).dot(X) / m
    grad[1:] += lambda_ / m * theta[1:]
    return J, grad


def gradientDescent(X, y, theta, alpha, num_iters):
    return theta, []
'''


@pytest.mark.parametrize("bug", [None, ("computeCost", "/ (2 * m)\n\n\ndef linear", "/ m\n\n\ndef linear", "loss"),
                                 ("linearRegCostFunction", "grad[1:] += lambda_ / m * theta[1:]",
                                  "grad += lambda_ / m * theta", "grad_param:theta")])
def test_the_courses_linear_regression_costs(tmp_path, bug):
    code = LINEAR if bug is None else LINEAR.replace(bug[1], bug[2])
    outcomes, skipped = scan([write_files(tmp_path, {"ex5.py": code})])
    assert [n for n, _ in skipped] == ["gradientDescent"]
    if bug is None:
        assert verdicts(outcomes) == {n: ("PASS", {}) for n in ("computeCost", "linearRegCostFunction")}
    else:
        verdict, checks, _ = failed_checks(outcomes, bug[0])
        assert verdict == "FAIL" and bug[3] in checks
