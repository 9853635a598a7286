"""``parity scan`` on Piotr Skalski's "Let's code a Neural Network in plain NumPy" (``examples/skalski``):
the course's column layout under other names. ``relu(Z)`` returns A alone beside ``relu_backward(dA, Z)``
(it failed as if wrong, being read as the course's ``(A, cache)``), ``single_layer_forward_propagation``
returns ``(A, Z)`` and ``single_layer_backward_propagation(dA, W, b, Z, A_prev, activation)`` returns
``(dA_prev, dW, db)`` with the cost's 1/m, ``get_cost_value(Y_hat, Y)`` is the mean binary
cross-entropy. The example passes; each seeded bug fails at its component and check."""
import os

import pytest

from parity_tests.gate.scan import scan

from .test_scan import F64, ROOT, failed_checks, seeded, verdicts

EXAMPLE = os.path.join(ROOT, "examples", "skalski")


def test_the_example_passes_and_says_what_it_leaves():
    found, skipped = scan([EXAMPLE], dtypes=F64)
    assert verdicts(found) == {n: ("PASS", {}) for n in ("relu", "sigmoid", "single_layer_forward_propagation",
                                                          "get_cost_value")}
    checks = {r.check for o in found if o.target.name == "single_layer_forward_propagation" for r in o.report.results}
    assert {"forward", "grad_input", "grad_param:W", "grad_param:b", "fd:input", "fd:W"} <= checks, checks
    assert [n for n, _ in skipped] == ["full_forward_propagation"]


BUGS = {
    "sigmoid_backward without dA": ("return dA * sig * (1 - sig)", "return sig * (1 - sig)", "sigmoid", "grad_input"),
    "relu_backward inverted": ("dZ[Z <= 0] = 0", "dZ[Z > 0] = 0", "relu", "grad_input"),
    "db summed over the samples' axis": (
        "db_curr = np.sum(dZ_curr, axis=1, keepdims=True) / m", "db_curr = np.sum(dZ_curr, axis=0, keepdims=True) / m",
        "single_layer_forward_propagation", "grad_param:b"),
    "dA_prev from dA, not dZ": ("dA_prev = np.dot(W_curr.T, dZ_curr)", "dA_prev = np.dot(W_curr.T, dA_curr)",
                                "single_layer_forward_propagation", "grad_input"),
    "dW without the 1/m": ("dW_curr = np.dot(dZ_curr, A_prev.T) / m", "dW_curr = np.dot(dZ_curr, A_prev.T)",
                           "single_layer_forward_propagation", "grad_param:W"),
    "cost without the 1/m": ("cost = -1 / m * (", "cost = -1 * (", "get_cost_value", "forward"),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_seeded_bug_fails_at_its_component_and_check(tmp_path, bug):
    old, new, component, check = BUGS[bug]
    folder = seeded(tmp_path, EXAMPLE, "numpy_nn.py", old, new)
    verdict, checks, text = failed_checks(scan([folder], only=component, dtypes=F64)[0], component)
    assert verdict == "FAIL" and check in checks, (verdict, checks, text)
