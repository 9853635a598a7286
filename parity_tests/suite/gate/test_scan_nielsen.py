"""``parity scan`` on Michael Nielsen's "Neural Networks and Deep Learning" (``network.py``,
``network2.py``): ``feedforward``, ``backprop(x, y)`` on column vectors against torch and finite
differences, every cost of network2, one ``update_mini_batch`` against torch's SGD. The example
(``examples/nielsen``) passes; each seeded bug fails at its component and check."""
import os

import pytest

from parity_tests.cli import main
from parity_tests.gate.scan import scan

from .test_scan import F64, ROOT, seeded, verdicts

NIELSEN = os.path.join(ROOT, "examples", "nielsen")


def test_both_networks_their_costs_and_helpers_pass():
    outcomes, skipped = scan([NIELSEN])
    assert sorted((o.target.where.split("/")[-1], o.target.name, o.verdict) for o in outcomes) == [
        ("network.py", "Network", "PASS"), ("network.py", "sigmoid", "PASS"), ("network.py", "sigmoid_prime", "PASS"),
        ("network2.py", "Network", "PASS"), ("network2.py", "sigmoid", "PASS"), ("network2.py", "sigmoid_prime", "PASS")]
    net2 = next(o for o in outcomes if o.target.name == "Network" and o.target.where.endswith("network2.py"))
    assert {r.component for r in net2.report.results} == {"Network(cost=QuadraticCost)", "Network(cost=CrossEntropyCost)"}
    checks = {r.check for r in net2.report.results}
    assert {"forward", "cost.fn", "grad_param:weights[0]", "fd:weights[2]", "step:weights[1]", "step:biases[0]",
            "total_cost"} <= checks
    assert main(["scan", NIELSEN, "-q", "--strict", "--style", "nielsen"]) == 0


