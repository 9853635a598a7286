"""``parity scan`` on code in the form of Denny Britz's "Implementing a Neural Network from Scratch in
Python": ``calculate_loss(model)`` and ``build_model(nn_hdim, num_passes, print_loss)`` over the module's
``X``, ``y``, ``epsilon`` and ``reg_lambda`` (set to a problem of the scan's own for the check, and put
back). The code below is written for these tests in that form; each seeded bug fails at its check."""
import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts

NETWORK = '''import numpy as np

np.random.seed(0)
X = np.random.randn(200, 2)
y = (X[:, 0] * X[:, 1] > 0).astype(int)
num_examples = len(X)
nn_input_dim = 2
nn_output_dim = 2
epsilon = 0.01
reg_lambda = 0.01


def calculate_loss(model):
    W1, b1, W2, b2 = model['W1'], model['b1'], model['W2'], model['b2']
    a1 = np.tanh(X.dot(W1) + b1)
    exp_scores = np.exp(a1.dot(W2) + b2)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    data_loss = np.sum(-np.log(probs[range(num_examples), y]))
    data_loss += reg_lambda / 2 * (np.sum(np.square(W1)) + np.sum(np.square(W2)))
    return 1. / num_examples * data_loss


def build_model(nn_hdim, num_passes=20000, print_loss=False):
    np.random.seed(0)
    W1 = np.random.randn(nn_input_dim, nn_hdim) / np.sqrt(nn_input_dim)
    b1 = np.zeros((1, nn_hdim))
    W2 = np.random.randn(nn_hdim, nn_output_dim) / np.sqrt(nn_hdim)
    b2 = np.zeros((1, nn_output_dim))
    model = {}
    for i in range(0, num_passes):
        a1 = np.tanh(X.dot(W1) + b1)
        exp_scores = np.exp(a1.dot(W2) + b2)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        delta3 = probs
        delta3[range(num_examples), y] -= 1
        dW2 = (a1.T).dot(delta3)
        db2 = np.sum(delta3, axis=0, keepdims=True)
        delta2 = delta3.dot(W2.T) * (1 - np.power(a1, 2))
        dW1 = np.dot(X.T, delta2)
        db1 = np.sum(delta2, axis=0)
        dW2 += reg_lambda * W2
        dW1 += reg_lambda * W1
        W1 += -epsilon * dW1
        b1 += -epsilon * db1
        W2 += -epsilon * dW2
        b2 += -epsilon * db2
        model = {'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}
        if print_loss and i % 1000 == 0:
            print("Loss after iteration %i: %f" % (i, calculate_loss(model)))
    return model


model = build_model(3, print_loss=True)
'''


def write(tmp_path, old=None, new=None):
    text = NETWORK
    if old is not None:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / "nn_from_scratch.py").write_text(text)
    return str(tmp_path)


def test_the_tutorials_form_passes_without_running_its_training(tmp_path):
    found, skipped = scan([write(tmp_path)], dtypes=F64)
    assert verdicts(found) == {"build_model": ("PASS", {}), "calculate_loss": ("PASS", {})}, verdicts(found)
    assert {r.check for o in found for r in o.report.results} == {"loss", "step:W1", "step:b1", "step:W2", "step:b2"}
    assert "script part was not run" in skipped[0][1]


BUGS = {
    "tanh's derivative as 1 - a": ("* (1 - np.power(a1, 2))", "* (1 - a1)", "build_model", "step:W1"),
    "the regularization left out of dW2": ("        dW2 += reg_lambda * W2\n", "", "build_model", "step:W2"),
    "b1 not updated": ("        b1 += -epsilon * db1\n", "", "build_model", "step:b1"),
    "db2 averaged": ("db2 = np.sum(delta3, axis=0, keepdims=True)", "db2 = np.mean(delta3, axis=0, keepdims=True)",
                     "build_model", "step:b2"),
    "the loss without its 1/N": ("return 1. / num_examples * data_loss", "return data_loss", "calculate_loss", "loss"),
    "the penalty without its half": ("data_loss += reg_lambda / 2 *", "data_loss += reg_lambda *", "calculate_loss",
                                     "loss"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_fails_at_its_check(tmp_path, bug):
    old, new, component, check = BUGS[bug]
    verdict, checks, text = failed_checks(scan([write(tmp_path, old, new)], dtypes=F64)[0], component)
    assert verdict == "FAIL" and check in checks, (verdict, checks, text)


def test_the_modules_globals_are_put_back(tmp_path):
    """The check sets the module's X, y, num_examples... for its own problem and puts back what it found."""
    import importlib.util
    from parity_tests.gate import britz
    path = tmp_path / "defs.py"
    path.write_text(NETWORK.split("model = build_model")[0])
    spec = importlib.util.spec_from_file_location("britz_defs", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x = mod.X
    for name in ("build_model", "calculate_loss"):
        assert britz.check(name, vars(mod)).passed
    assert mod.X is x and mod.num_examples == 200 and mod.epsilon == 0.01 and not hasattr(mod, "nn_hdim")


def test_a_step_of_the_mean_is_told(tmp_path):
    """A build_model stepping on the mean loss (calculate_loss's own objective) fails, told that it is the
    tutorial's step over N."""
    folder = write(tmp_path, "        delta3[range(num_examples), y] -= 1\n",
                   "        delta3[range(num_examples), y] -= 1\n        delta3 /= num_examples\n")
    text = (tmp_path / "nn_from_scratch.py").read_text().replace("dW2 += reg_lambda * W2", "dW2 += reg_lambda / num_examples * W2") \
        .replace("dW1 += reg_lambda * W1", "dW1 += reg_lambda / num_examples * W1")
    (tmp_path / "nn_from_scratch.py").write_text(text)
    verdict, checks, message = failed_checks(scan([folder], dtypes=F64)[0], "build_model")
    assert verdict == "FAIL" and "it is the step of the mean" in message, message


@pytest.mark.parametrize("old, new, said", [
    ("    return model\n", "    return None\n", "build_model returned NoneType"),
    ("    return model\n", "    return {'W1': W1}\n", "with keys ['W1']"),
    ("def build_model(nn_hdim, num_passes=20000, print_loss=False):", "def build_model(nn_hdim, num_passes=20000):",
     None)])
def test_a_build_model_of_another_shape(tmp_path, old, new, said):
    """A model that is not the dict of four arrays is said in one line; no print_loss argument is fine."""
    text = NETWORK.replace(old, new)
    if said is None:
        text = text.replace("        if print_loss and i % 1000 == 0:\n", "        if False:\n") \
            .replace("model = build_model(3, print_loss=True)", "model = build_model(3)")
    (tmp_path / "nn_from_scratch.py").write_text(text)
    o = next(o for o in scan([str(tmp_path)], dtypes=F64)[0] if o.target.name == "build_model")
    if said is None:
        assert o.verdict == "PASS", [r.message() for r in o.report.failures]
    else:
        assert o.verdict == "FAIL" and any(said in r.note for r in o.report.failures), [r.note for r in o.report.failures]
