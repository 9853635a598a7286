"""``parity scan`` on a network kept as lists of neuron dicts in plain Python, the form of Jason
Brownlee's "How to Code a Neural Network with Backpropagation In Python (from scratch)":
``forward_propagate(network, row)``, ``backward_propagate_error(network, expected)`` leaving each neuron's
``'delta'``, ``update_weights(network, row, l_rate)``. Both signs of the delta the tutorial has used pass;
each seeded bug fails at its check. (The code below is written for these tests in that form.)"""
import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, failed_checks, verdicts

NETWORK = '''from math import exp
from random import random


def initialize_network(n_inputs, n_hidden, n_outputs):
    hidden = [{'weights': [random() for _ in range(n_inputs + 1)]} for _ in range(n_hidden)]
    output = [{'weights': [random() for _ in range(n_hidden + 1)]} for _ in range(n_outputs)]
    return [hidden, output]


def activate(weights, inputs):
    total = weights[-1]
    for i in range(len(weights) - 1):
        total += weights[i] * inputs[i]
    return total


def transfer(activation):
    return 1.0 / (1.0 + exp(-activation))


def forward_propagate(network, row):
    inputs = row
    for layer in network:
        outputs = []
        for neuron in layer:
            neuron['output'] = transfer(activate(neuron['weights'], inputs))
            outputs.append(neuron['output'])
        inputs = outputs
    return inputs


def transfer_derivative(output):
    return output * (1.0 - output)


def backward_propagate_error(network, expected):
    for i in reversed(range(len(network))):
        layer = network[i]
        errors = []
        if i != len(network) - 1:
            for j in range(len(layer)):
                errors.append(sum(neuron['weights'][j] * neuron['delta'] for neuron in network[i + 1]))
        else:
            for j in range(len(layer)):
                errors.append(layer[j]['output'] - expected[j])
        for j in range(len(layer)):
            layer[j]['delta'] = errors[j] * transfer_derivative(layer[j]['output'])


def update_weights(network, row, l_rate):
    for i in range(len(network)):
        inputs = row[:-1]
        if i != 0:
            inputs = [neuron['output'] for neuron in network[i - 1]]
        for neuron in network[i]:
            for j in range(len(inputs)):
                neuron['weights'][j] -= l_rate * neuron['delta'] * inputs[j]
            neuron['weights'][-1] -= l_rate * neuron['delta']


def train_network(network, train, l_rate, n_epoch, n_outputs):
    for epoch in range(n_epoch):
        for row in train:
            forward_propagate(network, row)
            expected = [0 for _ in range(n_outputs)]
            expected[row[-1]] = 1
            backward_propagate_error(network, expected)
            update_weights(network, row, l_rate)


dataset = [[2.78, 2.55, 0], [1.46, 2.36, 0], [7.62, 2.75, 1], [5.33, 2.08, 1]]
network = initialize_network(2, 2, 2)
train_network(network, dataset, 0.5, 20, 2)
'''
FIRST_EDITION = [("errors.append(layer[j]['output'] - expected[j])", "errors.append(expected[j] - layer[j]['output'])"),
                 ("neuron['weights'][j] -= l_rate", "neuron['weights'][j] += l_rate"),
                 ("neuron['weights'][-1] -= l_rate", "neuron['weights'][-1] += l_rate")]


def write(tmp_path, edits=()):
    text = NETWORK
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / "backprop.py").write_text(text)
    return str(tmp_path)


@pytest.mark.parametrize("edits", [(), FIRST_EDITION], ids=["output - expected", "expected - output"])
def test_both_signs_of_the_delta_pass_and_the_script_is_not_run(tmp_path, edits):
    found, skipped = scan([write(tmp_path, edits)], dtypes=F64)
    assert verdicts(found) == {"backward_propagate_error": ("PASS", {})}, verdicts(found)
    checks = {r.check for r in found[0].report.results}
    assert {"forward", "delta:layer0", "delta:layer1", "update:layer0", "update:layer1", "fd:layer0",
            "fd:layer1"} <= checks, checks
    assert [w for w, _ in skipped] and "script part was not run" in skipped[0][1]


BUGS = {
    "no transfer derivative": ([("layer[j]['delta'] = errors[j] * transfer_derivative(layer[j]['output'])",
                                 "layer[j]['delta'] = errors[j]")], "delta:layer1"),
    "the derivative at the activation, not the output": (
        [("return output * (1.0 - output)", "return transfer(output) * (1.0 - transfer(output))")], "delta:layer1"),
    "the hidden error through the wrong weight": ([("neuron['weights'][j] * neuron['delta']",
                                                   "neuron['weights'][-1] * neuron['delta']")], "delta:layer0"),
    "the hidden layer's sign flipped": ([("errors.append(sum(neuron['weights'][j] * neuron['delta']",
                                         "errors.append(-sum(neuron['weights'][j] * neuron['delta']")], "delta:layer0"),
    "every layer updated from the row": ([("        if i != 0:\n            inputs = [neuron['output'] for neuron in "
                                           "network[i - 1]]\n", "")], "update:layer1"),
    "the bias never updated": ([("            neuron['weights'][-1] -= l_rate * neuron['delta']\n", "")],
                               "update:layer0"),
    "the rate applied twice": ([("neuron['weights'][j] -= l_rate * neuron['delta'] * inputs[j]",
                                 "neuron['weights'][j] -= l_rate * l_rate * neuron['delta'] * inputs[j]")],
                               "update:layer1"),
    "the activation without its bias": ([("total = weights[-1]", "total = 0.0")], "forward"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_fails_at_its_check(tmp_path, bug):
    edits, check = BUGS[bug]
    verdict, checks, text = failed_checks(scan([write(tmp_path, edits)], dtypes=F64)[0], "backward_propagate_error")
    assert verdict == "FAIL" and check in checks, (verdict, checks, text)


def test_a_network_of_another_shape_is_said_so(tmp_path):
    folder = write(tmp_path, [("return [hidden, output]", "return [hidden, hidden, output]")])
    verdict, checks, text = failed_checks(scan([folder], dtypes=F64)[0], "backward_propagate_error")
    assert verdict == "FAIL" and "expected a list of 2 layers" in text, text
