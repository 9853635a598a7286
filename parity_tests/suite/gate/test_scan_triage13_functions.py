"""``parity scan`` on forms found in a thirteenth triage of outside code: a cross-entropy function with an
epsilon inside its log (bren's ``-sum(y_true * log(y_pred + 1e-8))``), the Keras/Theano hard sigmoid
(numpy-ml's slope 0.2), and the "Neural Networks from Scratch" combined softmax and cross-entropy class
under another name (maji-nn's ``SoftmaxActivationCCELoss``). Each correct form passes or reads as the
convention it is, or its failure names what it is; each seeded bug fails at its check."""
import pytest

from parity_tests.cli import main
from parity_tests.gate import conventions as conv
from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts, write_files

GUARDED = '''import numpy as np


def categorical_cross_entropy(y_pred, y_true, epsilon=1e-8):
    return -(np.sum(y_true * np.log(y_pred + epsilon)))
'''


def test_an_epsilon_inside_the_log_is_named_and_may_be_declared(tmp_path, capsys):
    outcomes, _ = scan([write_files(tmp_path, {"losses.py": GUARDED})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "categorical_cross_entropy")
    assert verdict == "FAIL" and checks == {"forward"}
    assert "it is -log(p + 1e-08): an epsilon inside the log" in text and "declare softmax_eps=1e-08" in text
    assert main(["scan", str(tmp_path), "-q", "--convention", "softmax_eps=1e-08"]) == 0
    assert "PASS" in capsys.readouterr().out
    (tmp_path / "b").mkdir()
    outcomes, _ = scan([write_files(tmp_path / "b", {"losses.py": GUARDED.replace("1e-8", "1e-7")})], dtypes=F64)
    assert verdicts(outcomes) == {"categorical_cross_entropy": ("CONVENTION", {"softmax_eps": "1e-7"})}


def test_a_wrong_guarded_loss_is_not_explained_by_its_epsilon(tmp_path):
    outcomes, _ = scan([write_files(tmp_path, {"losses.py": GUARDED.replace("y_pred + epsilon", "y_pred + 0.1")})],
                       dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "categorical_cross_entropy")
    assert verdict == "FAIL" and "epsilon inside the log" not in text


@pytest.mark.parametrize("value, ok", [("1e-8", True), ("0.01", True), ("1e-7", True), ("clip", True),
                                       ("0", False), ("0.5", False), ("x", False), ("-1e-8", False)])
def test_softmax_eps_takes_small_numbers(value, ok):
    if ok:
        assert conv.parse([f"softmax_eps={value}"]) == {"softmax_eps": value}
    else:
        with pytest.raises(conv.ConventionError, match="another epsilon in"):
            conv.parse([f"softmax_eps={value}"])


HARD = '''import numpy as np


class HardSigmoid:
    def forward(self, z):
        self.z = z
        return np.clip(0.2 * z + 0.5, 0.0, 1.0)

    def backward(self, dout):
        return dout * np.where((self.z >= -2.5) & (self.z <= 2.5), 0.2, 0.0)
'''


def test_a_keras_hard_sigmoid_is_found_alone_and_named(tmp_path):
    outcomes, _ = scan([write_files(tmp_path, {"act.py": HARD})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "HardSigmoid")
    assert verdict == "FAIL" and "forward" in checks
    assert "a hard sigmoid of slope 0.2" in text and "torch's has slope 1/6" in text
    torch_form = HARD.replace("0.2 * z + 0.5", "z / 6 + 0.5").replace("-2.5) & (self.z <= 2.5), 0.2",
                                                                       "-3) & (self.z <= 3), 1 / 6")
    (tmp_path / "t").mkdir()
    outcomes, _ = scan([write_files(tmp_path / "t", {"act.py": torch_form})], dtypes=F64)
    assert verdicts(outcomes) == {"HardSigmoid": ("PASS", {})}


COMBINED = '''import numpy as np


class Softmax:
    def forward(self, inputs):
        exp_values = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = exp_values / np.sum(exp_values, axis=1, keepdims=True)


class CategoricalCrossEntropyLoss:
    def calculate(self, output, y):
        return np.mean(self.forward(output, y))

    def forward(self, y_pred, y_true):
        y_pred_clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        if len(y_true.shape) == 1:
            correct = y_pred_clipped[range(len(y_pred)), y_true]
        else:
            correct = np.sum(y_pred_clipped * y_true, axis=1)
        return -np.log(correct)


class SoftmaxActivationCCELoss():
    def __init__(self):
        self.activation = Softmax()
        self.loss = CategoricalCrossEntropyLoss()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        n_samples = len(dvalues)
        if len(y_true.shape) == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(n_samples), y_true] -= 1
        self.dinputs = self.dinputs / n_samples
'''


def test_the_books_combined_class_under_another_name_is_fed_the_softmax_output(tmp_path):
    outcomes, _ = scan([write_files(tmp_path, {"nn.py": COMBINED})], dtypes=F64)
    assert verdicts(outcomes) == {"SoftmaxActivationCCELoss": ("CONVENTION", {"softmax_eps": "clip"})}
    (tmp_path / "b").mkdir()
    bug = COMBINED.replace("self.dinputs = self.dinputs / n_samples", "self.dinputs = self.dinputs")
    outcomes, _ = scan([write_files(tmp_path / "b", {"nn.py": bug})], dtypes=F64)
    verdict, checks, _ = failed_checks(outcomes, "SoftmaxActivationCCELoss")
    assert verdict == "FAIL" and checks == {"grad_input"}


RASHID = '''import numpy


def sigmoid(x):
    return 1.0 / (1.0 + numpy.exp(-x))


class neuralNetwork:
    def __init__(self, inputnodes, hiddennodes, outputnodes, learningrate):
        self.inodes, self.hnodes, self.onodes = inputnodes, hiddennodes, outputnodes
        self.wih = numpy.random.normal(0.0, pow(self.inodes, -0.5), (self.hnodes, self.inodes))
        self.who = numpy.random.normal(0.0, pow(self.hnodes, -0.5), (self.onodes, self.hnodes))
        self.lr = learningrate
        self.activation_function = lambda x: sigmoid(x)

    def train(self, inputs_list, targets_list):
        inputs = numpy.array(inputs_list, ndmin=2).T
        targets = numpy.array(targets_list, ndmin=2).T
        hidden_outputs = self.activation_function(numpy.dot(self.wih, inputs))
        final_outputs = self.activation_function(numpy.dot(self.who, hidden_outputs))
        output_errors = targets - final_outputs
        hidden_errors = numpy.dot(self.who.T, output_errors)
        self.who += self.lr * numpy.dot((output_errors * final_outputs * (1.0 - final_outputs)),
                                        numpy.transpose(hidden_outputs))
        self.wih += self.lr * numpy.dot((hidden_errors * hidden_outputs * (1.0 - hidden_outputs)),
                                        numpy.transpose(inputs))

    def query(self, inputs_list):
        inputs = numpy.array(inputs_list, ndmin=2).T
        hidden_outputs = self.activation_function(numpy.dot(self.wih, inputs))
        return self.activation_function(numpy.dot(self.who, hidden_outputs))
'''
BACKPROP = RASHID.replace("hidden_errors = numpy.dot(self.who.T, output_errors)",
                          "hidden_errors = numpy.dot(self.who.T, output_errors * final_outputs * (1.0 - final_outputs))")


def test_rashids_network_is_driven_and_its_split_errors_named(tmp_path):
    outcomes, _ = scan([write_files(tmp_path, {"nn.py": BACKPROP})], dtypes=F64)
    assert verdicts(outcomes) == {"neuralNetwork": ("PASS", {}), "sigmoid": ("PASS", {})}
    checks = {r.check for o in outcomes if o.target.name == "neuralNetwork" for r in o.report.results}
    assert checks == {"forward", "step:who", "step:wih"}
    (tmp_path / "book").mkdir()
    outcomes, _ = scan([write_files(tmp_path / "book", {"nn.py": RASHID})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "neuralNetwork")
    assert verdict == "FAIL" and checks == {"step:wih"} and "without the output layer's derivative" in text


@pytest.mark.parametrize("old, new, check", [
    ("output_errors * final_outputs * (1.0 - final_outputs)),", "output_errors),", "step:who"),
    ("hidden_outputs * (1.0 - hidden_outputs)", "hidden_outputs", "step:wih"),
    ("return self.activation_function(numpy.dot(self.who, hidden_outputs))",
     "return numpy.dot(self.who, hidden_outputs)", "forward"),
])
def test_a_bug_in_a_backpropagating_rashid_network_fails_at_its_check(tmp_path, old, new, check):
    assert old in BACKPROP
    outcomes, _ = scan([write_files(tmp_path, {"nn.py": BACKPROP.replace(old, new)})], dtypes=F64)
    verdict, checks, text = failed_checks(outcomes, "neuralNetwork")
    assert verdict == "FAIL" and check in checks and "split by the weights" not in text


def test_a_network_scan_cannot_drive_is_listed_with_why(tmp_path):
    """Raschka's "Python Machine Learning" NeuralNetMLP keeps its backward inside fit(): not silent."""
    outcomes, skipped = scan([write_files(tmp_path, {"mlp.py": '''import numpy as np


class NeuralNetMLP(object):
    def __init__(self, n_hidden=30, l2=0., epochs=100, eta=0.001, shuffle=True, minibatch_size=1, seed=None):
        self.random = np.random.RandomState(seed)

    def _forward(self, X):
        return X

    def predict(self, X):
        return np.argmax(self._forward(X), axis=1)

    def fit(self, X_train, y_train, X_valid, y_valid):
        return self
'''})], dtypes=F64)
    assert not outcomes
    why = dict(skipped)["NeuralNetMLP"]
    assert "a network with fit(), predict(): not one parity scan drives" in why
