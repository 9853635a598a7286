"""``parity scan`` on an activation's derivative under a blog's or a book's own name
(``sigmoid_derivative``, ``dsigmoid``, ``d_tanh``, ``relu2deriv``, "Deep Learning from Scratch"'s
``sigmoid_grad``): checked at its input or, written for the output (``x * (1 - x)``), called with the
activation's output, the verdict saying which; and the book's ``cross_entropy_error`` and
``sum_squared_error`` from its common/functions.py, and Keras's spellings ``categorical_crossentropy`` and
``sparse_categorical_crossentropy`` over a batch of rows. Each correct form passes (the book's ``+ 1e-7``
as the convention it is); each seeded bug fails at its component."""
import pytest

from parity_tests.gate.scan import format_outcomes, scan

from .test_scan import F64, failed_checks, verdicts, write_files

NAMES = '''import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    return x * (1 - x)


def dsigmoid(z):
    return sigmoid(z) * (1 - sigmoid(z))


def sigmoidDerivative(z):
    s = sigmoid(z)
    return s * (1 - s)


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)


def d_tanh(y):
    return 1 - y ** 2


def tanh_derivative(x):
    return 1 - np.tanh(x) ** 2


def relu2deriv(output):
    return (output > 0).astype(output.dtype)


def deriv_relu(x):
    return np.where(x > 0, 1.0, 0.0).astype(x.dtype)
'''
OF_OUTPUT = {"sigmoid_derivative", "d_tanh"}


def test_each_derivative_name_is_checked_at_its_input_or_of_the_output(tmp_path):
    outcomes, _ = scan([write_files(tmp_path, {"act.py": NAMES})], dtypes=F64)
    derivatives = {"sigmoid_derivative", "dsigmoid", "sigmoidDerivative", "sigmoid_grad", "d_tanh",
                   "tanh_derivative", "relu2deriv", "deriv_relu"}
    assert verdicts(outcomes) == {n: ("PASS", {}) for n in derivatives | {"sigmoid"}}
    kinds = {o.target.name: o.target.kind for o in outcomes}
    assert kinds["d_tanh"] == "tanh_derivative" and kinds["relu2deriv"] == "relu_derivative"
    text = format_outcomes(outcomes, [], quiet=True)[0]
    for name in derivatives:
        form = "written for the output" if name in OF_OUTPUT else "the derivative at its input x"
        line = next(ln for ln in text.splitlines() if ln.startswith(name + " "))
        assert form in line, line


@pytest.mark.parametrize("name, old, new", [
    ("tanh_derivative", "return 1 - np.tanh(x) ** 2", "return 1 - np.tanh(x)"),       # the square forgotten
    ("d_tanh", "return 1 - y ** 2", "return 1 - y"),
    ("sigmoid_derivative", "return x * (1 - x)", "return x * (1 + x)"),
    ("dsigmoid", "return sigmoid(z) * (1 - sigmoid(z))", "return sigmoid(z) * (1 - z)"),
    ("relu2deriv", "return (output > 0).astype(output.dtype)", "return (output < 0).astype(output.dtype)"),
    ("sigmoid_grad", "return (1.0 - sigmoid(x)) * sigmoid(x)", "return 1.0 - sigmoid(x)"),
])
def test_a_wrong_derivative_under_its_own_name_fails(tmp_path, name, old, new):
    assert old in NAMES
    outcomes, _ = scan([write_files(tmp_path, {"act.py": NAMES.replace(old, new)})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, name)
    assert verdict == "FAIL" and checks == {"forward"}
    assert f"{name}(x) is neither" in text or f"{name}(x) is not" in text
    assert all(v == "PASS" for n, (v, _) in verdicts(outcomes).items() if n != name)


def test_names_that_only_contain_a_derivative_name_are_not_taken_for_one(tmp_path):
    outcomes, skipped = scan([write_files(tmp_path, {"act.py": '''import numpy as np


def d_sigmoid_cross_entropy(x, y):
    return x - y


def relu_gradient_check(f, x):
    return 0.0


def d_relu(dout, cache):
    return dout * (cache > 0)
'''})], dtypes=F64)
    assert not outcomes
    assert ("d_relu", "named like an activation's derivative, relu_derivative(x), but it takes (dout, cache)") \
        in skipped, skipped


BOOK = '''import numpy as np


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
'''


def test_the_books_losses_are_checked_its_epsilon_a_convention(tmp_path):
    outcomes, _ = scan([write_files(tmp_path, {"functions.py": BOOK})], dtypes=F64)
    assert verdicts(outcomes) == {"sum_squared_error": ("PASS", {}),
                                  "cross_entropy_error": ("CONVENTION", {"softmax_eps": "1e-7"})}
    samples = {r.sample for o in outcomes if o.target.name == "cross_entropy_error" for r in o.report.results}
    assert {"probabilities (6,4), labels (6,)", "probabilities (6,4), one-hot (6,4)"} <= samples
    exact = BOOK.replace(" + 1e-7", "")
    (tmp_path / "exact").mkdir()
    outcomes, _ = scan([write_files(tmp_path / "exact", {"functions.py": exact})], dtypes=F64)
    assert verdicts(outcomes)["cross_entropy_error"] == ("PASS", {})


@pytest.mark.parametrize("name, old, new, note", [
    ("cross_entropy_error", ") / batch_size", ")", "6 times torch's"),                  # no 1/N
    ("cross_entropy_error", "y[np.arange(batch_size), t]", "y[:, t]", None),             # every row at every label
    ("sum_squared_error", "0.5 * np.sum", "np.sum", "2 times torch's"),
])
def test_a_wrong_book_loss_fails(tmp_path, name, old, new, note):
    assert old in BOOK
    outcomes, _ = scan([write_files(tmp_path, {"functions.py": BOOK.replace(old, new)})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, name)
    assert verdict == "FAIL" and checks == {"forward"}
    assert note is None or note in text


KERAS = '''import numpy as np


def categorical_crossentropy(y_true, y_pred):
    y_pred = np.clip(y_pred, 1e-15, 1 - 1e-15)
    return -np.mean(np.sum(y_true * np.log(y_pred), axis=1))


def sparse_categorical_crossentropy(labels, probs):
    return -np.log(probs[np.arange(len(labels)), labels])
'''


def test_keras_spellings_are_checked_over_a_batch_of_rows_a_mean_or_per_sample(tmp_path):
    outcomes, _ = scan([write_files(tmp_path, {"losses.py": KERAS})], dtypes=F64)
    assert verdicts(outcomes) == {"categorical_crossentropy": ("PASS", {}),
                                  "sparse_categorical_crossentropy": ("PASS", {})}


@pytest.mark.parametrize("name, old, new, note", [
    ("categorical_crossentropy", "-np.mean(np.sum(y_true * np.log(y_pred), axis=1))",
     "-np.sum(y_true * np.log(y_pred))", "6 times torch's"),
    ("categorical_crossentropy", "np.sum(y_true * np.log(y_pred), axis=1)", "np.sum(y_true * np.log(y_pred), axis=0)",
     None),
    ("sparse_categorical_crossentropy", "probs[np.arange(len(labels)), labels]", "probs[:, labels]", None),
])
def test_a_wrong_keras_loss_fails(tmp_path, name, old, new, note):
    assert old in KERAS
    outcomes, _ = scan([write_files(tmp_path, {"losses.py": KERAS.replace(old, new)})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, name)
    assert verdict == "FAIL" and checks == {"forward"}
    assert note is None or note in text