BUGS = {
    "backprop without sigmoid_prime in the hidden layers": (
        "network.py", "delta = np.dot(self.weights[-l+1].transpose(), delta) * sp",
        "delta = np.dot(self.weights[-l+1].transpose(), delta)", "Network", "grad_param:weights[0]"),
    "cost derivative of the wrong sign": ("network.py", "return (output_activations-y)", "return (y-output_activations)",
                                          "Network", "grad_param:biases[2]"),
    "sigmoid_prime of z as if it were the activation": ("network.py", "return sigmoid(z)*(1-sigmoid(z))",
                                                        "return z*(1-z)", "sigmoid_prime", "forward"),
    "update without the batch mean": ("network.py", "self.weights = [w-(eta/len(mini_batch))*nw",
                                      "self.weights = [w-eta*nw", "Network", "step:weights[0]"),
    "the backward loop stops a layer early": ("network.py", "for l in range(2, self.num_layers):",
                                              "for l in range(2, self.num_layers - 1):", "Network",
                                              "grad_param:weights[0]"),
    "weights built (n_in, n_out)": ("network.py", "self.weights = [np.random.randn(y, x)\n",
                                    "self.weights = [np.random.randn(x, y)\n", "Network", "init:weights"),
    "L2 decay on the biases too": ("network2.py", "self.biases = [b-(eta/len(mini_batch))*nb",
                                   "self.biases = [(1-eta*(lmbda/n))*b-(eta/len(mini_batch))*nb", "Network(cost=QuadraticCost)",
                                   "step:biases[0]"),
    "cross-entropy delta with sigmoid_prime": ("network2.py", "        return (a-y)\n",
                                               "        return (a-y) * sigmoid_prime(z)\n",
                                               "Network(cost=CrossEntropyCost)", "grad_param:weights[2]"),
    "total cost's L2 term without its 0.5": ("network2.py", "cost += 0.5*(lmbda/len(data))*sum(",
                                             "cost += (lmbda/len(data))*sum(", "Network(cost=QuadraticCost)",
                                             "total_cost"),
    "cross-entropy value without the (1 - y) term": ("network2.py", "np.nan_to_num(-y*np.log(a)-(1-y)*np.log(1-a))",
                                                     "np.nan_to_num(-y*np.log(a))", "Network(cost=CrossEntropyCost)",
                                                     "cost.fn"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_is_reported_at_its_component_and_check(tmp_path, bug):
    path, old, new, component, check = BUGS[bug]
    folder = seeded(tmp_path, NIELSEN, path, old, new)
    name = component.split("(")[0]
    o = next(o for o in scan([os.path.join(folder, path)], only=name, dtypes=F64)[0] if o.target.name == name)
    failures = {(r.component, r.check) for r in o.report.failures}
    assert o.verdict == "FAIL" and (component, check) in failures, (o.verdict, failures)


def test_a_network_class_without_backprop_is_not_taken_for_nielsens(tmp_path):
    (tmp_path / "net.py").write_text("class Network:\n    def feedforward(self, a):\n        return a\n")
    assert verdicts(scan([str(tmp_path)])[0]) == {}


def _net(tmp_path, old, new, path="network2.py"):
    return os.path.join(seeded(tmp_path, NIELSEN, path, old, new), path)


def test_another_tutorials_feedforward_and_backprop_are_skipped_with_why(tmp_path):
    """James Loy's NeuralNetwork(x, y) with feedforward(self) and backprop(self) is not Nielsen's."""
    (tmp_path / "nn.py").write_text(
        "import numpy as np\nclass NeuralNetwork:\n    def __init__(self, x, y):\n        self.input, self.y = x, y\n"
        "    def feedforward(self):\n        pass\n    def backprop(self):\n        pass\n")
    outcomes, skipped = scan([str(tmp_path)], dtypes=F64)
    assert outcomes == [] and "not Nielsen's Network(sizes)" in dict(skipped)["NeuralNetwork"]


def test_sys_exit_in_the_network_fails_its_component_not_the_scan(tmp_path):
    o = next(o for o in scan([_net(tmp_path, "        delta = (self.cost).delta(", "        sys.exit()\n"
                                   "        delta = (self.cost).delta(")], only="Network")[0])
    assert o.verdict == "FAIL" and all("SystemExit" in r.note for r in o.report.failures)


def test_update_arguments_by_position_cost_classes_by_name_and_the_return_order(tmp_path):
    # network2's update with other argument names: still checked (here with L2 on the biases too)
    o = scan([_net(tmp_path / "a", "def update_mini_batch(self, mini_batch, eta, lmbda, n):\n",
                   "def update_mini_batch(self, batch, lr, lam, n_train):\n        mini_batch, eta, lmbda, n = "
                   "batch, lr, lam, n_train\n        self.biases = [(1 - eta * lmbda / n) * b for b in self.biases]\n")],
             only="Network")[0][0]
    assert o.verdict == "FAIL" and {r.check for r in o.report.failures} >= {"step:biases[0]"}
    # cost classes named CrossEntropy / Quadratic: both checked
    path = _net(tmp_path / "b", "class CrossEntropyCost(object):", "class CrossEntropy(object):")
    text = open(path).read().replace("cost=CrossEntropyCost", "cost=CrossEntropy").replace(
        "class QuadraticCost(object):", "class Quadratic(object):")
    open(path, "w").write(text)
    o = scan([path], only="Network")[0][0]
    assert o.verdict == "PASS" and {r.component for r in o.report.results} == {"Network(cost=CrossEntropy)",
                                                                              "Network(cost=Quadratic)"}
    # (nabla_w, nabla_b): one line that says so
    o = scan([_net(tmp_path / "c", "        return (nabla_b, nabla_w)", "        return (nabla_w, nabla_b)",
                   "network.py")], only="Network")[0][0]
    assert o.verdict == "FAIL" and all("the book's order is (nabla_b, nabla_w)" in r.note for r in o.report.failures)
